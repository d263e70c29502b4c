package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

type decodeTarget struct {
	Name  string    `json:"name"`
	Count int       `json:"count"`
	Tags  []string  `json:"tags"`
	When  time.Time `json:"when"`
	Sub   struct {
		OK bool `json:"ok"`
	} `json:"sub"`
}

func newJSONRequest(body, contentType string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	const ct = "application/json"
	tests := []struct {
		name        string
		body        string
		contentType string
		maxBytes    int64
		want        error // sentinel the error must match; nil for success
		offset      int64 // for *DecodeError
		field       string
		msgHas      string
		fields      []validation.FieldError // for validation.ErrInvalid
	}{
		{name: "ok", body: `{"name":"ana","count":2,"tags":["a"],"sub":{"ok":true}}`, contentType: ct},
		{name: "charset utf-8 allowed", body: `{"name":"ana"}`, contentType: "application/json; charset=UTF-8"},
		{name: "whitespace around", body: " \n{\"name\":\"ana\"}\n\t ", contentType: ct},
		{name: "no content type", body: `{}`, want: ErrUnsupportedMediaType},
		{name: "text/plain", body: `{}`, contentType: "text/plain", want: ErrUnsupportedMediaType},
		{name: "json suffix types refused", body: `{}`, contentType: "application/merge-patch+json", want: ErrUnsupportedMediaType},
		{name: "latin1 charset refused", body: `{}`, contentType: "application/json; charset=iso-8859-1", want: ErrUnsupportedMediaType},
		{name: "garbage content type", body: `{}`, contentType: "application/json; ;;=", want: ErrUnsupportedMediaType},
		{name: "too large", body: `{"name":"` + strings.Repeat("a", 100) + `"}`, contentType: ct, maxBytes: 50, want: ErrBodyTooLarge},
		{name: "empty", body: "", contentType: ct, want: ErrMalformedJSON, offset: 0, msgHas: "empty"},
		{name: "only whitespace", body: "   ", contentType: ct, want: ErrMalformedJSON, offset: 0, msgHas: "empty"},
		{name: "syntax error", body: `{"name":"a",}`, contentType: ct, want: ErrMalformedJSON, offset: 12, msgHas: "invalid character '}'"},
		{name: "syntax error later", body: `{"name": tru}`, contentType: ct, want: ErrMalformedJSON, offset: 12, msgHas: "invalid character"},
		{name: "truncated", body: `{"name":"a"`, contentType: ct, want: ErrMalformedJSON, offset: 11, msgHas: "ends in the middle"},
		{name: "wrong type", body: `{"name":1}`, contentType: ct, want: ErrMalformedJSON, offset: 9, field: "name", msgHas: `field "name" must be a string, not number`},
		{name: "wrong nested type after whitespace", body: `  {"sub":{"ok":"yes"}}`, contentType: ct, want: ErrMalformedJSON, offset: 20, field: "sub.ok", msgHas: "must be a boolean"},
		{name: "overflow", body: `{"count":1e400}`, contentType: ct, want: ErrMalformedJSON, field: "count", offset: 14, msgHas: "integer in range"},
		{name: "array element type", body: `{"tags":[1]}`, contentType: ct, want: ErrMalformedJSON, field: "tags", offset: 10, msgHas: "must be a string"},
		{name: "duplicate key", body: `{"name":"a","name":"b"}`, contentType: ct, want: ErrMalformedJSON, offset: 12, field: "name", msgHas: `duplicate key "name"`},
		{name: "duplicate nested key", body: `{"sub":{"ok":true, "ok":false}}`, contentType: ct, want: ErrMalformedJSON, offset: 19, field: "sub.ok", msgHas: `duplicate key "ok"`},
		{name: "duplicate key by escape", body: `{"name":"a","n\u0061me":"b"}`, contentType: ct, want: ErrMalformedJSON, offset: 12, field: "name", msgHas: `duplicate key "name"`},
		{name: "case variant of a field", body: `{"name":"a","Name":"b"}`, contentType: ct, want: ErrMalformedJSON, offset: 12, field: "Name", msgHas: `key "Name" must be spelled "name"`},
		{name: "case variant alone", body: `{"NAME":"a"}`, contentType: ct, want: ErrMalformedJSON, offset: 1, field: "NAME", msgHas: "case-sensitive"},
		{name: "invalid UTF-8", body: "{\"name\":\"a\xffb\"}", contentType: ct, want: ErrMalformedJSON, offset: 10, field: "name", msgHas: "invalid UTF-8"},
		{name: "invalid UTF-8 in a key", body: "{\"n\xc3\":1}", contentType: ct, want: ErrMalformedJSON, offset: 3, msgHas: "invalid UTF-8"},
		{name: "lone high surrogate", body: `{"name":"\ud800"}`, contentType: ct, want: ErrMalformedJSON, offset: 9, field: "name", msgHas: "lone surrogate"},
		{name: "lone low surrogate", body: `{"tags":["ok","\udc00x"]}`, contentType: ct, want: ErrMalformedJSON, offset: 15, field: "tags[1]", msgHas: "lone surrogate"},
		{name: "high surrogate then other escape", body: `{"name":"\ud800\u0041"}`, contentType: ct, want: ErrMalformedJSON, offset: 9, field: "name", msgHas: "lone surrogate"},
		{name: "unknown field", body: `{"name":"a", "nmae":"b"}`, contentType: ct, want: validation.ErrInvalid,
			fields: []validation.FieldError{{Field: "nmae", Message: "unknown field"}}},
		{name: "unknown fields, nested too", body: `{"sub":{"ok":true,"extra":{"name":1}},"x":[{"y":1}]}`, contentType: ct, want: validation.ErrInvalid,
			fields: []validation.FieldError{{Field: "sub.extra", Message: "unknown field"}, {Field: "x", Message: "unknown field"}}},
		{name: "NUL in a string", body: `{"name":"a\u0000b"}`, contentType: ct, want: validation.ErrInvalid,
			fields: []validation.FieldError{{Field: "name", Message: "must not contain a NUL byte"}}},
		{name: "control characters in an array", body: `{"name":"a","tags":["ok","\u001b[31m","\u0085","\b"]}`, contentType: ct, want: validation.ErrInvalid,
			fields: []validation.FieldError{{Field: "tags[1]", Message: "must not contain control characters (found U+001B)"},
				{Field: "tags[2]", Message: "must not contain control characters (found U+0085)"},
				{Field: "tags[3]", Message: "must not contain control characters (found U+0008)"}}},
		{name: "raw DEL", body: "{\"name\":\"a\x7f\"}", contentType: ct, want: validation.ErrInvalid,
			fields: []validation.FieldError{{Field: "name", Message: "must not contain control characters (found U+007F)"}}},
		{name: "tab, newline and carriage return are text", body: `{"name":"ana","tags":["a\tb\r\nc"]}`, contentType: ct},
		{name: "escaped key and surrogate pair", body: `{"n\u0061me":"ana","tags":["\ud83d\ude00"]}`, contentType: ct},
		{name: "trailing object", body: `{"name":"a"} {"name":"b"}`, contentType: ct, want: ErrMalformedJSON, offset: 13, msgHas: "after the JSON value"},
		{name: "trailing garbage", body: "{}\n  x", contentType: ct, want: ErrMalformedJSON, offset: 5, msgHas: "after the JSON value"},
		{name: "top-level array", body: `[1,2]`, contentType: ct, want: ErrMalformedJSON, offset: 1, msgHas: "must be an object, not array"},
		{name: "top-level null", body: ` null`, contentType: ct, want: ErrMalformedJSON, offset: 1, msgHas: "not null"},
		{name: "bad time", body: `{"when":"yesterday"}`, contentType: ct, want: ErrMalformedJSON, msgHas: "invalid value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var dst decodeTarget
			err := decodeJSON(httptest.NewRecorder(), newJSONRequest(tt.body, tt.contentType), &dst, tt.maxBytes)
			if tt.want == nil {
				require.NoError(t, err)
				require.Equal(t, "ana", dst.Name)
				return
			}
			if errors.Is(tt.want, validation.ErrInvalid) {
				var verr *validation.Error
				require.ErrorAs(t, err, &verr)
				require.Equal(t, tt.fields, verr.Fields)
				require.Equal(t, http.StatusUnprocessableEntity, problemFor(err).Status)
				return
			}
			require.ErrorIs(t, err, tt.want)
			if !errors.Is(tt.want, ErrMalformedJSON) {
				return
			}
			var de *DecodeError
			require.ErrorAs(t, err, &de)
			require.Equal(t, tt.offset, de.Offset, de.Error())
			require.Equal(t, tt.field, de.Field)
			require.Contains(t, de.Msg, tt.msgHas)
			require.Contains(t, de.Error(), "at byte")
			require.Equal(t, http.StatusBadRequest, problemFor(err).Status)
		})
	}
}

