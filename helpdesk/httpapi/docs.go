package httpapi

import (
	"net/http"
	"sync"
)

// docRoutes serves the OpenAPI document and the reference page rendered
// from it. Both are public: they describe the API, not its data.
func (a *api) docRoutes() {
	a.mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(openAPIJSON)
	})
	docs := sync.OnceValues(func() (docsRendered, error) {
		page, csp, err := renderDocs()
		return docsRendered{page: page, csp: csp}, err
	})
	a.mux.HandleFunc("GET /docs", func(w http.ResponseWriter, r *http.Request) {
		d, err := docs()
		if err != nil {
			a.fail(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", d.csp)
		h.Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(d.page)
	})
}

// docsRendered is the reference page and the CSP that goes with it.
type docsRendered struct {
	page []byte
	csp  string
}
