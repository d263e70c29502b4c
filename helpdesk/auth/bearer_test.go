package auth_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/auth"
)

func TestParseBearer(t *testing.T) {
	t.Parallel()
	const jwtLike = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.c2lnbmF0dXJl"
	const apiTok = "bld_abcdefgh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	maxTok := strings.Repeat("a", auth.MaxHeaderBytes-len("Bearer "))
	tests := []struct {
		name   string
		header string
		want   string // empty means refused
	}{
		{"jwt", "Bearer " + jwtLike, jwtLike},
		{"api token", "Bearer " + apiTok, apiTok},
		{"lower-case scheme", "bearer " + apiTok, apiTok},
		{"upper-case scheme", "BEARER x", "x"},
		{"mixed-case scheme", "bEaReR x", "x"},
		{"b64token punctuation", "Bearer a-b.c_d~e+f/g==", "a-b.c_d~e+f/g=="},
		{"exactly the maximum length", "Bearer " + maxTok, maxTok},

		{"empty", "", ""},
		{"only spaces", "   ", ""},
		{"scheme only", "Bearer", ""},
		{"scheme and space", "Bearer ", ""},
		{"only padding", "Bearer ==", ""},
		{"padding in the middle", "Bearer ab=cd", ""},
		{"basic", "Basic dXNlcjpwYXNz", ""},
		{"token scheme", "Token abc", ""},
		{"scheme prefix", "Bearerabc", ""},
		{"longer scheme", "Bearers abc", ""},
		{"no scheme", apiTok, ""},
		{"two spaces", "Bearer  abc", ""},
		{"tab separator", "Bearer\tabc", ""},
		{"leading space", " Bearer abc", ""},
		{"trailing space", "Bearer abc ", ""},
		{"trailing newline", "Bearer abc\n", ""},
		{"CRLF injection", "Bearer abc\r\nX-Evil: 1", ""},
		{"two tokens", "Bearer abc def", ""},
		{"comma list", "Bearer abc, Basic xyz", ""},
		{"quoted token", `Bearer "abc"`, ""},
		{"NUL byte", "Bearer ab\x00c", ""},
		{"non-ascii token", "Bearer tökén", ""},
		{"non-ascii scheme lookalike", "Bеarer abc", ""}, // Cyrillic е
		{"too long", "Bearer " + maxTok + "a", ""},
		{"far too long", "Bearer " + strings.Repeat("a", 1<<20), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := auth.ParseBearer(tt.header)
			if tt.want != "" {
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
				return
			}
			require.ErrorIs(t, err, auth.ErrMalformedHeader)
			require.Empty(t, got)
			if len(tt.header) > 7 {
				require.NotContains(t, err.Error(), tt.header[7:], "errors never echo the credential")
			}
		})
	}
}
