package ai

import (
	"context"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/sistemaboladao/boladao/tickets/sla"
)

// DefaultMinSamples is the history below which the builtin classifier
// falls back to keywords.
const DefaultMinSamples = 20

// Evaluation is the builtin classifier's accuracy on held-out tickets:
// every fifth sample is held out, a model is trained on the others and
// asked to classify the held-out ones.
type Evaluation struct {
	// Trained and HeldOut count the samples of the evaluation.
	Trained int
	HeldOut int
	// CategoryAccuracy and PriorityAccuracy are in [0, 1], or -1 when
	// nothing could be measured (too little history, no labels).
	CategoryAccuracy float64
	PriorityAccuracy float64
}

// Builtin is the offline classifier: multinomial naive Bayes over the
// words of title and description, one model for the category and one for
// the priority, learnt from a company's resolved tickets. With fewer than
// the minimum samples it classifies by keywords. It is immutable and safe
// for concurrent use.
type Builtin struct {
	category   *bayes // nil when no sample has a category
	priority   *bayes
	samples    int
	evaluation Evaluation
}

// Train builds a builtin classifier from samples (naive Bayes when there
// are at least minSamples, keywords otherwise; minSamples <= 0 means
// DefaultMinSamples) and evaluates it on held-out samples.
func Train(samples []Sample, minSamples int) *Builtin {
	if minSamples <= 0 {
		minSamples = DefaultMinSamples
	}
	b := train(samples, minSamples)
	b.evaluation = evaluate(samples, minSamples)
	return b
}

func train(samples []Sample, minSamples int) *Builtin {
	b := &Builtin{samples: len(samples)}
	if len(samples) < minSamples {
		return b
	}
	cat, prio := newBayes(), newBayes()
	for _, s := range samples {
		toks := tokens(s.Title + " " + s.Description)
		if s.Category != "" {
			cat.add(s.Category, toks)
		}
		if s.Priority.Valid() {
			prio.add(string(s.Priority), toks)
		}
	}
	if cat.docs > 0 {
		b.category = cat
	}
	if prio.docs > 0 {
		b.priority = prio
	}
	return b
}

func evaluate(samples []Sample, minSamples int) Evaluation {
	ev := Evaluation{CategoryAccuracy: -1, PriorityAccuracy: -1}
	var trainSet, held []Sample
	for i, s := range samples {
		if i%5 == 4 {
			held = append(held, s)
		} else {
			trainSet = append(trainSet, s)
		}
	}
	ev.Trained, ev.HeldOut = len(trainSet), len(held)
	if len(trainSet) < minSamples || len(held) == 0 {
		return ev
	}
	m := train(trainSet, minSamples)
	var catOK, catN, prioOK, prioN int
	for _, s := range held {
		c := m.classify(s.Title + " " + s.Description)
		if s.Category != "" {
			catN++
			if c.Category == s.Category {
				catOK++
			}
		}
		if s.Priority.Valid() {
			prioN++
			if c.Priority == s.Priority {
				prioOK++
			}
		}
	}
	if catN > 0 {
		ev.CategoryAccuracy = float64(catOK) / float64(catN)
	}
	if prioN > 0 {
		ev.PriorityAccuracy = float64(prioOK) / float64(prioN)
	}
	return ev
}

// Samples is the number of samples the classifier learnt from.
func (b *Builtin) Samples() int { return b.samples }

// Mode is "naive_bayes" when the classifier learnt from history and
// "keywords" otherwise.
func (b *Builtin) Mode() string {
	if b.category == nil && b.priority == nil {
		return "keywords"
	}
	return "naive_bayes"
}

// Categories lists the categories the classifier learnt, sorted.
func (b *Builtin) Categories() []string {
	if b.category == nil {
		return []string{}
	}
	return slices.Clone(b.category.classes)
}

// Evaluation reports the accuracy measured on held-out samples.
func (b *Builtin) Evaluation() Evaluation { return b.evaluation }

// Classify implements Classifier; it never fails.
func (b *Builtin) Classify(ctx context.Context, in Input) (Classification, error) {
	return b.classify(in.Title + " " + in.Description), nil
}

