package main

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRun runs the whole benchmark, briefly, on every backend available
// and checks that every scenario ran and no request failed.
func TestRun(t *testing.T) {
	backends := []struct {
		name string
		args []string
	}{{name: "sqlite", args: []string{"-db", "sqlite"}}}
	if dsn := os.Getenv(testDSNVariable); dsn != "" {
		backends = append(backends, struct {
			name string
			args []string
		}{name: "postgres", args: []string{"-db", "postgres", "-dsn", dsn}})
	} else {
		t.Logf("PostgreSQL skipped: set %s to run the benchmark on it too", testDSNVariable)
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			// 8,000 assets: a dozen full pages of the filtered list (7.5%).
			// 1,000 tickets a company: a dozen full pages of closed tickets.
			args := append(b.args, "-duration", "300ms", "-clients", "2", "-seed", "20", "-assets", "8000",
				"-tickets", "1000", "-ticket-companies", "3", "-orders", "300", "-webhook-rate", "200")
			var stdout, stderr bytes.Buffer
			rep, err := run(t.Context(), args, os.Getenv, &stdout, &stderr)
			t.Logf("output:\n%s%s", stdout.String(), stderr.String())
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			checkReport(t, rep, stdout.String())
		})
	}
}

// checkReport asserts that every scenario and its baseline ran, made
// progress and had no failed request, and that the table names them.
func checkReport(t *testing.T, rep report, out string) {
	t.Helper()
	want := []string{"GET " + mePath, "GET " + mePath + " (API token)", "GET " + contactsListPath, "create contact (service)",
		"GET " + assetsListPath, "GET " + assetsListPath + "&cursor=… (page ",
		"GET " + ticketsListPath, "GET " + ticketsListPath + "&cursor=… (page ", "GET " + analyticsPath, ticketCreateVariant(false, 2),
		ticketCreateVariant(true, 2), ticketCreateVariant(false, createClientsWide), ticketCreateVariant(true, createClientsWide), ticketCreateIndexedName,
		consoleScenarioName(consoleQueuePath)}
	for _, path := range consoleSortedQueuePaths {
		want = append(want, consoleScenarioName(path))
	}
	want = append(want, consoleTicketName, consoleScenarioName(consoleDashboardPath),
		intakeScenarioName, orderAnalyticsScenarioName, orderCreateScenarioName, webhookScenarioName, webhookRateScenarioName(200),
		consoleAssetsScenarioName, consoleOrderScenarioName)
	if len(rep.scenarios) != len(want) {
		t.Fatalf("%d scenarios in the report, want %d", len(rep.scenarios), len(want))
	}
	for i, s := range rep.scenarios {
		if s.name != want[i] && (!strings.HasSuffix(want[i], "(page ") || !strings.HasPrefix(s.name, want[i])) {
			t.Errorf("scenario %d is %q, want %q", i, s.name, want[i])
		}
		if !strings.Contains(out, s.name) {
			t.Errorf("the table does not show %q", s.name)
		}
		if s.skipped != "" {
			t.Errorf("%s was skipped: %s", s.name, s.skipped)
			continue
		}
		for what, res := range map[string]loadResult{"scenario": s.real, "baseline": s.raw} {
			if res.opsPerSec() <= 0 {
				t.Errorf("%s %s: %.0f ops/s, want > 0", s.name, what, res.opsPerSec())
			}
			if res.errors > 0 {
				t.Errorf("%s %s: %d failed requests: %q", s.name, what, res.errors, res.samples)
			}
		}
	}
	if !strings.Contains(out, "deep page vs page 1:") {
		t.Error("the output does not compare the deep page with page 1")
	}
	if rep.errors() > 0 && !strings.Contains(out, "ERRORS in") {
		t.Error("the output does not list the failed requests")
	}
}

