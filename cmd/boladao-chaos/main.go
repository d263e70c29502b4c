// Command boladao-chaos is Boladão's fault harness. It builds the
// reference server (go build ./cmd/boladao into a temporary directory),
// runs it as a separate process on temporary SQLite files and on
// PostgreSQL databases it creates and drops, drives it over loopback HTTP,
// injects faults and checks the invariants that must survive them:
//
//	kill9       kill -9 during mixed write load (tickets, comments, intakes,
//	            service orders with activities), several times, on SQLite
//	            and PostgreSQL: every acknowledged write exists unchanged,
//	            SQLite's integrity_check is ok, ticket numbers and serials
//	            unique, service orders gapless per company and year, no
//	            event for a write that does not exist, every event delivered
//	            to a webhook once the server is back
//	webhooks    the webhook receiver down for a while (503, refused
//	            connections, timeouts) under load, then back: every event
//	            delivered, one webhook-id per event, order per aggregate
//	            kept; an endpoint disabled meanwhile and re-enabled gets
//	            every event committed meanwhile
//	pgcut       PostgreSQL connections cut (pg_terminate_backend, new ones
//	            refused) under load: requests fail fast with a 503 problem,
//	            /ready reports it, the server recovers by itself, nothing
//	            acknowledged is lost
//	twoinstance two servers on one PostgreSQL database (and NATS when
//	            -nats is set): no duplicate numbers, every event delivered
//	            once per endpoint, including those committed right after the
//	            endpoint was created, and one Idempotency-Key sent to both
//	            at once creates one object
//	soak        a steady rate for -soak: resident memory and p99 per minute
//	sigterm     SIGTERM under load, on SQLite and PostgreSQL: the server
//	            exits 0, in-flight requests finish, nothing acknowledged lost
//
// Each scenario prints one line: acknowledged writes, lost, duplicates,
// phantom events, delivered/expected and recovery time, then PASS or FAIL
// with the broken invariants. The command exits 1 when any invariant broke.
// Pass/fail rests on counts, uniqueness and ordering; the only time bounds
// are documented ones (a refused request answers within 5 s, deliveries
// resume within 10 s of a restart, the server recovers within 30 s).
//
// Usage:
//
//	go run ./cmd/boladao-chaos                         # every scenario, 5-minute soak
//	go run ./cmd/boladao-chaos -soak 2m                # the CI profile
//	go run ./cmd/boladao-chaos -run kill9,sigterm -db sqlite
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// config holds the flags.
type config struct {
	run       []string
	dbs       []string
	dsn       string
	nats      string
	bin       string
	kills     int
	killEvery time.Duration
	outage    time.Duration
	soak      time.Duration
	deliver   time.Duration
	soakRate  int
	workers   int
	keep      bool
	verbose   bool
}