func (b *Builtin) classify(text string) Classification {
	toks := tokens(text)
	kw := byKeywords(text, toks)
	c := Classification{Source: "keywords"}
	if b.category != nil {
		c.Category, c.CategoryConfidence = b.category.predict(toks)
		c.Source = "naive_bayes"
	} else {
		c.Category, c.CategoryConfidence = kw.Category, kw.CategoryConfidence
	}
	if b.priority != nil {
		p, conf := b.priority.predict(toks)
		c.Priority, c.PriorityConfidence = sla.Priority(p), conf
		c.Source = "naive_bayes"
	} else {
		c.Priority, c.PriorityConfidence = kw.Priority, kw.PriorityConfidence
	}
	c.Urgency = urgencyOf(c.Priority, toks)
	c.SuggestedReply = suggestReply(c.Category, c.Priority)
	return finish(c)
}

// bayes is a multinomial naive Bayes model with Laplace smoothing.
type bayes struct {
	classes []string // sorted
	docs    int
	docsOf  map[string]int
	words   map[string]map[string]int // class → word → count
	total   map[string]int            // class → word count
	vocab   map[string]struct{}
}

func newBayes() *bayes {
	return &bayes{docsOf: map[string]int{}, words: map[string]map[string]int{}, total: map[string]int{},
		vocab: map[string]struct{}{}}
}

func (m *bayes) add(class string, toks []string) {
	if _, ok := m.docsOf[class]; !ok {
		m.words[class] = map[string]int{}
		i, _ := slices.BinarySearch(m.classes, class)
		m.classes = slices.Insert(m.classes, i, class)
	}
	m.docs++
	m.docsOf[class]++
	for _, t := range toks {
		m.words[class][t]++
		m.total[class]++
		m.vocab[t] = struct{}{}
	}
}

// predict returns the most probable class and its posterior probability.
func (m *bayes) predict(toks []string) (string, float64) {
	v := float64(len(m.vocab))
	scores := make([]float64, len(m.classes))
	best := 0
	for i, c := range m.classes {
		s := math.Log(float64(m.docsOf[c]) / float64(m.docs))
		for _, t := range toks {
			if _, known := m.vocab[t]; !known {
				continue // a word never seen says nothing about any class
			}
			s += math.Log((float64(m.words[c][t]) + 1) / (float64(m.total[c]) + v))
		}
		scores[i] = s
		if s > scores[best] {
			best = i
		}
	}
	var sum float64
	for _, s := range scores {
		sum += math.Exp(s - scores[best])
	}
	return m.classes[best], 1 / sum
}

// stopwords are left out of the features: Portuguese and English function
// words.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a o as os um uma uns umas de do da dos das em no na nos nas por para pra com sem
		que e ou se nao sim meu minha meus minhas seu sua ao aos ele ela eles elas eu voce voces nos isso esta este essa
		esse estou esta estao foi ser ter tem tenho mais muito muita como quando onde ja the an of to in on for with is
		are was be it this that my i we you and or not at from have has`) {
		m[w] = true
	}
	return m
}()

// fold lower-cases r and strips the accents of Portuguese letters.
func fold(r rune) rune {
	r = unicode.ToLower(r)
	switch r {
	case 'á', 'à', 'â', 'ã', 'ä':
		return 'a'
	case 'é', 'è', 'ê', 'ë':
		return 'e'
	case 'í', 'ì', 'î', 'ï':
		return 'i'
	case 'ó', 'ò', 'ô', 'õ', 'ö':
		return 'o'
	case 'ú', 'ù', 'û', 'ü':
		return 'u'
	case 'ç':
		return 'c'
	}
	return r
}

// normalize folds text and turns every run of other characters into one
// space.
func normalize(text string) string {
	var b strings.Builder
	space := true
	for _, r := range text {
		r = fold(r)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// tokens are the words of text that carry meaning: folded, without
// stopwords and one-letter words.
func tokens(text string) []string {
	var out []string
	for _, w := range strings.Fields(normalize(text)) {
		if len(w) > 1 && !stopwords[w] {
			out = append(out, w)
		}
	}
	return out
}