func TestDecodeJSONTooLargeByContentLength(t *testing.T) {
	t.Parallel()
	r := newJSONRequest(`{"name":"abcdefghijklmnopqrstuvwxyz"}`, "application/json")
	var dst decodeTarget
	err := decodeJSON(httptest.NewRecorder(), r, &dst, 10)
	require.ErrorIs(t, err, ErrBodyTooLarge)
	p := problemFor(err)
	require.Equal(t, http.StatusRequestEntityTooLarge, p.Status)
	require.Contains(t, p.Detail, "10 bytes")
}

func TestDecodeJSONTooLargeInTrailingData(t *testing.T) {
	t.Parallel()
	r := newJSONRequest(`{}`+strings.Repeat(" ", 100), "application/json")
	r.ContentLength = -1 // unknown, as with chunked encoding
	var dst decodeTarget
	require.ErrorIs(t, decodeJSON(httptest.NewRecorder(), r, &dst, 50), ErrBodyTooLarge)
}

func TestDecodeJSONLeavesDstOnSyntaxError(t *testing.T) {
	t.Parallel()
	dst := decodeTarget{Name: "before"}
	err := decodeJSON(httptest.NewRecorder(), newJSONRequest(`{"name":"after",`, "application/json"), &dst, 0)
	require.ErrorIs(t, err, ErrMalformedJSON)
	require.Equal(t, "before", dst.Name)
}

