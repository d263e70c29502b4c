package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
)

// contract is the OpenAPI document and its router, loaded once and only
// read afterwards.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

var loadContract = sync.OnceValues(func() (*contract, error) {
	// The HTML reference page is text: validate it as such.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(httpapi.OpenAPI())
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, err
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &contract{doc: doc, router: router}, nil
})

// openAPI returns the loaded contract, failing the test when it does not
// load.
func openAPI(t *testing.T) *contract {
	t.Helper()
	c, err := loadContract()
	require.NoError(t, err, "the OpenAPI document must load and validate")
	return c
}

// validationOptions are the options of every validation: authentication
// is the server's job, so any credential (or none) passes the security
// requirement, and the rest of the request is still validated.
func validationOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		MultiError:            true,
		IncludeResponseStatus: true,
		AuthenticationFunc:    func(context.Context, *openapi3filter.AuthenticationInput) error { return nil },
	}
}

// deliberatelyMalformed are the statuses of requests the tests send
// malformed on purpose (invalid JSON, wrong content type, oversized,
// unknown or invalid fields): their requests are expected to break the
// contract, their responses still must honour it.
var deliberatelyMalformed = map[int]bool{400: true, 413: true, 415: true, 422: true}

// checkExchange checks one request and its response against the OpenAPI
// document and what every response must honour: errors are problem+json
// documents whose status matches the response, JSON bodies are valid JSON.
//
// The request is validated (parameters, headers, body) unless the
// response says it was deliberately malformed; the response is always
// validated: status, headers, content type and body. A path or method the
// document does not list must be answered 404 (or 405) with a problem.
func checkExchange(t *testing.T, base string, req *http.Request, reqBody []byte, r response) {
	t.Helper()
	what := req.Method + " " + req.URL.RequestURI()
	if r.Status >= 400 {
		require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), "%s: %s", what, r.Body)
		var p struct {
			Type   string `json:"type"`
			Title  string `json:"title"`
			Status int    `json:"status"`
			Detail string `json:"detail"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &p), "%s", what)
		require.Equal(t, r.Status, p.Status, "%s", what)
		require.NotEmpty(t, p.Type, "%s", what)
		require.NotEmpty(t, p.Title, "%s", what)
	}
	if len(r.Body) > 0 && r.Header.Get("Content-Type") == "application/json" {
		require.True(t, json.Valid(r.Body), "%s returned invalid JSON: %s", what, r.Body)
	}

	c := openAPI(t)
	// Validate a copy of the request: the original has been sent.
	vreq := req.Clone(context.Background())
	if req.Method == http.MethodHead {
		vreq.Method = http.MethodGet // ServeMux answers HEAD with the GET route
	}
	u, err := url.Parse(strings.TrimSuffix(base, "/") + req.URL.RequestURI())
	require.NoError(t, err)
	vreq.URL = u
	vreq.Host = u.Host
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	vreq.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	vreq.ContentLength = int64(len(reqBody))

	route, params, err := c.router.FindRoute(vreq)
	if errors.Is(err, routers.ErrPathNotFound) || errors.Is(err, routers.ErrMethodNotAllowed) {
		// Not in the document: the server must not serve it either.
		require.Contains(t, []int{http.StatusNotFound, http.StatusMethodNotAllowed}, r.Status,
			"%s is not in the OpenAPI document but the server answered %d: document it (%s)", what, r.Status, r.Body)
		return
	}
	require.NoError(t, err, "%s: finding the route in the OpenAPI document", what)
	if route.Operation.Security == nil || len(*route.Operation.Security) > 0 {
		// An authenticated operation: tenant data must not be kept by
		// shared caches or the browser.
		require.Equal(t, "no-store", r.Header.Get("Cache-Control"), "%s: an authenticated operation", what)
		if r.Status < 400 {
			require.Contains(t, r.Header.Values("Vary"), "Authorization", "%s: an authenticated operation", what)
		}
	}
	if r.Status == http.StatusNotFound {
		require.NotContains(t, string(r.Body), "no such endpoint",
			"%s is in the OpenAPI document but the server has no such endpoint", what)
	}

	in := validationInput(route, params, vreq)
	if !deliberatelyMalformed[r.Status] {
		err := openapi3filter.ValidateRequest(context.Background(), in)
		if r.Status == http.StatusNotFound && onlyPathParameterErrors(err) {
			// A malformed ID in the path names no resource: the server
			// answers 404, as for any missing one.
			err = nil
		}
		require.NoError(t, err, "%s: the request does not match the OpenAPI document (response %d: %s)", what, r.Status, r.Body)
	}
	// ValidateRequest may have consumed the body.
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	err = validateResponse(in, r.Status, r.Header, r.Body)
	require.NoError(t, err, "%s: the response %d does not match the OpenAPI document: %s", what, r.Status, truncateBody(r.Body))
}

// validationInput is the request validation input of req on route.
func validationInput(route *routers.Route, params map[string]string, req *http.Request) *openapi3filter.RequestValidationInput {
	return &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: validationOptions()}
}

// validateResponse validates a response to the request of in.
func validateResponse(in *openapi3filter.RequestValidationInput, status int, header http.Header, body []byte) error {
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                in.Options,
	})
}

// onlyPathParameterErrors reports whether err is made only of path
// parameter violations.
func onlyPathParameterErrors(err error) bool {
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		for _, e := range multi {
			if !onlyPathParameterErrors(e) {
				return false
			}
		}
		return len(multi) > 0
	}
	var re *openapi3filter.RequestError
	return errors.As(err, &re) && re.Parameter != nil && re.Parameter.In == "path"
}

func truncateBody(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}
