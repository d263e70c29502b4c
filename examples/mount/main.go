// Command mount embeds Boladão's HTTP API in another program: the API is
// mounted under /helpdesk/ of the program's own mux, beside its own routes.
// It starts on a loopback port, calls itself, prints what it saw and stops.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/storage/memory"
)

func main() {
	ctx := context.Background()
	desk, err := helpdesk.New(memory.New())
	if err != nil {
		log.Fatal(err)
	}
	defer desk.Close()
	if _, err := desk.Bootstrap(ctx, "root@example.com", "example-password"); err != nil {
		log.Fatal(err)
	}
	api, err := httpapi.New(desk, httpapi.Config{})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "the host program's home page") })
	mux.Handle("/helpdesk/", http.StripPrefix("/helpdesk", api))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Shutdown(ctx)
	base := "http://" + ln.Addr().String()

	fmt.Print("GET / → ", get(base+"/", ""))
	fmt.Print("GET /helpdesk/health → ", get(base+"/helpdesk/health", ""))

	resp, err := http.Post(base+"/helpdesk/auth/login", "application/json",
		strings.NewReader(`{"email":"root@example.com","password":"example-password"}`))
	if err != nil {
		log.Fatal(err)
	}
	var tokens struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tokens); err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("POST /helpdesk/auth/login →", resp.Status, tokens.TokenType)

	var me struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if err := json.Unmarshal([]byte(get(base+"/helpdesk/auth/me", tokens.AccessToken)), &me); err != nil {
		log.Fatal(err)
	}
	fmt.Println("GET /helpdesk/auth/me →", me.Email, me.Role)
}

// get returns the body of a GET, with a bearer token when one is given.
func get(url, token string) string {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		log.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	return string(b)
}
