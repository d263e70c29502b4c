package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// serveRoutes routes r on the mux and answers in problem+json what the
// mux would answer in plain text:
//
//   - a path no route serves is 404 not-found;
//   - a path served for other methods only is 405 method-not-allowed with
//     the Allow header the mux computes (RFC 9110 §15.5.6), before any
//     authentication, as ServeMux does;
//   - a path that is not in canonical form ("/api//tickets",
//     "/api/helpdesk/../health") is 301 to the canonical path, with a
//     problem+json body saying so; the request is not served.
//
// Requests the HTTP server refuses before any handler runs (a malformed
// Host, a NUL or other invalid byte in a header, an unparsable request
// line) never reach it: net/http answers them 400 in plain text.
func (a *api) serveRoutes(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		if clean := cleanPath(r.URL.Path); clean != r.URL.Path {
			writeMoved(w, r, clean)
			return
		}
	}
	h, pattern := a.mux.Handler(r)
	if pattern != "" {
		a.mux.ServeHTTP(w, r)
		return
	}
	// No route: the mux's own handler answers 405 (with Allow) when the
	// path exists for other methods, 404 otherwise. Run it on a probe to
	// learn which, and answer the same in problem+json.
	probe := &statusProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		allow := probe.header.Get("Allow")
		w.Header().Set("Allow", allow)
		writeProblem(w, r, newProblem(http.StatusMethodNotAllowed, "method-not-allowed",
			fmt.Sprintf("method %s is not allowed on %s: use %s", truncate(r.Method, 20), truncate(r.URL.Path, 200), allow)))
		return
	}
	writeProblem(w, r, newProblem(http.StatusNotFound, "not-found", "no such endpoint: see /openapi.json"))
}

// cleanPath returns the canonical form of p as ServeMux computes it:
// rooted, without "." or ".." elements or repeated slashes, keeping a
// trailing slash.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		if len(p) == len(np)+1 && strings.HasPrefix(p, np) {
			np = p
		} else {
			np += "/"
		}
	}
	return np
}

// movedProblem is the body of a redirect to the canonical path: the shape
// of a problem, for clients that read every non-2xx body as one.
type movedProblem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Location string `json:"location"`
}

// writeMoved answers 301 to the canonical path clean, with the query.
func writeMoved(w http.ResponseWriter, r *http.Request, clean string) {
	u := &url.URL{Path: clean, RawQuery: r.URL.RawQuery}
	loc := u.String()
	body, _ := json.Marshal(movedProblem{Type: ProblemTypeBase + "non-canonical-path", Title: http.StatusText(http.StatusMovedPermanently),
		Status: http.StatusMovedPermanently, Detail: "the path is not in canonical form: send the request to the path in Location", Location: loc})
	h := w.Header()
	h.Set("Location", loc)
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusMovedPermanently)
	_, _ = w.Write(append(body, '\n'))
}

// statusProbe records the status and headers a handler writes, and
// discards its body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header { return p.header }

func (p *statusProbe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

func (p *statusProbe) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}
