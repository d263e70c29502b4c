package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

// defaultMaxBodyBytes is the body size limit used when none is configured:
// 1 MiB, plenty for any JSON document this API accepts.
const defaultMaxBodyBytes int64 = 1 << 20

// DecodeError describes why a request body is not the JSON an endpoint
// expects. It matches ErrMalformedJSON with errors.Is and is answered with
// 400 malformed-json; the problem's detail is Error(), which gives the
// position, and Field (when known) is also listed in the problem's errors.
type DecodeError struct {
	// Offset is the zero-based byte offset in the body of the problem: the
	// offending byte for syntax errors, invalid UTF-8 and trailing data, the
	// escape of a lone surrogate, the start of the key for duplicate or
	// miscased keys, just past the value for wrong types, the end of the
	// body for a truncated document.
	Offset int64
	// Field is the dotted JSON path of the offending field ("sub.x"), or
	// empty when the problem is not tied to one field.
	Field string
	// Msg says what is wrong and how to fix it.
	Msg string
}

// Error reports the problem with its position.
func (e *DecodeError) Error() string {
	return "malformed JSON body at byte " + strconv.FormatInt(e.Offset, 10) + ": " + e.Msg
}

// Is makes errors.Is(err, ErrMalformedJSON) true.
func (e *DecodeError) Is(target error) bool { return target == ErrMalformedJSON }

// decodeJSON decodes the request body, one JSON value, into dst (a
// pointer). It requires "Content-Type: application/json" (a charset
// parameter must say utf-8) and reads at most maxBytes bytes (1 MiB when
// maxBytes <= 0). Failures come back as:
//
//   - ErrUnsupportedMediaType (415) for a missing or other content type;
//   - ErrBodyTooLarge, wrapping the *http.MaxBytesError (413);
//   - *DecodeError (400, ErrMalformedJSON) for an empty body, a syntax
//     error, a truncated document, a top-level null, a value of the wrong
//     type, data after the value, or a breach of I-JSON (invalid UTF-8, a
//     lone surrogate escape, a duplicate key) or of exact key names (a key
//     in another case than its field's) — each with its byte offset;
//   - *validation.Error (422) naming each unknown field ("unknown field")
//     and each string holding a control character (see strictjson.go);
//   - any other error (a programming error such as a non-pointer dst, or a
//     failed read) as is; answer it with 500.
//
// dst is left untouched unless the body is syntactically valid JSON.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any, maxBytes int64) error {
	if maxBytes <= 0 {
		maxBytes = defaultMaxBodyBytes
	}
	if err := checkJSONContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	if r.ContentLength > maxBytes {
		return tooLarge(&http.MaxBytesError{Limit: maxBytes})
	}
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	cr := &countingReader{r: http.MaxBytesReader(w, body, maxBytes)}

	// First pass: one syntactically valid JSON value.
	dec := json.NewDecoder(cr)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return firstPassError(err, cr.n)
	}
	end := dec.InputOffset()
	start := end - int64(len(raw))

	// Nothing but whitespace may follow.
	if off, found, err := firstNonSpace(io.MultiReader(dec.Buffered(), cr)); err != nil {
		return readError(err)
	} else if found {
		return &DecodeError{Offset: end + off, Msg: "unexpected data after the JSON value: send exactly one JSON value"}
	}
	if bytes.Equal(raw, []byte("null")) {
		return &DecodeError{Offset: start, Msg: "the body must be a JSON object, not null"}
	}
	// I-JSON and exact key names (strictjson.go).
	if err := strictCheck(raw, start, reflect.TypeOf(dst)); err != nil {
		return err
	}

	// Second pass: the value must fit dst.
	dec2 := json.NewDecoder(bytes.NewReader(raw))
	dec2.DisallowUnknownFields()
	err := dec2.Decode(dst)
	var (
		typeErr    *json.UnmarshalTypeError
		invalidErr *json.InvalidUnmarshalError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &invalidErr):
		return fmt.Errorf("httpapi: decodeJSON needs a non-nil pointer: %w", err)
	case errors.As(err, &typeErr):
		return typeError(typeErr, start)
	case strings.HasPrefix(err.Error(), `json: unknown field "`):
		// strictCheck reports unknown fields first; this is a safety net.
		name, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if uerr != nil {
			name = strings.TrimSuffix(strings.TrimPrefix(err.Error(), `json: unknown field "`), `"`)
		}
		return validation.Field(name, "unknown field")
	default:
		// An UnmarshalJSON or UnmarshalText method refused a value (a time
		// that is not RFC 3339, an unknown enum): the client's fault.
		return &DecodeError{Offset: start, Msg: "invalid value: " + err.Error()}
	}
}

// checkJSONContentType accepts "application/json" with an optional utf-8
// charset parameter.
func checkJSONContentType(v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%w (no Content-Type was sent)", ErrUnsupportedMediaType)
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil || mt != "application/json" {
		return fmt.Errorf("%w (got %q)", ErrUnsupportedMediaType, truncate(v, 100))
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return fmt.Errorf("%w (charset must be utf-8, got %q)", ErrUnsupportedMediaType, truncate(cs, 40))
	}
	return nil
}

func firstPassError(err error, read int64) error {
	var syn *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return &DecodeError{Offset: 0, Msg: "the request body is empty: send a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &DecodeError{Offset: read, Msg: "the body ends in the middle of the JSON value: check for a missing closing bracket or quote"}
	case errors.As(err, &syn):
		// SyntaxError.Offset counts the bytes read including the bad one.
		return &DecodeError{Offset: max(syn.Offset-1, 0), Msg: syn.Error()}
	default:
		return readError(err)
	}
}

// readError translates an error reading the body.
func readError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(mbe)
	}
	return fmt.Errorf("httpapi: reading request body: %w", err)
}

func tooLarge(mbe *http.MaxBytesError) error {
	return fmt.Errorf("%w: the limit is %d bytes: %w", ErrBodyTooLarge, mbe.Limit, mbe)
}

func typeError(e *json.UnmarshalTypeError, base int64) *DecodeError {
	want := jsonKind(e.Type)
	if e.Field == "" {
		return &DecodeError{Offset: base + e.Offset, Msg: fmt.Sprintf("the body must be %s, not %s", want, e.Value)}
	}
	return &DecodeError{Offset: base + e.Offset, Field: e.Field, Msg: fmt.Sprintf("field %q must be %s, not %s", e.Field, want, e.Value)}
}

// jsonKind names the JSON kind a Go type decodes from, with an article.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a JSON value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer in range"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "a non-negative integer in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	default:
		return "a JSON value"
	}
}

// firstNonSpace reads r to the end and reports the offset of its first
// byte that is not JSON whitespace.
func firstNonSpace(r io.Reader) (off int64, found bool, err error) {
	buf := make([]byte, 512)
	for {
		n, err := r.Read(buf)
		for i := range n {
			switch buf[i] {
			case ' ', '\t', '\r', '\n':
			default:
				return off + int64(i), true, nil
			}
		}
		off += int64(n)
		if errors.Is(err, io.EOF) {
			return off, false, nil
		}
		if err != nil {
			return off, false, err
		}
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// truncate shortens s to at most n bytes, for echoing client input safely.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
