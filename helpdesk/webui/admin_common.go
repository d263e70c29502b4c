package webui

import (
	"crypto/rand"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
)

// The administration pages (admin_*.go), the integrations pages
// (integrations_*.go) and the operations page (ops.go) share these helpers:
// a notice after a redirect, IDs from paths and forms, and the pages'
// keyset links.

// noticeKey is the shape of a ?done= notice name.
var noticeKey = regexp.MustCompile(`^[a-z_]{1,40}$`)

// notice returns the translated notice named by the request's ?done=
// parameter (set by the redirect after a successful post), "" when there
// is none or the console does not know it.
func notice(q *request) string {
	k := q.r.URL.Query().Get("done")
	if !noticeKey.MatchString(k) {
		return ""
	}
	s := q.T("notice." + k)
	if strings.HasPrefix(s, missingMessage) {
		return ""
	}
	return s
}

// done redirects after a successful post to path, naming the notice to
// show there.
func (c *console) done(w http.ResponseWriter, r *http.Request, path, key string) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	http.Redirect(w, r, c.path(path+sep+"done="+key), http.StatusSeeOther)
}

// pathID reads a positive integer path value; anything else is the 404
// page.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

// formVersion reads the hidden version field of an edit form (0 when
// absent: no If-Match check).
func formVersion(r *http.Request) int64 {
	v, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	return v
}

// pageRequest reads the ?cursor= of a keyset page.
func pageRequest(r *http.Request, limit int) storage.PageRequest {
	return storage.PageRequest{Limit: limit, Cursor: storage.Cursor(r.URL.Query().Get("cursor"))}
}

// refused reports whether err is a refusal to show on the form (a field
// error, a conflict on a field) rather than an error page.
func refused(err error) bool { return errors.Is(err, validation.ErrInvalid) }

// temporaryPassword draws a password for an invited user or a reset
// (128 random bits in base32), shown once to the admin who hands it over.
func temporaryPassword() string { return rand.Text() }

// Int formats a count for the person's language.
func (q *request) Int(n int) string { return q.Num(int64(n)) }

// Percent formats a ratio in [0, 1] as a whole percentage ("97%").
func (q *request) Percent(r float64) string {
	return q.printer.Sprintf("%.0f%%", r*100)
}
