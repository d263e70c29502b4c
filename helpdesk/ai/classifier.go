package ai

import (
	"context"
	"strings"

	"github.com/sistemaboladao/boladao/tickets/sla"
)

// Input is the text to classify: a ticket's title and description.
type Input struct {
	Title       string
	Description string
}

// Urgency is how soon the requester needs an answer, apart from how much
// the problem weighs (priority).
type Urgency string

// The urgencies.
const (
	UrgencyLow    Urgency = "low"
	UrgencyMedium Urgency = "medium"
	UrgencyHigh   Urgency = "high"
)

// Classification is a classifier's suggestion for a ticket.
type Classification struct {
	// Category is empty when the classifier has none to suggest.
	Category       string
	Priority       sla.Priority
	Urgency        Urgency
	SuggestedReply string
	// CategoryConfidence and PriorityConfidence are in [0, 1];
	// Confidence is the lower of the two.
	Confidence         float64
	CategoryConfidence float64
	PriorityConfidence float64
	// Source names what classified: "naive_bayes", "keywords" or
	// "openai:<model>".
	Source string
}

// Classifier suggests a category, priority, urgency and reply for a
// ticket. Implementations are safe for concurrent use.
type Classifier interface {
	Classify(ctx context.Context, in Input) (Classification, error)
}

// clamp01 keeps a confidence in [0, 1].
func clamp01(f float64) float64 {
	switch {
	case f != f || f < 0: // NaN or negative
		return 0
	case f > 1:
		return 1
	}
	return f
}

// finish fills Confidence from the two field confidences.
func finish(c Classification) Classification {
	c.CategoryConfidence, c.PriorityConfidence = clamp01(c.CategoryConfidence), clamp01(c.PriorityConfidence)
	c.Confidence = min(c.CategoryConfidence, c.PriorityConfidence)
	if c.Category == "" {
		c.Confidence = c.PriorityConfidence
	}
	return c
}

// urgentWords mark a request that needs an answer soon, whatever its
// priority.
var urgentWords = []string{"urgente", "urgencia", "imediato", "imediatamente", "agora", "hoje", "asap", "urgent", "now", "today"}

// urgencyOf derives the urgency from the priority and the words of the
// text.
func urgencyOf(p sla.Priority, tokens []string) Urgency {
	if p == sla.PriorityCritical || containsAny(tokens, urgentWords) {
		return UrgencyHigh
	}
	if p == sla.PriorityLow {
		return UrgencyLow
	}
	return UrgencyMedium
}

func containsAny(tokens, words []string) bool {
	for _, t := range tokens {
		for _, w := range words {
			if t == w {
				return true
			}
		}
	}
	return false
}

// suggestReply drafts the first answer to the requester, in Portuguese.
func suggestReply(category string, p sla.Priority) string {
	var b strings.Builder
	b.WriteString("Olá! Recebemos seu chamado")
	if category != "" {
		b.WriteString(" sobre " + category)
	}
	b.WriteString(" e já estamos analisando.")
	switch p {
	case sla.PriorityCritical:
		b.WriteString(" Como o problema afeta a operação, ele foi tratado como prioridade máxima e retornaremos em breve.")
	case sla.PriorityHigh:
		b.WriteString(" Ele foi priorizado pela equipe.")
	}
	switch category {
	case "access":
		b.WriteString(" Se for um bloqueio de senha, confirme seu usuário para agilizarmos o desbloqueio.")
	case "network":
		b.WriteString(" Se puder, informe se outras pessoas do mesmo local também estão sem conexão.")
	case "hardware":
		b.WriteString(" Se puder, informe o número de patrimônio do equipamento.")
	}
	return b.String()
}
