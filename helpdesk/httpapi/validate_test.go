package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkExchange checks what every response must honour: errors are
// problem+json documents whose status matches the response, and JSON
// bodies are valid JSON.
func checkExchange(t *testing.T, base string, req *http.Request, reqBody []byte, r response) {
	t.Helper()
	if r.Status >= 400 {
		require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), "%s %s: %s", req.Method, req.URL.Path, r.Body)
		var p struct {
			Type   string `json:"type"`
			Title  string `json:"title"`
			Status int    `json:"status"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &p))
		require.Equal(t, r.Status, p.Status)
		require.NotEmpty(t, p.Type)
		require.NotEmpty(t, p.Title)
		return
	}
	if len(r.Body) > 0 && r.Header.Get("Content-Type") == "application/json" {
		require.True(t, json.Valid(r.Body), "%s %s returned invalid JSON: %s", req.Method, req.URL.Path, r.Body)
	}
}
