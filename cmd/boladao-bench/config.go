package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// config holds the command-line settings.
type config struct {
	db       string
	dsn      string
	duration time.Duration
	clients  int
	seed     int
	// assets is the assets of the benchmark company, among assetsTotal in
	// assetCompanies companies.
	assets, assetsTotal, assetCompanies int
	// tickets is the tickets of each of ticketCompanies companies, the
	// benchmark company included.
	tickets         int
	ticketCompanies int
	// latencyClients is the clients of the scenarios with latency targets
	// (the lists and the analytics).
	latencyClients int
	// orders is the service orders of the benchmark company.
	orders int
	// webhookRate is the events a second of the paced webhook scenario.
	webhookRate int
	cpuProfile  string
	// only lists the scenario groups to run; empty: all of them.
	only []string
}

// scenarioGroups are the values of -only, in the order they run.
var scenarioGroups = []string{"auth", "contacts", "assets", "tickets", "intake", "serviceorders", "webhooks", "console"}

// runs reports whether -only selects group.
func (c config) runs(group string) bool {
	return len(c.only) == 0 || slices.Contains(c.only, group)
}

// DSN environment variables, in order of preference.
const (
	benchDSNVariable = "BOLADAO_BENCH_POSTGRES_DSN"
	testDSNVariable  = "BOLADAO_TEST_POSTGRES_DSN"
)

// parseConfig reads the flags in args; getenv supplies the PostgreSQL DSN
// when -dsn is not given.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("boladao-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.db, "db", "sqlite", "backend: sqlite or postgres")
	fs.StringVar(&c.dsn, "dsn", "", "PostgreSQL DSN (default $"+benchDSNVariable+", then $"+testDSNVariable+")")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "measured load per scenario and per baseline")
	fs.IntVar(&c.clients, "clients", 8, "concurrent keep-alive clients (workers)")
	fs.IntVar(&c.seed, "seed", 1000, "contacts seeded in the benchmark company")
	fs.IntVar(&c.assets, "assets", 10_000, "assets seeded in the benchmark company, bulk-loaded")
	fs.IntVar(&c.assetsTotal, "assets-total", 0, "assets seeded in all (default twice -assets), the rest spread over the other companies")
	fs.IntVar(&c.assetCompanies, "asset-companies", 2, "companies holding the -assets-total assets, the benchmark company included")
	fs.IntVar(&c.tickets, "tickets", 10_000, "tickets seeded in each company of -ticket-companies, bulk-loaded")
	fs.IntVar(&c.ticketCompanies, "ticket-companies", 10, "companies holding -tickets tickets each, the benchmark company included")
	fs.IntVar(&c.latencyClients, "latency-clients", 1, "clients of the scenarios with latency targets (lists, analytics)")
	fs.IntVar(&c.orders, "orders", 20_000, "service orders seeded in the benchmark company, created over two years")
	fs.IntVar(&c.webhookRate, "webhook-rate", 2000, "events a second offered by the paced event → webhook scenario (open loop); 0 skips it")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the load phase to this file")
	only := fs.String("only", "", "comma-separated scenario groups to run ("+strings.Join(scenarioGroups, ", ")+"); default all")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q: every setting is a flag (see -h)", fs.Args())
	}
	if c.assetsTotal == 0 {
		c.assetsTotal = 2 * c.assets
	}
	for g := range strings.SplitSeq(*only, ",") {
		if g = strings.TrimSpace(g); g == "" {
			continue
		}
		if !slices.Contains(scenarioGroups, g) {
			return config{}, fmt.Errorf("-only %q: no scenario group %q (groups: %s)", *only, g, strings.Join(scenarioGroups, ", "))
		}
		c.only = append(c.only, g)
	}
	return c.resolve(getenv)
}

// resolve validates c and fills the DSN from the environment.
func (c config) resolve(getenv func(string) string) (config, error) {
	switch {
	case c.duration <= 0 || c.duration > time.Hour:
		return config{}, errors.New("-duration must be between 1ns and 1h, e.g. -duration 10s")
	case c.clients < 1 || c.clients > 1024:
		return config{}, errors.New("-clients must be between 1 and 1024")
	case c.seed < 0 || c.seed > 1_000_000:
		return config{}, errors.New("-seed must be between 0 and 1000000")
	case c.assets < 1 || c.assets > 1_000_000:
		return config{}, errors.New("-assets must be between 1 and 1000000")
	case c.assetsTotal != 0 && (c.assetsTotal < c.assets || c.assetsTotal > 10_000_000):
		return config{}, errors.New("-assets-total must be between -assets and 10000000")
	case c.assetCompanies < 2 || c.assetCompanies > 10_000:
		return config{}, errors.New("-asset-companies must be between 2 and 10000")
	case c.tickets < 0 || c.tickets > 1_000_000:
		return config{}, errors.New("-tickets must be between 0 and 1000000")
	case c.ticketCompanies < 1 || c.ticketCompanies > 10_000:
		return config{}, errors.New("-ticket-companies must be between 1 and 10000")
	case c.latencyClients < 1 || c.latencyClients > 1024:
		return config{}, errors.New("-latency-clients must be between 1 and 1024")
	case c.orders < 0 || c.orders > 1_000_000:
		return config{}, errors.New("-orders must be between 0 and 1000000")
	case c.webhookRate < 0 || c.webhookRate > maxOpsPerSecond:
		return config{}, fmt.Errorf("-webhook-rate must be between 0 and %d", maxOpsPerSecond)
	}
	switch c.db {
	case "sqlite":
		return c, nil
	case "postgres":
		for _, v := range []string{benchDSNVariable, testDSNVariable} {
			if c.dsn == "" {
				c.dsn = getenv(v)
			}
		}
		if c.dsn == "" {
			return config{}, fmt.Errorf("-db postgres needs a DSN: pass -dsn or set %s, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", benchDSNVariable)
		}
		return c, nil
	default:
		return config{}, fmt.Errorf("-db %q is not supported: use sqlite or postgres", c.db)
	}
}
