package validation_test

import (
	"errors"
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