func TestDecodeJSONProgrammingError(t *testing.T) {
	t.Parallel()
	var dst decodeTarget
	err := decodeJSON(httptest.NewRecorder(), newJSONRequest(`{}`, "application/json"), dst, 0)
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrMalformedJSON)
	require.Equal(t, http.StatusInternalServerError, problemFor(err).Status)
}

func TestDecodeJSONNilBody(t *testing.T) {
	t.Parallel()
	r := newJSONRequest("", "application/json")
	r.Body = nil
	var dst decodeTarget
	require.ErrorIs(t, decodeJSON(httptest.NewRecorder(), r, &dst, 0), ErrMalformedJSON)
}

func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"name":"ana","count":2,"tags":["a","b"],"sub":{"ok":true}}`,
		`{"name":1}`, `{"nmae":"x"}`, `{} {}`, `[`, `null`, ``, `"\ud800"`, `{"count":-0.5e3}`,
		`{"tags":null,"when":"2026-01-02T03:04:05Z"}`, "\xef\xbb\xbf{}", `{"sub":{"ok":tru`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/json")
		var dst decodeTarget
		err := decodeJSON(httptest.NewRecorder(), r, &dst, 4096)
		if len(body) > 4096 {
			require.Error(t, err)
			return
		}
		if !json.Valid(body) {
			require.Error(t, err, "invalid JSON accepted: %q", body)
		}
		if err == nil {
			require.True(t, utf8.Valid(body), "invalid UTF-8 accepted: %q", body)
		}
		if err != nil {
			p := problemFor(err)
			require.Contains(t, []int{400, 413, 422}, p.Status, "error %v", err)
			var de *DecodeError
			if errors.As(err, &de) {
				require.GreaterOrEqual(t, de.Offset, int64(0))
				require.LessOrEqual(t, de.Offset, int64(len(body)))
			}
		}
	})
}
