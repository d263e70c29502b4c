// Command boladao-bench is Boladão's load generator. It starts the HTTP API
// in-process over a fresh store (SQLite in a temporary directory, or a
// throwaway PostgreSQL schema), seeds a company, logs in, and drives each
// scenario with keep-alive clients on loopback. In the same run it measures
// the raw baseline of every scenario — a bare net/http handler serving the
// same bytes, or the same rows written by a plain bun.RunInTx — and prints
// throughput, latency, CPU and memory with the ratio to the baseline.
//
// The inventory scenarios run over bulk-loaded assets (-assets in the
// benchmark company among -assets-total in -asset-companies companies):
// the asset list filtered by status and searched on page 1 and on page 100
// (or the deepest full page), then an intake of 10 units through
// Inventory.Intake against the same rows written by multi-row inserts.
// -assets 100000 -assets-total 1000000 -asset-companies 100 is the data
// set of the inventory targets.
//
// The ticket scenarios run over tickets bulk-loaded in -ticket-companies
// companies (-tickets each, the benchmark company included): the list of
// closed tickets on page 1 and on page 100, the analytics of the last 90
// days, then ticket creation through POST /api/helpdesk/tickets against a
// plain two-row transaction (ticket + outbox). The lists and the analytics
// run with -latency-clients clients (default 1): their targets are the
// latency of one request, which more clients than cores would turn into
// queueing. -ticket-companies 100 gives the 1,000,000 tickets of the
// ticket targets.
//
// The console scenarios serve the web console over the same data set and
// measure the ticket queue, a ticket's page and the dashboard as the
// benchmark company's admin, each against a bare handler serving the same
// bytes, and report the JavaScript and CSS it ships, gzip-compressed.
//
// The service order scenarios seed -orders orders of the benchmark company
// over two years, then measure the analytics endpoint over them against a
// bare handler, and ServiceOrders.Create against the same rows written by
// bun.RunInTx.
//
// Usage:
//
//	boladao-bench [-db sqlite|postgres] [-dsn URL] [-duration 10s] [-clients 8] [-seed 1000] [-assets 10000] [-assets-total N] [-asset-companies 2]
//	              [-tickets 10000] [-ticket-companies 10] [-latency-clients 1] [-orders 20000] [-cpuprofile FILE]
//
// The PostgreSQL DSN comes from -dsn, BOLADAO_BENCH_POSTGRES_DSN or
// BOLADAO_TEST_POSTGRES_DSN, in that order. The benchmark creates its own
// schema there and drops it at the end.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "boladao-bench:", err)
		os.Exit(1)
	}
	if n := rep.errors(); n > 0 {
		fmt.Fprintf(os.Stderr, "boladao-bench: %d requests failed\n", n)
		os.Exit(1)
	}
}

// run parses args, runs every scenario and prints the report on stdout.
// Request failures do not make it fail: they are counted in the report.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (report, error) {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return report{}, err
	}
	env, err := setup(ctx, cfg)
	if err != nil {
		return report{}, err
	}
	defer env.close(stderr)
	rep := report{backend: cfg.db, clients: cfg.clients, duration: cfg.duration, seed: cfg.seed,
		assets: cfg.assets, assetsTotal: cfg.assetsTotal, assetCompanies: cfg.assetCompanies, assetSeedTime: env.assetSeedTime, tickets: cfg.tickets, ticketCompanies: cfg.ticketCompanies,
		ticketSeedTime: env.ticketSeedTime, latencyClients: cfg.latencyClients, idle: env.idle}
	stopProfile, err := startProfile(cfg.cpuProfile)
	if err != nil {
		return report{}, err
	}
	rep.scenarios = runScenarios(ctx, env, cfg)
	if cfg.runs("console") {
		w := measureConsoleWeight()
		rep.console = &w
	}
	if err := stopProfile(); err != nil {
		return report{}, err
	}
	rep.print(stdout)
	return rep, nil
}

// startProfile starts a CPU profile of the load phase when path is set and
// returns the function that stops it.
func startProfile(path string) (func() error, error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("creating the CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("starting the CPU profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}