// TestConfig checks flag validation and the DSN fallbacks.
func TestConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{testDSNVariable: "postgres://test", benchDSNVariable: ""}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name     string
		args     []string
		wantDSN  string
		wantOnly []string
		wantErr  string
	}{
		{name: "defaults", args: nil},
		{name: "postgres from env", args: []string{"-db", "postgres"}, wantDSN: "postgres://test"},
		{name: "postgres flag wins", args: []string{"-db", "postgres", "-dsn", "postgres://flag"}, wantDSN: "postgres://flag"},
		{name: "unknown backend", args: []string{"-db", "mysql"}, wantErr: "not supported"},
		{name: "no clients", args: []string{"-clients", "0"}, wantErr: "-clients"},
		{name: "no duration", args: []string{"-duration", "0s"}, wantErr: "-duration"},
		{name: "no assets", args: []string{"-assets", "0"}, wantErr: "-assets"},
		{name: "fewer assets in all", args: []string{"-assets", "10", "-assets-total", "5"}, wantErr: "-assets-total"},
		{name: "one asset company", args: []string{"-asset-companies", "1"}, wantErr: "-asset-companies"},
		{name: "negative tickets", args: []string{"-tickets", "-1"}, wantErr: "-tickets"},
		{name: "no ticket company", args: []string{"-ticket-companies", "0"}, wantErr: "-ticket-companies"},
		{name: "no latency client", args: []string{"-latency-clients", "0"}, wantErr: "-latency-clients"},
		{name: "negative webhook rate", args: []string{"-webhook-rate", "-1"}, wantErr: "-webhook-rate"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected arguments"},
		{name: "some groups", args: []string{"-only", "tickets, auth"}, wantOnly: []string{"tickets", "auth"}},
		{name: "unknown group", args: []string{"-only", "tickets,frobs"}, wantErr: `no scenario group "frobs"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := parseConfig(tt.args, getenv, &bytes.Buffer{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.dsn != tt.wantDSN {
				t.Errorf("dsn = %q, want %q", cfg.dsn, tt.wantDSN)
			}
			if !slices.Equal(cfg.only, tt.wantOnly) {
				t.Errorf("only = %q, want %q", cfg.only, tt.wantOnly)
			}
			for _, g := range scenarioGroups {
				if want := tt.wantOnly == nil || slices.Contains(tt.wantOnly, g); cfg.runs(g) != want {
					t.Errorf("runs(%q) = %v, want %v", g, cfg.runs(g), want)
				}
			}
			if tt.args == nil && (cfg.duration != 10*time.Second || cfg.clients != 8 || cfg.seed != 1000 || cfg.assets != 10_000 || cfg.assetsTotal != 20_000 || cfg.assetCompanies != 2 ||
				cfg.tickets != 10_000 || cfg.ticketCompanies != 10 || cfg.latencyClients != 1 || cfg.webhookRate != 2000) {
				t.Errorf("defaults = %+v", cfg)
			}
		})
	}
}

// TestPercentile checks the nearest-rank percentiles.
func TestPercentile(t *testing.T) {
	t.Parallel()
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i))
	}
	if got := percentile(lat, 50); got != 51 {
		t.Errorf("p50 = %d, want 51", got)
	}
	if got := percentile(lat, 99); got != 100 {
		t.Errorf("p99 = %d, want 100", got)
	}
	if got := percentile(nil, 99); got != 0 {
		t.Errorf("p99 of nothing = %d, want 0", got)
	}
}

// TestDriveAtARate checks the open loop: ops start on the schedule, not as
// fast as they go, and an op that falls behind it counts the lag.
func TestDriveAtARate(t *testing.T) {
	t.Parallel()
	quick := func(context.Context) error { return nil }
	results := newWorkers(4, 1024)
	elapsed := drive(t.Context(), []op{quick, quick, quick, quick}, 200*time.Millisecond, results, 200)
	res := summarize(results)
	if res.ops != 40 {
		t.Errorf("%d ops in 200 ms at 200/s, want 40", res.ops)
	}
	if elapsed < 190*time.Millisecond {
		t.Errorf("the run took %v: the ops did not wait for their turn", elapsed)
	}

	// One worker, an op every 10 ms, each taking 30 ms: the tenth is due
	// at 90 ms but starts at about 270 ms.
	slow := func(context.Context) error { time.Sleep(30 * time.Millisecond); return nil }
	results = newWorkers(1, 1024)
	drive(t.Context(), []op{slow}, 100*time.Millisecond, results, 100)
	lat := results[0].latencies
	if len(lat) != 10 {
		t.Fatalf("%d ops, want 10", len(lat))
	}
	if lat[9] < 200*time.Millisecond {
		t.Errorf("the last op's latency is %v: the time behind the schedule is missing", lat[9])
	}
}
