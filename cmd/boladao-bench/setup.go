package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
)

// Credentials of the benchmark's company admin.
const (
	adminEmail    = "admin@bench.example"
	adminPassword = "bench-password-0123"
)

// env is everything the scenarios run against: the store, the desk, the API
// server on loopback and a logged-in company admin.
type env struct {
	store *bunstore.Store
	desk  *helpdesk.Desk
	api   *server
	admin directory.User
	token string
	// apiToken is an API token of the admin's company (all its
	// permissions), for the API-token variant of the auth scenario.
	apiToken string
	// assetSeedTime is how long seeding the inventory took.
	assetSeedTime time.Duration
	// assetWalk locates the deep page of the asset list.
	assetWalk listWalk
	// tickets is the seeded ticket data set; ticketSeedTime how long
	// seeding it took; ticketWalk locates the deep page of the ticket list.
	tickets        bunstoretest.SeededTickets
	ticketSeedTime time.Duration
	ticketWalk     listWalk
	// idle is the memory of the started server before the data sets.
	idle    idleMemory
	cleanup []func() error
}

// setup opens a fresh store, assembles the desk, serves the API on
// loopback, seeds the benchmark company, logs its admin in, measures the
// idle memory, then loads the asset and ticket data sets. On failure it
// releases what it had acquired.
func setup(ctx context.Context, cfg config) (_ *env, err error) {
	e := &env{}
	defer func() {
		if err != nil {
			e.close(io.Discard)
		}
	}()
	if err := e.openStore(ctx, cfg); err != nil {
		return nil, err
	}
	if err := e.assemble(); err != nil {
		return nil, err
	}
	if err := e.seed(ctx, cfg.seed); err != nil {
		return nil, err
	}
	if e.token, err = login(ctx, e.api.url); err != nil {
		return nil, err
	}
	if e.apiToken, err = e.newAPIToken(ctx); err != nil {
		return nil, err
	}
	// The server is up and has served a login: its idle memory, before the
	// data sets are loaded into the database (and its page caches).
	e.idle = idleRSS()
	if e.assetSeedTime, err = e.seedInventory(ctx, cfg); err != nil {
		return nil, err
	}
	if e.assetWalk, err = walkList(ctx, e.api.url, e.token, assetsListPath, assetPageLimit); err != nil {
		return nil, err
	}
	start := time.Now()
	e.tickets, err = bunstoretest.SeedTickets(ctx, e.store, bunstoretest.TicketSeed{
		Companies: cfg.ticketCompanies, PerCompany: cfg.tickets, Company: e.admin.CompanyID})
	if err != nil {
		return nil, err
	}
	e.ticketSeedTime = time.Since(start)
	if e.ticketWalk, err = walkList(ctx, e.api.url, e.token, ticketsListPath, ticketPageLimit); err != nil {
		return nil, err
	}
	return e, nil
}

// close releases everything, newest first, reporting failures on w.
func (e *env) close(w io.Writer) {
	for i := len(e.cleanup) - 1; i >= 0; i-- {
		if err := e.cleanup[i](); err != nil {
			fmt.Fprintln(w, "boladao-bench: cleanup:", err)
		}
	}
	e.cleanup = nil
}

// openStore opens a migrated store: SQLite in a new temporary directory,
// or PostgreSQL in a new schema that close drops.
func (e *env) openStore(ctx context.Context, cfg config) error {
	if cfg.db == "postgres" {
		return e.openPostgres(ctx, cfg)
	}
	dir, err := os.MkdirTemp("", "boladao-bench-")
	if err != nil {
		return fmt.Errorf("creating the SQLite directory: %w", err)
	}
	e.cleanup = append(e.cleanup, func() error { return os.RemoveAll(dir) })
	s, err := bunstore.Open(ctx, "sqlite:"+filepath.Join(dir, "bench.db"), bunstore.WithMaxConns(max(8, cfg.clients)))
	if err != nil {
		return err
	}
	e.store = s
	e.cleanup = append(e.cleanup, s.Close)
	return nil
}

