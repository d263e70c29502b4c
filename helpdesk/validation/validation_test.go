package validation_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

func TestEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"ana@example.com", "ana@example.com", true},
		{"  Ana.Souza@Example.COM.br ", "ana.souza@example.com.br", true},
		{"", "", false},
		{"ana", "", false},
		{"ana@localhost", "", false},
		{"Ana <ana@example.com>", "", false},
		{"ana@@example.com", "", false},
		{"ana@example.com.", "", false},
		{"a b@example.com", "", false},
		{strings.Repeat("a", 250) + "@x.io", "", false},
	}
	for _, tc := range tests {
		got, err := validation.Email(tc.in)
		if !tc.ok {
			require.Error(t, err, "input %q", tc.in)
			continue
		}
		require.NoError(t, err, "input %q", tc.in)
		require.Equal(t, tc.want, got)
	}
}

func TestPhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"+55 11 98765-4321", "+5511987654321", true},
		{"(11) 98765-4321", "+5511987654321", true},
		{"11 3456-7890", "+551134567890", true},
		{"0055 11 98765 4321", "+5511987654321", true},
		{"+1 (212) 555-0100", "+12125550100", true},
		{"", "", false},
		{"12345", "", false},
		{"+55 11 9876x4321", "", false},
		{"+0 11 98765 4321", "", false},
		{"+5511987654321000000", "", false},
	}
	for _, tc := range tests {
		got, err := validation.Phone(tc.in)
		if !tc.ok {
			require.Error(t, err, "input %q", tc.in)
			continue
		}
		require.NoError(t, err, "input %q", tc.in)
		require.Equal(t, tc.want, got)
	}
}

func TestBuilder(t *testing.T) {
	t.Parallel()
	var b validation.Builder
	require.NoError(t, b.Err())
	require.Equal(t, "Acme", b.Text("name", "  Acme ", 1, 10))
	require.NoError(t, b.Err())
	b.Text("name", "", 1, 10)
	b.Text("legal_name", strings.Repeat("x", 11), 1, 10)
	b.Text("note", "a\x00b", 0, 10)
	err := b.Err()
	require.True(t, errors.Is(err, validation.ErrInvalid))
	var ve *validation.Error
	require.ErrorAs(t, err, &ve)
	require.Len(t, ve.Fields, 3)
	require.True(t, ve.Has("legal_name"))
	require.Equal(t, "is required", ve.Fields[0].Message)
}

func FuzzPhone(f *testing.F) {
	for _, s := range []string{"+55 11 98765-4321", "(11) 3456-7890", "00 44 20 7946 0958"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := validation.Phone(s)
		if err != nil {
			return
		}
		// A normalised number is stable and well formed.
		again, err := validation.Phone(got)
		require.NoError(t, err)
		require.Equal(t, got, again)
		require.Regexp(t, `^\+[1-9][0-9]{7,14}$`, got)
	})
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]bool{
		"https://graph.facebook.com":   true,
		"http://127.0.0.1:8080/v1":     true,
		"https://api.openai.com/v1/":   true,
		"ftp://example.com":            false,
		"/v1":                          false,
		"https://":                     false,
		"https://example.com/v1?key=x": false,
		"https://example.com/v1#x":     false,
		"https://exa mple.com":         false,
	} {
		if got := validation.BaseURL(raw); got != want {
			t.Errorf("BaseURL(%q) = %v, want %v", raw, got, want)
		}
	}
}

func TestFilterAndSearch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		search   bool
		want     string // the message, "" when valid
	}{
		{"empty", "", false, ""},
		{"plain", "notebook 14\"", false, ""},
		{"accents", "manutenção", true, ""},
		{"NUL", "a\x00b", false, "must not contain a NUL byte"},
		{"NUL alone", "\x00", true, "must not contain a NUL byte"},
		{"tab", "a\tb", true, "must not contain control characters"},
		{"newline", "a\nb", false, "must not contain control characters"},
		{"DEL", "a\x7fb", false, "must not contain control characters"},
		{"C1", "a\u0085b", true, "must not contain control characters"},
		{"invalid UTF-8", "a\xffb", true, "must be valid UTF-8"},
		{"search at the cap", strings.Repeat("é", validation.MaxSearchLength), true, ""},
		{"search over the cap", strings.Repeat("é", validation.MaxSearchLength+1), true, "must have at most 200 characters (has 201)"},
		{"filter over the cap", strings.Repeat("x", validation.MaxFilterLength+1), false, "must have at most 254 characters (has 255)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var b validation.Builder
			if tc.search {
				b.Search("q", tc.in)
			} else {
				b.Filter("category", tc.in)
			}
			err := b.Err()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			var verr *validation.Error
			require.ErrorAs(t, err, &verr)
			require.Len(t, verr.Fields, 1)
			require.Equal(t, tc.want, verr.Fields[0].Message)
		})
	}
}

func TestTextRefusesNUL(t *testing.T) {
	t.Parallel()
	var b validation.Builder
	b.Text("title", "Printer\x00 down", 1, 200)
	var verr *validation.Error
	require.ErrorAs(t, b.Err(), &verr)
	require.Equal(t, []validation.FieldError{{Field: "title", Message: "must not contain a NUL byte"}}, verr.Fields)
}

func TestControl(t *testing.T) {
	t.Parallel()
	r, found := validation.Control("line\r\nnext\tcol", true)
	require.False(t, found, "%q", r)
	r, found = validation.Control("line\r\n", false)
	require.True(t, found)
	require.Equal(t, '\r', r)
	r, found = validation.Control("nul\x00", true)
	require.True(t, found)
	require.Equal(t, rune(0), r)
}

// TestBuilderKeepsTheCause keeps the error a field's message was made
// from, so that a caller can tell its kind; plain messages have none.
func TestBuilderKeepsTheCause(t *testing.T) {
	t.Parallel()
	errRefused := errors.New("address refused")
	wrapped := fmt.Errorf("%w: 10.0.0.1 is private", errRefused)
	for _, tc := range []struct {
		name  string
		build func(b *validation.Builder)
		want  error
	}{
		{"Add with an error", func(b *validation.Builder) { b.Add("url", "%v", wrapped) }, errRefused},
		{"Add with a string and an error", func(b *validation.Builder) { b.Add("url", "%s: %v", "bad", wrapped) }, errRefused},
		{"Check", func(b *validation.Builder) { b.Check("url", wrapped) }, errRefused},
		{"Add without an error", func(b *validation.Builder) { b.Add("url", "must be at most %d characters", 10) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var b validation.Builder
			tc.build(&b)
			var ve *validation.Error
			require.ErrorAs(t, b.Err(), &ve)
			require.Len(t, ve.Fields, 1)
			if tc.want == nil {
				require.NoError(t, ve.Fields[0].Err)
				return
			}
			require.ErrorIs(t, ve.Fields[0].Err, tc.want)
			require.Equal(t, wrapped.Error(), strings.TrimPrefix(ve.Fields[0].Message, "bad: "))
			require.NotErrorIs(t, b.Err(), tc.want, "the cause is the field's, not the whole error's")
		})
	}
}
