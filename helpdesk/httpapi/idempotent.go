package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/idempotency"
)

// idempotent makes a create handler honour Idempotency-Key: the first
// request with a key runs and its response is stored; a replay with the same
// body gets the stored response (with Idempotent-Replayed: true); the same
// key with another body is 422; a key still in flight is 409. Responses with
// a 5xx status are not stored, so the client may retry them.
func (a *api) idempotent(h authedHandler) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			return h(w, r, p)
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return mbe
			}
			return badRequest(err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		k := idempotency.Key{CompanyID: p.Actor.CompanyID, Principal: p.Key(), Key: key}
		store := a.desk.Idempotency()
		rec, err := idempotency.Begin(r.Context(), store, k, idempotency.Hash(r.Method, r.URL.Path, body), a.now())
		if err != nil {
			return err
		}
		if rec != nil {
			w.Header().Set("Idempotent-Replayed", "true")
			if rec.ContentType != "" {
				w.Header().Set("Content-Type", rec.ContentType)
			}
			w.WriteHeader(rec.Status)
			_, _ = w.Write(rec.Body)
			return nil
		}
		rw := &capture{ResponseWriter: w, status: http.StatusOK}
		herr := h(rw, r, p)
		if herr != nil {
			// Turn the error into its problem response here, so that it
			// is stored like any other answer.
			a.fail(rw, r, herr)
		}
		ctx := context.WithoutCancel(r.Context())
		if rw.status >= 500 {
			if err := store.ReleaseIdempotencyKey(ctx, k); err != nil {
				a.log.ErrorContext(ctx, "releasing idempotency key", "error", err.Error())
			}
			return nil
		}
		if err := store.CompleteIdempotencyKey(ctx, k, rw.status, rw.Header().Get("Content-Type"), rw.body.Bytes()); err != nil {
			a.log.ErrorContext(ctx, "storing idempotent response", "error", err.Error())
		}
		return nil
	}
}

// capture is a ResponseWriter that also keeps the status and the body.
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *capture) WriteHeader(code int) {
	c.status = code
	c.ResponseWriter.WriteHeader(code)
}

func (c *capture) Write(b []byte) (int, error) {
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *capture) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// replayWriter gives a replayed 201 (Idempotent-Replayed: true) back the
// Location and ETag the idempotency store does not keep, read from the id
// and version of the stored body. It relies on the body being written in
// one Write, as the idempotency replay does.
type replayWriter struct {
	http.ResponseWriter
	location func(id int64) string
	// member names the body's member holding the resource; "" for the
	// body itself.
	member string
	// held is the status of a replayed 201, held back until its body
	// tells the Location.
	held int
}

// WriteHeader holds back the status of a replayed 201 until Write.
func (c *replayWriter) WriteHeader(code int) {
	if code == http.StatusCreated && c.Header().Get("Idempotent-Replayed") == "true" {
		c.held = code
		return
	}
	c.ResponseWriter.WriteHeader(code)
}

// Write sets the held-back headers of a replayed 201 from its body.
func (c *replayWriter) Write(b []byte) (int, error) {
	if c.held != 0 {
		var v struct {
			ID      int64 `json:"id"`
			Version int64 `json:"version"`
		}
		resource := json.RawMessage(b)
		if c.member != "" {
			var body map[string]json.RawMessage
			_ = json.Unmarshal(b, &body)
			resource = body[c.member]
		}
		if json.Unmarshal(resource, &v) == nil && v.ID > 0 && v.Version > 0 {
			c.Header().Set("Location", c.location(v.ID))
			c.Header().Set("ETag", etag(v.Version))
		}
		c.finish()
	}
	return c.ResponseWriter.Write(b)
}

// finish sends a held status whose body never came.
func (c *replayWriter) finish() {
	if c.held != 0 {
		code := c.held
		c.held = 0
		c.ResponseWriter.WriteHeader(code)
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *replayWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