func (e *env) openPostgres(ctx context.Context, cfg config) error {
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	schema := "bench_" + hex.EncodeToString(suffix)
	s, err := bunstore.Open(ctx, cfg.dsn, bunstore.WithSchema(schema), bunstore.WithMaxConns(max(8, cfg.clients)))
	if err != nil {
		// Open may have created the schema before failing.
		return errors.Join(err, dropSchema(cfg.dsn, schema))
	}
	e.store = s
	e.cleanup = append(e.cleanup, func() error {
		_, dropErr := s.DB().Exec("DROP SCHEMA ? CASCADE", bun.Ident(schema))
		return errors.Join(dropErr, s.Close())
	})
	return nil
}

// dropSchema drops schema through a short-lived connection.
func dropSchema(dsn, schema string) error {
	s, err := bunstore.Open(context.Background(), dsn, bunstore.WithoutMigrations())
	if err != nil {
		return nil // the server is unreachable: there is nothing to drop
	}
	_, dropErr := s.DB().Exec("DROP SCHEMA IF EXISTS ? CASCADE", bun.Ident(schema))
	return errors.Join(dropErr, s.Close())
}

// assemble builds the desk and serves its API on loopback, with rate limits
// high enough never to trigger.
func (e *env) assemble() error {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	desk, err := helpdesk.New(e.store,
		helpdesk.WithBcryptCost(bcrypt.MinCost), // hashing is setup, not measured
		helpdesk.WithJWTSecret(secret),
		helpdesk.WithTokenTTLs(24*time.Hour, 24*time.Hour),
		loopbackWebhooks) // see webhooks.go
	if err != nil {
		return err
	}
	e.desk = desk
	handler, err := httpapi.New(desk, httpapi.Config{
		Version:      "bench",
		LoginIPRate:  1e9,
		LoginIPBurst: 1e9,
		LoginRate:    1e9,
		LoginBurst:   1e9,
		APIRate:      1e9,
		APIBurst:     1e9,
	})
	if err != nil {
		return err
	}
	if e.api, err = startServer(handler); err != nil {
		return err
	}
	e.cleanup = append(e.cleanup, e.api.close)
	return nil
}

// seed creates the platform admin, the benchmark company, its admin user
// and n more contacts.
func (e *env) seed(ctx context.Context, n int) error {
	dir := e.desk.Directory
	if _, err := e.desk.Bootstrap(ctx, "platform@bench.example", ""); err != nil {
		return err
	}
	company, err := dir.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Bench Ltda"})
	if err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	sys, err := tenant.System().InCompany(company.ID)
	if err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	contact, err := dir.CreateContact(ctx, sys, directory.ContactInput{Name: "Bench Admin", Email: adminEmail})
	if err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	e.admin, err = dir.CreateUser(ctx, sys, directory.UserInput{Email: adminEmail, Password: adminPassword,
		Role: tenant.RoleAdmin, ContactID: contact.ID})
	if err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	for i := range n {
		in := directory.ContactInput{Name: fmt.Sprintf("Contato %d", i), Email: fmt.Sprintf("contato%d@bench.example", i)}
		if _, err := dir.CreateContact(ctx, sys, in); err != nil {
			return fmt.Errorf("seeding contact %d: %w", i, err)
		}
	}
	return nil
}

// login logs the company admin in through POST /auth/login and returns
// the access token.
func login(ctx context.Context, baseURL string) (string, error) {
	body, _ := json.Marshal(map[string]string{"email": adminEmail, "password": adminPassword})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/auth/login", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("logging in: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("logging in: HTTP %d: %s", resp.StatusCode, raw)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.AccessToken == "" {
		return "", fmt.Errorf("logging in: no access_token in %s", raw)
	}
	return out.AccessToken, nil
}

// server is an http.Server on a loopback port.
type server struct {
	srv  *http.Server
	url  string
	done chan error
}

// startServer serves h on 127.0.0.1 at a free port.
func startServer(h http.Handler) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on loopback: %w", err)
	}
	s := &server{
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute},
		url:  "http://" + ln.Addr().String(),
		done: make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// close shuts the server down, waiting at most five seconds for requests
// in flight.
func (s *server) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serveErr := <-s.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}

// newAPIToken creates an API token of the admin's company with every
// permission of its admins.
func (e *env) newAPIToken(ctx context.Context) (string, error) {
	actor := e.admin.Actor()
	_, plain, err := e.desk.Directory.CreateAPIToken(ctx, actor, directory.APITokenInput{Name: "bench",
		Permissions: tenant.Permissions()[tenant.RoleAdmin]})
	if err != nil {
		return "", fmt.Errorf("creating the API token: %w", err)
	}
	return plain, nil
}
