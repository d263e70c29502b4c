package ai

import (
	"strings"

	"github.com/sistemaboladao/boladao/tickets/sla"
)

// keywordCategories are the built-in categories and the words (folded,
// Portuguese and English) that suggest them, used while a company has too
// little history.
var keywordCategories = []struct {
	category string
	words    []string
}{
	{"network", []string{"rede", "internet", "wifi", "wi fi", "vpn", "conexao", "conectar", "cabo", "roteador", "switch",
		"ping", "dns", "network", "connection", "offline", "lento", "lentidao"}},
	{"hardware", []string{"notebook", "computador", "impressora", "monitor", "teclado", "mouse", "tela", "bateria",
		"hd", "ssd", "memoria", "printer", "laptop", "screen", "keyboard", "desktop", "nobreak", "toner"}},
	{"access", []string{"senha", "login", "acesso", "bloqueado", "bloqueada", "usuario", "permissao", "password",
		"account", "locked", "access", "autenticacao", "2fa", "mfa"}},
	{"email", []string{"email", "e mail", "outlook", "caixa de entrada", "correio", "mailbox", "smtp", "anexo"}},
	{"software", []string{"sistema", "instalar", "instalacao", "atualizacao", "programa", "aplicativo", "licenca",
		"software", "install", "update", "crash", "excel", "word", "erp", "app"}},
}

// keywordPriorities are the words that suggest a priority other than
// medium, strongest first.
var keywordPriorities = []struct {
	priority sla.Priority
	words    []string
}{
	{sla.PriorityCritical, []string{"parado", "parada", "parou tudo", "fora do ar", "todos", "todo mundo", "producao",
		"emergencia", "down", "outage", "ninguem consegue"}},
	{sla.PriorityHigh, []string{"nao funciona", "nao consigo", "erro", "falha", "travado", "travando", "broken",
		"cannot", "failed", "urgente"}},
	{sla.PriorityLow, []string{"duvida", "solicitacao", "sugestao", "quando possivel", "question", "request",
		"gostaria", "informacao"}},
}

// matches reports whether the normalized text contains the folded word or
// phrase as whole words.
func matches(text, phrase string) bool {
	return strings.Contains(" "+text+" ", " "+phrase+" ")
}

// byKeywords classifies text by keywords: the category with the most
// matching words (confidence 0.5 for one, 0.6 for more), the strongest
// priority that matches (confidence 0.5), medium otherwise (0.3).
func byKeywords(text string, toks []string) Classification {
	norm := normalize(text)
	c := Classification{Priority: sla.PriorityMedium, PriorityConfidence: 0.3, Source: "keywords"}
	best := 0
	for _, kc := range keywordCategories {
		n := 0
		for _, w := range kc.words {
			if matches(norm, w) {
				n++
			}
		}
		if n > best {
			best, c.Category = n, kc.category
		}
	}
	switch {
	case best == 1:
		c.CategoryConfidence = 0.5
	case best > 1:
		c.CategoryConfidence = 0.6
	}
	for _, kp := range keywordPriorities {
		found := false
		for _, w := range kp.words {
			if matches(norm, w) {
				found = true
				break
			}
		}
		if found {
			c.Priority, c.PriorityConfidence = kp.priority, 0.5
			break
		}
	}
	c.Urgency = urgencyOf(c.Priority, toks)
	c.SuggestedReply = suggestReply(c.Category, c.Priority)
	return finish(c)
}
