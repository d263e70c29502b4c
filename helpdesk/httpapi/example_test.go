package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// Mount the API under a prefix of your own server with http.StripPrefix:
// its paths are relative to the mount point (/helpdesk/auth/login,
// /helpdesk/api/helpdesk/tickets, /helpdesk/openapi.json).
func Example() {
	ctx := context.Background()
	desk, err := helpdesk.New(memory.New(), helpdesk.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		panic(err)
	}
	defer desk.Close()
	if _, err := desk.Bootstrap(ctx, "root@example.com", "correct horse battery"); err != nil {
		panic(err)
	}
	api, err := httpapi.New(desk, httpapi.Config{Version: "1.0.0"})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/helpdesk/", http.StripPrefix("/helpdesk", api))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "my own home page") })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	call := func(method, path, token, body string) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, method, srv.URL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}

	fmt.Println(call("GET", "/helpdesk/health", "", ""))
	fmt.Println(call("GET", "/", "", ""))
	_, body := call("POST", "/helpdesk/auth/login", "", `{"email":"root@example.com","password":"correct horse battery"}`)
	var tokens struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	_ = json.Unmarshal([]byte(body), &tokens)
	fmt.Println(tokens.TokenType, tokens.AccessToken != "")
	status, body := call("GET", "/helpdesk/auth/me", tokens.AccessToken, "")
	var me struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	_ = json.Unmarshal([]byte(body), &me)
	fmt.Println(status, me.Email, me.Role)
	status, body = call("GET", "/helpdesk/api/helpdesk/tickets", "", "")
	var problem struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
	}
	_ = json.Unmarshal([]byte(body), &problem)
	fmt.Println(status, problem.Type)
	// Output:
	// 200 {"status":"ok","version":"1.0.0"}
	// 200 my own home page
	// bearer true
	// 200 root@example.com platform_admin
	// 401 https://boladao.dev/problems/unauthenticated
}
