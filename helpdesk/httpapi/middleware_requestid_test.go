package httpapi

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRequestID(t *testing.T) {
	t.Parallel()
	generated := regexp.MustCompile(`^[0-9a-f]{32}$`)
	tests := []struct {
		name           string
		incoming       string
		acceptIncoming bool
		wantEcho       bool
	}{
		{name: "none sent", incoming: "", acceptIncoming: true},
		{name: "sane accepted", incoming: "abc-123_X.y", acceptIncoming: true, wantEcho: true},
		{name: "128 chars accepted", incoming: strings.Repeat("a", 128), acceptIncoming: true, wantEcho: true},
		{name: "129 chars replaced", incoming: strings.Repeat("a", 129), acceptIncoming: true},
		{name: "space replaced", incoming: "abc def", acceptIncoming: true},
		{name: "header injection replaced", incoming: "abc\r\nSet-Cookie: x=1", acceptIncoming: true},
		{name: "unicode replaced", incoming: "ação", acceptIncoming: true},
		{name: "log forging replaced", incoming: `x","level":"ERROR`, acceptIncoming: true},
		{name: "not trusted", incoming: "abc-123", acceptIncoming: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var seen string
			h := requestID(tt.acceptIncoming)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = requestIDFrom(r.Context())
			}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.incoming != "" {
				r.Header["X-Request-Id"] = []string{tt.incoming}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			echoed := w.Header().Get("X-Request-ID")
			require.Equal(t, seen, echoed)
			if tt.wantEcho {
				require.Equal(t, tt.incoming, echoed)
			} else {
				require.Regexp(t, generated, echoed)
			}
		})
	}
}

func TestRequestIDsAreUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		id := newRequestID()
		require.False(t, seen[id])
		seen[id] = true
	}
	require.Empty(t, requestIDFrom(t.Context()))
}
