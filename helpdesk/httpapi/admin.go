package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
)

// The admin API is the seed's dynamic CRUD over the directory:
//
//	GET    /admin/api/{model}        list, with ?limit, ?cursor and filters
//	POST   /admin/api/{model}        create (201, ETag, Location; Idempotency-Key)
//	GET    /admin/api/{model}/{id}   read (ETag)
//	PUT    /admin/api/{model}/{id}   partial update (If-Match)
//	DELETE /admin/api/{model}/{id}   soft delete: deactivate, or revoke a token (If-Match)
//
// for the models companies, contacts, users and api_tokens. Each model has
// explicit patterns; two catch-alls answer unknown models with 404 and other
// methods on a known model with a 405 problem. Authorization, tenant scoping
// and validation belong to the directory service: the handlers only
// translate between HTTP and its calls.

// adminModel holds the handlers of one admin model.
type adminModel struct {
	name                      string
	list, get, update, remove authedHandler
	create                    createFunc
}

// createFunc creates a resource from the request and returns it; the
// caller writes the response.
type createFunc func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) (created, error)

// created is a resource a createFunc made.
type created struct {
	id      int64
	version int64
	// body is the JSON representation of the resource.
	body any
	// secret, when set, is added to the response as "token" but never
	// stored with the idempotency key (see createWriter).
	secret string
}

// The Allow headers of the admin paths, as ServeMux would send them.
const (
	adminCollectionAllow = "GET, HEAD, POST"
	adminItemAllow       = "DELETE, GET, HEAD, PUT"
)

// adminBase is the path every admin model hangs from.
const adminBase = "/admin/api/"

// adminModels are the models of the admin API.
func (a *api) adminModels() []adminModel {
	return []adminModel{a.companiesModel(), a.contactsModel(), a.usersModel(), a.apiTokensModel()}
}

// adminRoutes registers the admin API on the mux.
func (a *api) adminRoutes() {
	models := a.adminModels()
	known := make(map[string]bool, len(models))
	for _, m := range models {
		known[m.name] = true
		base := adminBase + m.name
		a.mux.Handle("GET "+base, a.authed(m.list))
		a.mux.Handle("POST "+base, a.adminCreate(m.name, m.create))
		a.mux.Handle("GET "+base+"/{id}", a.authed(m.get))
		a.mux.Handle("PUT "+base+"/{id}", a.authed(m.update))
		a.mux.Handle("DELETE "+base+"/{id}", a.authed(m.remove))
	}
	a.mux.Handle(adminBase+"{model}", adminFallback(known, adminCollectionAllow))
	a.mux.Handle(adminBase+"{model}/{id}", adminFallback(known, adminItemAllow))
}

// adminFallback answers what the explicit patterns do not: an unknown
// model is 404, another method on a known model is 405 with Allow. Like
// ServeMux's own 404 and 405, it answers before authentication.
func adminFallback(known map[string]bool, allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !known[r.PathValue("model")] {
			writeError(w, r, errUnknownModel)
			return
		}
		w.Header().Set("Allow", allow)
		writeProblem(w, r, newProblem(http.StatusMethodNotAllowed, "method-not-allowed",
			fmt.Sprintf("method %s is not allowed on this path: use %s", r.Method, allow)))
	})
}

// adminCreate serves POST /admin/api/{model}: create runs under
// Idempotency-Key, and the resource is answered with 201, its ETag and its
// Location.
func (a *api) adminCreate(model string, create createFunc) http.Handler {
	return a.authed(func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
		cw := &createWriter{ResponseWriter: w, model: model}
		err := a.idempotent(func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
			res, err := create(w, r, p)
			if err != nil {
				return err
			}
			if res.secret != "" {
				cw.secret = res.secret
				w.Header().Set("Cache-Control", "no-store")
			}
			w.Header().Set("Location", adminLocation(model, res.id))
			writeResource(w, http.StatusCreated, res.version, res.body)
			return nil
		})(cw, r, p)
		cw.finish()
		return err
	})
}

// adminLocation is the path of the resource id of model.
func adminLocation(model string, id int64) string {
	return adminBase + model + "/" + strconv.FormatInt(id, 10)
}

// createWriter stands between the idempotency layer and the client, and
// mends two things the idempotency store does not keep:
//
//   - A replayed 201 (Idempotent-Replayed: true) gets back its Location and
//     ETag, read from the id and version of the stored body.
//   - A one-time secret (a new API token's "token") is added to the body
//     on its way to the client, after the idempotency layer has captured
//     the body without it: plain secrets are never stored, so a replay
//     answers the token without "token".
//
// Both rely on the body being written in one Write, as writeJSON and the
// idempotency replay do.
type createWriter struct {
	http.ResponseWriter
	model  string
	secret string
	// held is the status of a replayed 201, held back until its body
	// tells the Location.
	held int
}

// WriteHeader holds back the status of a replayed 201 until Write.
func (c *createWriter) WriteHeader(code int) {
	if code == http.StatusCreated && c.Header().Get("Idempotent-Replayed") == "true" {
		c.held = code
		return
	}
	c.ResponseWriter.WriteHeader(code)
}

// Write sets the held-back headers of a replayed 201 from its body and
// adds the one-time secret to the body, if any.
func (c *createWriter) Write(b []byte) (int, error) {
	if c.held != 0 {
		var v struct {
			ID      int64 `json:"id"`
			Version int64 `json:"version"`
		}
		if json.Unmarshal(b, &v) == nil && v.ID > 0 && v.Version > 0 {
			c.Header().Set("Location", adminLocation(c.model, v.ID))
			c.Header().Set("ETag", etag(v.Version))
		}
		c.finish()
	}
	if c.secret != "" {
		out := withToken(b, c.secret)
		c.secret = ""
		if _, err := c.ResponseWriter.Write(out); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.ResponseWriter.Write(b)
}

// finish sends a held status whose body never came.
func (c *createWriter) finish() {
	if c.held != 0 {
		code := c.held
		c.held = 0
		c.ResponseWriter.WriteHeader(code)
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *createWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// withToken adds "token": secret as the last member of the JSON object in
// body.
func withToken(body []byte, secret string) []byte {
	end := bytes.LastIndexByte(body, '}')
	if end < 0 {
		return body
	}
	tok, _ := json.Marshal(secret) // a string always marshals
	out := make([]byte, 0, len(body)+len(tok)+10)
	out = append(out, body[:end]...)
	if inner := bytes.TrimSpace(body[:end]); len(inner) > 0 && inner[len(inner)-1] != '{' {
		out = append(out, ',')
	}
	out = append(out, `"token":`...)
	out = append(out, tok...)
	return append(out, body[end:]...)
}

// adminTime is t in UTC; the zero time stays zero so that omitzero drops
// it.
func adminTime(t time.Time) timeJSON {
	if t.IsZero() {
		return timeJSON{}
	}
	return timeJSON(t.UTC())
}

// timeJSON is a timestamp of a response: RFC 3339 with up to nanoseconds,
// as time.Time marshals. It marshals through MarshalText, which
// encoding/json quotes as it goes, where time.Time's MarshalJSON output is
// validated and compacted again: a tenth of the CPU of a list of 50
// tickets.
type timeJSON time.Time

// MarshalText implements encoding.TextMarshaler.
func (t timeJSON) MarshalText() ([]byte, error) { return time.Time(t).MarshalText() }

// IsZero reports the zero time, for omitzero.
func (t timeJSON) IsZero() bool { return time.Time(t).IsZero() }

// queryText reads a free-text query parameter, trimmed.
func queryText(r *http.Request, name string) string {
	return strings.TrimSpace(r.URL.Query().Get(name))
}
