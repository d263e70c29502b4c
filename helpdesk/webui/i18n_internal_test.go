package webui

import (
	"io/fs"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/require"
)

// messageIDs reads the message IDs of every file of one language.
func messageIDs(t *testing.T, lang string) map[string]bool {
	t.Helper()
	files, err := fs.Glob(localeFiles, "locales/*."+lang+".toml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	ids := map[string]bool{}
	for _, f := range files {
		var m map[string]any
		_, err := toml.DecodeFS(localeFiles, f, &m)
		require.NoError(t, err, f)
		for id := range m {
			require.False(t, ids[id], "%s: message %q is defined twice", f, id)
			ids[id] = true
		}
	}
	return ids
}

// TestMessagesComplete checks that both languages define the same
// messages, and that every message a template names literally exists.
func TestMessagesComplete(t *testing.T) {
	en, pt := messageIDs(t, "en"), messageIDs(t, "pt-BR")
	for id := range en {
		require.True(t, pt[id], "pt-BR lacks %q", id)
	}
	for id := range pt {
		require.True(t, en[id], "en lacks %q", id)
	}
	literal := regexp.MustCompile(`\.T "([^"]+)"|\.TN "([^"]+)"`)
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".html" {
			return err
		}
		b, err := templateFS.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			id := m[1] + m[2]
			require.True(t, en[id], "%s names %q, which no message file defines", p, id)
		}
		return nil
	})
	require.NoError(t, err)
}

func TestLocaleFormats(t *testing.T) {
	c := &console{}
	var err error
	c.i18n, err = newBundle()
	require.NoError(t, err)
	sp, err := time.LoadLocation("America/Sao_Paulo")
	require.NoError(t, err)
	at := time.Date(2026, 12, 7, 17, 5, 0, 0, time.UTC) // 14:05 in São Paulo
	tests := []struct {
		lang, date, num, money, zero, one, many, left string
	}{
		{langPT, "07/12/2026 14:05", "1.234.567", "R$ 1.234,50", "0 chamado nesta página", "1 chamado nesta página", "2 chamados nesta página", "3h 05m"},
		{langEN, "Dec 7, 2026 2:05 PM", "1,234,567", "R$ 1,234.50", "0 tickets on this page", "1 ticket on this page", "2 tickets on this page", "3h 05m"},
	}
	for _, tt := range tests {
		l := c.locale(tt.lang, sp)
		require.Equal(t, tt.date, l.DateTime(at))
		require.Equal(t, tt.num, l.Num(1234567))
		require.Equal(t, tt.money, l.Money(123450))
		require.Equal(t, tt.zero, l.TN("tickets.count", 0), "pt-BR: 0 takes the singular")
		require.Equal(t, tt.one, l.TN("tickets.count", 1))
		require.Equal(t, tt.many, l.TN("tickets.count", 2))
		require.Equal(t, tt.left, l.Duration(3*time.Hour+5*time.Minute))
		require.Equal(t, "", l.DateTime(time.Time{}))
		require.True(t, strings.HasPrefix(l.T("no.such.message"), missingMessage))
	}
	require.Equal(t, "1.234d 5h", c.locale(langPT, sp).Duration(1234*24*time.Hour+5*time.Hour))
}

func TestChooseLanguage(t *testing.T) {
	c := &console{matcher: newMatcher()}
	tests := []struct {
		cookie, accept, want string
	}{
		{"", "", langPT},
		{"", "en-US,en;q=0.9", langEN},
		{"", "pt-BR,pt;q=0.9,en;q=0.8", langPT},
		{"", "fr-FR,fr;q=0.9", langPT},
		{"", "de, en-GB;q=0.5", langEN},
		{"pt-BR", "en-US", langPT},
		{"en", "pt-BR", langEN},
		{"xx", "en", langEN},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.accept != "" {
			r.Header.Set("Accept-Language", tt.accept)
		}
		if tt.cookie != "" {
			r.Header.Set("Cookie", langCookie+"="+tt.cookie)
		}
		require.Equal(t, tt.want, c.chooseLanguage(r), "%+v", tt)
	}
	require.True(t, slices.Contains([]string{langPT, langEN}, c.chooseLanguage(httptest.NewRequest("GET", "/", nil))))
}
