package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/sistemaboladao/boladao/helpdesk"
)

// Option configures New.
type Option func(*api)

// WithVersion sets the version reported by /health.
func WithVersion(v string) Option { return func(a *api) { a.version = v } }

type api struct {
	desk    *helpdesk.Desk
	version string
	mux     *http.ServeMux
}

// New returns the API of desk as an http.Handler.
func New(desk *helpdesk.Desk, opts ...Option) http.Handler {
	a := &api{desk: desk, version: "dev", mux: http.NewServeMux()}
	for _, o := range opts {
		o(a)
	}
	a.mux.HandleFunc("GET /health", a.health)
	return a.mux
}

func (a *api) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": a.version})
}

// writeJSON writes v as a JSON response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
