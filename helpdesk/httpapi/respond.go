package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// writeJSON writes v as a JSON response with status, followed by a
// newline as json.Encoder writes it. A jsonAppender writes itself.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if a, ok := v.(jsonAppender); ok {
		_, _ = w.Write(append(a.appendJSON(make([]byte, 0, 8<<10)), '\n'))
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}

// fail writes err as a problem. A server error is logged once: by the
// access log's line for the request, which carries the error, or without
// an access log around the handler on a line of its own. Permission
// refusals and malformed, oversized or wrongly typed requests go to the
// security audit.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	switch {
	case p.Status >= 500:
		if info, ok := r.Context().Value(logInfoKey).(*logInfo); ok && info.logged {
			info.err = err.Error()
			break
		}
		a.log.ErrorContext(r.Context(), "request failed", "error", err.Error(),
			"request_id", requestIDFrom(r.Context()), "method", r.Method, "path", r.URL.Path)
	case p.Status == http.StatusForbidden && errors.Is(err, tenant.ErrForbidden):
		a.audit(r, audit.PermissionError, err.Error())
	case p.Status == http.StatusBadRequest, p.Status == http.StatusRequestEntityTooLarge,
		p.Status == http.StatusUnsupportedMediaType:
		a.audit(r, audit.RequestRejected, fmt.Sprintf("%d %s %s: %s", p.Status, r.Method, r.URL.Path, p.Detail))
	case p.Status == http.StatusUnprocessableEntity && unknownFields(p) != "":
		// A body with fields the endpoint does not take (role, company_id)
		// probes for mass assignment: worth an entry like a malformed one.
		a.audit(r, audit.RequestRejected, fmt.Sprintf("%d %s %s: unknown fields %s", p.Status, r.Method, r.URL.Path, unknownFields(p)))
	}
	writeProblem(w, r, p)
}

// unknownFields lists the fields p refuses as unknown, comma-separated.
func unknownFields(p Problem) string {
	var names []string
	for _, f := range p.Errors {
		if f.Message == "unknown field" {
			names = append(names, f.Field)
		}
	}
	return strings.Join(names, ", ")
}

// audit records a security event attributed to the request's principal,
// when it has one.
func (a *api) audit(r *http.Request, kind audit.Kind, detail string) {
	e := audit.Event{Kind: kind, Detail: truncate(detail, 300)}
	if p, ok := principalFrom(r.Context()); ok {
		e.UserID, e.CompanyID = p.Actor.UserID, p.Actor.CompanyID
	}
	a.record(r, e)
}

// etag is the strong ETag of a resource at a version.
func etag(version int64) string { return `"v` + strconv.FormatInt(version, 10) + `"` }

// writeResource writes one resource with its ETag.
func writeResource(w http.ResponseWriter, status int, version int64, v any) {
	w.Header().Set("ETag", etag(version))
	writeJSON(w, status, v)
}

// errBadIfMatch is a malformed If-Match header.
var errBadIfMatch = errors.New(`If-Match must be an ETag received from this API, such as "v3"`)

// ifMatch returns the version an update must apply to: 0 when If-Match is
// absent or "*", the version of the ETag otherwise.
func ifMatch(r *http.Request) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	h = strings.TrimPrefix(h, "W/")
	if !strings.HasPrefix(h, `"v`) || !strings.HasSuffix(h, `"`) || len(h) < 4 {
		return 0, badRequest(errBadIfMatch)
	}
	v, err := strconv.ParseInt(h[2:len(h)-1], 10, 64)
	if err != nil || v <= 0 {
		return 0, badRequest(errBadIfMatch)
	}
	return v, nil
}

// listPage is the JSON shape of every list response.
type listPage[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// pageOf converts a storage page to its JSON shape with conv.
func pageOf[S, T any](p storage.Page[S], conv func(S) T) listPage[T] {
	out := listPage[T]{Items: make([]T, len(p.Items)), NextCursor: string(p.NextCursor)}
	for i, s := range p.Items {
		out.Items[i] = conv(s)
	}
	return out
}

// pageRequest reads ?limit= and ?cursor=. The cursor may be an ID cursor
// (storage.CursorAfter) or a key cursor (storage.CursorAfterKey): AfterKey
// accepts both, and the store refuses one its list cannot resume from.
// A limit above Config.MaxPageSize is refused; none asks for the default
// page (storage.DefaultLimit, or MaxPageSize when smaller).
func (a *api) pageRequest(r *http.Request) (storage.PageRequest, error) {
	q := r.URL.Query()
	p := storage.PageRequest{Cursor: storage.Cursor(q.Get("cursor")), Limit: min(storage.DefaultLimit, a.cfg.MaxPageSize)}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > a.cfg.MaxPageSize {
			return p, fieldError("limit", fmt.Sprintf("must be an integer from 1 to %d", a.cfg.MaxPageSize))
		}
		p.Limit = n
	}
	if _, _, err := p.Cursor.AfterKey(); err != nil {
		return p, err
	}
	return p, nil
}

// boolParam reads an optional boolean query parameter.
func boolParam(r *http.Request, name string) (*bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, fieldError(name, "must be true or false")
	}
	return &b, nil
}

// idParam reads the {id} path wildcard as a positive integer; anything else
// is a missing resource.
func idParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, storage.ErrNotFound
	}
	return id, nil
}
