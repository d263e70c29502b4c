// Command boladao-bench is Boladão's load generator. It starts the HTTP API
// in-process over a fresh store (SQLite in a temporary directory, or a
// throwaway PostgreSQL schema), seeds a company, logs in, and drives each
// scenario with keep-alive clients on loopback. In the same run it measures
// the raw baseline of every scenario — a bare net/http handler serving the
// same bytes, or the same rows written by a plain bun.RunInTx — and prints
// throughput, latency, CPU and memory with the ratio to the baseline.
//
// The inventory scenarios run over assets seeded through Inventory.Intake
// (-assets in the benchmark company, as many more in 9 others): the
// filtered, searched asset list on page 1 and on page 100 (or the deepest
// full page), then an intake of 10 units against the same rows written by
// multi-row inserts.
//
// The service order scenarios seed -orders orders of the benchmark company
// over two years, then measure the analytics endpoint over them against a
// bare handler, and ServiceOrders.Create against the same rows written by
// bun.RunInTx.
//
// Usage:
//
//	boladao-bench [-db sqlite|postgres] [-dsn URL] [-duration 10s] [-clients 8] [-seed 1000] [-assets 10000] [-orders 20000] [-cpuprofile FILE]
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
		assets: cfg.assets, assetSeedTime: env.assetSeedTime, idle: idleRSS()}
	stopProfile, err := startProfile(cfg.cpuProfile)
	if err != nil {
		return report{}, err
	}
	rep.scenarios = runScenarios(ctx, env, cfg)
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