// scenarioNames lists the scenarios, in the order they run.
func scenarioNames() []string {
	return []string{"kill9", "webhooks", "pgcut", "twoinstance", "soak", "sigterm"}
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("boladao-chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	run := fs.String("run", strings.Join(scenarioNames(), ","), "comma-separated scenarios: "+strings.Join(scenarioNames(), ", "))
	dbs := fs.String("db", "sqlite,postgres", "databases of kill9 and sigterm (sqlite, postgres); webhooks and soak use the first; pgcut and twoinstance run only with postgres")
	defDSN := os.Getenv("BOLADAO_TEST_POSTGRES_DSN")
	if defDSN == "" {
		defDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	fs.StringVar(&c.dsn, "dsn", defDSN, "PostgreSQL server where the harness may create and drop databases (chaos_*)")
	fs.StringVar(&c.nats, "nats", os.Getenv("BOLADAO_TEST_NATS_URL"), "NATS JetStream URL for twoinstance (empty: the instances share the database only)")
	fs.StringVar(&c.bin, "bin", "", "server binary to drive (default: go build ./cmd/boladao into a temporary directory)")
	fs.IntVar(&c.kills, "kills", 3, "kill -9 per database in kill9")
	fs.DurationVar(&c.killEvery, "kill-every", 4*time.Second, "load between two kills in kill9")
	fs.DurationVar(&c.outage, "outage", 60*time.Second, "how long the webhook receiver stays down in webhooks (thirds: 503, refused, timeouts)")
	fs.DurationVar(&c.soak, "soak", 5*time.Minute, "duration of the soak")
	fs.DurationVar(&c.deliver, "deliver-within", 30*time.Second, "bound on delivering every event once the fault is over (after the last restart, after the receiver is back)")
	fs.IntVar(&c.soakRate, "soak-rate", 40, "writes per second offered during the soak")
	fs.IntVar(&c.workers, "workers", 4, "concurrent writers (one user each) in the load scenarios")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (server logs, SQLite files) and the PostgreSQL databases")
	fs.BoolVar(&c.verbose, "v", false, "print progress")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	for _, s := range strings.Split(*run, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(scenarioNames(), s) {
			return c, fmt.Errorf("-run: unknown scenario %q (have %s)", s, strings.Join(scenarioNames(), ", "))
		}
		c.run = append(c.run, s)
	}
	for _, d := range strings.Split(*dbs, ",") {
		if d = strings.TrimSpace(d); d == "" {
			continue
		}
		if d != "sqlite" && d != "postgres" {
			return c, fmt.Errorf("-db: %q: use sqlite, postgres or both", d)
		}
		c.dbs = append(c.dbs, d)
	}
	switch {
	case len(c.run) == 0:
		return c, errors.New("-run: name at least one scenario")
	case len(c.dbs) == 0:
		return c, errors.New("-db: name at least one database")
	case c.kills < 1, c.workers < 1, c.soakRate < 1:
		return c, errors.New("-kills, -workers and -soak-rate must be at least 1")
	case c.killEvery <= 0, c.outage < 3*time.Second, c.soak < time.Minute, c.deliver <= 0:
		return c, errors.New("-kill-every and -deliver-within must be positive, -outage at least 3s and -soak at least 1m")
	}
	return c, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "boladao-chaos:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

// run runs the selected scenarios and returns the exit code: 0 when every
// invariant held, 1 when one broke. err is a harness failure (bad flags, the
// build failed).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return 2, err
	}
	dir, err := os.MkdirTemp("", "boladao-chaos-")
	if err != nil {
		return 2, err
	}
	if cfg.keep {
		fmt.Fprintln(stdout, "chaos: working directory", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin := cfg.bin
	if bin == "" {
		bin = filepath.Join(dir, "boladao")
		start := time.Now()
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/boladao")
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			return 2, fmt.Errorf("building the server (run from the repository root): %w", err)
		}
		fmt.Fprintf(stdout, "chaos: built %s in %v\n", bin, time.Since(start).Round(time.Millisecond))
	}
	h := &harness{cfg: cfg, bin: bin, dir: dir, out: stdout}
	if cfg.verbose {
		h.log = stderr
	} else {
		h.log = io.Discard
	}
	started := time.Now()
	var results []result
	for _, name := range cfg.run {
		for _, sc := range h.scenarios(name) {
			if ctx.Err() != nil {
				break
			}
			h.logf("== %s", sc.name)
			t0 := time.Now()
			r := sc.run(ctx)
			r.name, r.took = sc.name, time.Since(t0)
			fmt.Fprintln(stdout, r.line())
			for _, n := range r.notes {
				fmt.Fprintln(stdout, "       ", n)
			}
			results = append(results, r)
		}
	}
	failed := 0
	for _, r := range results {
		if !r.ok() {
			failed++
		}
	}
	fmt.Fprintf(stdout, "chaos: %d scenario(s), %d failed, in %v\n", len(results), failed, time.Since(started).Round(time.Second))
	if ctx.Err() != nil {
		return 2, ctx.Err()
	}
	if failed > 0 {
		return 1, nil
	}
	return 0, nil
}
