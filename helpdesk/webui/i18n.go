package webui

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed locales/*.toml
var localeFiles embed.FS

// The console's languages; the first is the default.
const (
	langPT = "pt-BR"
	langEN = "en"
)

// langCookie holds the language a person chose with the switch.
const langCookie = "boladao_lang"

// newBundle loads every message file under locales/: one pair per feature,
// <feature>.en.toml and <feature>.pt-BR.toml.
func newBundle() (*i18n.Bundle, error) {
	b := i18n.NewBundle(language.BrazilianPortuguese)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(localeFiles, "locales/*.toml")
	if err != nil {
		return nil, fmt.Errorf("webui: message files: %w", err)
	}
	for _, f := range files {
		data, err := localeFiles.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("webui: reading %s: %w", f, err)
		}
		if _, err := b.ParseMessageFileBytes(data, f); err != nil {
			return nil, fmt.Errorf("webui: parsing %s: %w", f, err)
		}
	}
	return b, nil
}

// newMatcher picks one of the console's languages (pt-BR first, the
// default) from a preference list.
func newMatcher() language.Matcher {
	return language.NewMatcher([]language.Tag{language.BrazilianPortuguese, language.English})
}

// chooseLanguage returns the person's language: the switch's cookie, else
// the browser's Accept-Language, else pt-BR.
func (c *console) chooseLanguage(r *http.Request) string {
	if ck, err := r.Cookie(langCookie); err == nil && (ck.Value == langPT || ck.Value == langEN) {
		return ck.Value
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, i, conf := c.matcher.Match(tags...)
			if conf != language.No && i == 1 {
				return langEN
			}
		}
	}
	return langPT
}

// locale formats texts, dates, numbers and money for one language.
type locale struct {
	lang    string
	loc     *i18n.Localizer
	printer *message.Printer
	tz      *time.Location
}

func (c *console) locale(lang string, tz *time.Location) *locale {
	tag := language.BrazilianPortuguese
	if lang == langEN {
		tag = language.AmericanEnglish
	}
	if tz == nil {
		tz = time.UTC
	}
	return &locale{lang: lang, loc: i18n.NewLocalizer(c.i18n, lang), printer: message.NewPrinter(tag), tz: tz}
}

// missingMessage marks a text without a translation; the tests look for it.
const missingMessage = "⟦"

// T translates message id; args are pairs of name and value for its
// template ({{.Name}}).
func (l *locale) T(id string, args ...any) string {
	var data map[string]any
	if len(args) > 0 {
		data = make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			data[fmt.Sprint(args[i])] = args[i+1]
		}
	}
	s, err := l.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return missingMessage + id + "⟧"
	}
	return s
}

// TN translates message id in the plural form for n; the message's
// template gets {{.Count}}, n formatted for the language.
func (l *locale) TN(id string, n int) string {
	s, err := l.loc.Localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: n,
		TemplateData: map[string]any{"Count": l.Num(int64(n))}})
	if err != nil {
		return missingMessage + id + "⟧"
	}
	return s
}

// Lang is the page's language tag (for <html lang>).
func (l *locale) Lang() string { return l.lang }

// DateTime formats t in the company's timezone: "07/12/2026 14:05" in
// pt-BR, "Dec 7, 2026 2:05 PM" in English. The zero time is "".
func (l *locale) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if l.lang == langEN {
		return t.In(l.tz).Format("Jan 2, 2006 3:04 PM")
	}
	return t.In(l.tz).Format("02/01/2006 15:04")
}

// ISO formats t for a <time datetime> attribute.
func (l *locale) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Num formats an integer with the language's digit grouping.
func (l *locale) Num(n int64) string {
	if n > -1000 && n < 1000 { // no grouping: the printer's work is not needed
		return strconv.FormatInt(n, 10)
	}
	return l.printer.Sprintf("%d", n)
}

// Money formats an amount in cents of Brazilian reais: "R$ 1.234,50" in
// pt-BR, "R$ 1,234.50" in English.
func (l *locale) Money(cents int64) string {
	return l.printer.Sprint(currency.Symbol(currency.BRL.Amount(float64(cents) / 100)))
}

// Duration formats a business-time span as hours and minutes ("3h 05m").
func (l *locale) Duration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	d = d.Round(time.Minute)
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	var s string
	switch {
	case h >= 48:
		s = l.T("duration.days_hours", "Days", l.Num(h/24), "Hours", h%24)
	case h > 0:
		s = fmt.Sprintf("%sh %02dm", l.Num(h), m)
	default:
		s = fmt.Sprintf("%dm", m)
	}
	if neg {
		return "−" + s
	}
	return s
}

// key builds the message ID of an enum value ("status.in_progress").
func key(prefix string, v any) string {
	return prefix + "." + strings.ToLower(fmt.Sprint(v))
}
