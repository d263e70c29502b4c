package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCORS(t *testing.T) {
	t.Parallel()
	const app = "https://app.example.com"
	tests := []struct {
		name        string
		cfg         corsConfig
		method      string
		origin      string
		preflight   bool
		wantStatus  int
		wantNext    bool
		wantOrigin  string
		wantCreds   bool
		wantExposed bool
	}{
		{name: "preflight allowed", cfg: corsConfig{AllowedOrigins: []string{app}}, method: http.MethodOptions, origin: app, preflight: true,
			wantStatus: 204, wantOrigin: app},
		{name: "preflight allowed with credentials", cfg: corsConfig{AllowedOrigins: []string{"HTTPS://App.Example.com/"}, AllowCredentials: true}, method: http.MethodOptions, origin: app, preflight: true,
			wantStatus: 204, wantOrigin: app, wantCreds: true},
		{name: "preflight disallowed origin", cfg: corsConfig{AllowedOrigins: []string{app}}, method: http.MethodOptions, origin: "https://evil.example", preflight: true,
			wantStatus: 403},
		{name: "preflight lookalike origin", cfg: corsConfig{AllowedOrigins: []string{app}}, method: http.MethodOptions, origin: app + ".evil.example", preflight: true,
			wantStatus: 403},
		{name: "simple request allowed", cfg: corsConfig{AllowedOrigins: []string{app}}, method: http.MethodGet, origin: app,
			wantStatus: 200, wantNext: true, wantOrigin: app, wantExposed: true},
		{name: "simple request disallowed passes without CORS headers", cfg: corsConfig{AllowedOrigins: []string{app}}, method: http.MethodGet, origin: "https://evil.example",
			wantStatus: 200, wantNext: true},
		{name: "same-origin (no Origin)", cfg: corsConfig{AllowedOrigins: []string{app}}, method: http.MethodGet,
			wantStatus: 200, wantNext: true},
		{name: "plain OPTIONS is not a preflight", cfg: corsConfig{AllowedOrigins: []string{app}}, method: http.MethodOptions, origin: app,
			wantStatus: 200, wantNext: true, wantOrigin: app, wantExposed: true},
		{name: "wildcard", cfg: corsConfig{AllowedOrigins: []string{"*"}}, method: http.MethodGet, origin: "https://any.example",
			wantStatus: 200, wantNext: true, wantOrigin: "*", wantExposed: true},
		{name: "wildcard preflight", cfg: corsConfig{AllowedOrigins: []string{"*"}}, method: http.MethodOptions, origin: "https://any.example", preflight: true,
			wantStatus: 204, wantOrigin: "*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mw, err := cors(tt.cfg)
			require.NoError(t, err)
			called := false
			h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
			r := httptest.NewRequest(tt.method, "/api/helpdesk/tickets", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.preflight {
				r.Header.Set("Access-Control-Request-Method", http.MethodPost)
				r.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			hd := w.Header()
			require.Equal(t, tt.wantStatus, w.Code)
			require.Equal(t, tt.wantNext, called)
			require.Contains(t, hd.Values("Vary"), "Origin")
			require.Equal(t, tt.wantOrigin, hd.Get("Access-Control-Allow-Origin"))
			if tt.wantCreds {
				require.Equal(t, "true", hd.Get("Access-Control-Allow-Credentials"))
			} else {
				require.Empty(t, hd.Get("Access-Control-Allow-Credentials"))
			}
			if tt.wantExposed {
				require.Equal(t, "ETag, Location, Retry-After, X-Request-ID", hd.Get("Access-Control-Expose-Headers"))
			} else {
				require.Empty(t, hd.Get("Access-Control-Expose-Headers"))
			}
			if tt.preflight {
				require.Contains(t, hd.Values("Vary"), "Access-Control-Request-Headers")
			}
			if tt.preflight && tt.wantStatus == 204 {
				require.Equal(t, "GET, HEAD, POST, PUT, DELETE", hd.Get("Access-Control-Allow-Methods"))
				allowedHeaders := hd.Get("Access-Control-Allow-Headers")
				for _, h := range []string{"Authorization", "Content-Type", "Idempotency-Key", "If-Match", "X-Company-ID", "X-Request-ID"} {
					require.Contains(t, allowedHeaders, h)
				}
				require.Equal(t, "600", hd.Get("Access-Control-Max-Age"))
				require.Empty(t, w.Body.String())
			}
			if tt.wantStatus == 403 {
				require.Equal(t, "application/problem+json", hd.Get("Content-Type"))
				require.Contains(t, w.Body.String(), ProblemTypeBase+"origin-not-allowed")
				require.Empty(t, hd.Get("Access-Control-Allow-Methods"))
			}
		})
	}
}

func TestCORSConfigErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]corsConfig{
		"wildcard with credentials": {AllowedOrigins: []string{"*"}, AllowCredentials: true},
		"path":                      {AllowedOrigins: []string{"https://app.example.com/app"}},
		"no scheme":                 {AllowedOrigins: []string{"app.example.com"}},
		"null origin":               {AllowedOrigins: []string{"null"}},
		"ftp":                       {AllowedOrigins: []string{"ftp://app.example.com"}},
		"userinfo":                  {AllowedOrigins: []string{"https://u@app.example.com"}},
	}
	for name, cfg := range tests {
		_, err := cors(cfg)
		require.Error(t, err, name)
	}
}
