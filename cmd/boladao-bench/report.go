package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// idleRSSTarget is the most memory an idle server over SQLite may hold.
const idleRSSTarget = 25 << 20

// report is the outcome of a benchmark run.
type report struct {
	backend  string
	clients  int
	duration time.Duration
	seed     int
	// assets, assetsTotal and assetCompanies size the asset data set.
	assets, assetsTotal, assetCompanies int
	// tickets and ticketCompanies size the ticket data set, seeded in
	// ticketSeedTime.
	tickets, ticketCompanies int
	ticketSeedTime           time.Duration
	latencyClients           int
	// assetSeedTime is how long seeding the assets took.
	assetSeedTime time.Duration
	idle          idleMemory
	scenarios     []scenarioResult
	// console is the console's page weight, when the console group ran.
	console *consoleWeight
}

// errors counts the failed operations of every run, baselines included.
func (r report) errors() int {
	n := 0
	for _, s := range r.scenarios {
		n += s.real.errors + s.raw.errors
	}
	return n
}

// print writes the report as tables on w.
func (r report) print(w io.Writer) {
	fmt.Fprintf(w, "boladao-bench: backend %s, %d clients, %s per run, %d seeded contacts\n",
		r.backend, r.clients, r.duration, r.seed)
	fmt.Fprintf(w, "assets: %d in the benchmark company, %d in %d companies in all, bulk-loaded in %s; 30%% in use,\n",
		r.assets, r.assetsTotal, r.assetCompanies, r.assetSeedTime.Round(100*time.Millisecond))
	fmt.Fprintln(w, "  a quarter of them Dell notebooks")
	fmt.Fprintf(w, "tickets: %d in each of %d companies (%d in all), bulk-loaded in %s; 55%% closed\n",
		r.tickets, r.ticketCompanies, r.tickets*r.ticketCompanies, r.ticketSeedTime.Round(100*time.Millisecond))
	fmt.Fprintf(w, "lists and analytics run with %d client(s), their targets being per request\n\n", r.latencyClients)
	r.printMain(w)
	r.printPages(w)
	if r.console != nil {
		r.console.print(w)
	}
	fmt.Fprintln(w)
	r.printBaselines(w)
	fmt.Fprintln(w)
	r.printIdle(w)
	r.printErrors(w)
}

// printMain writes the table of scenarios against their baselines.
func (r report) printMain(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tops/s\tp50\tp99\terrors\traw ops/s\tratio to raw\tCPU/op\tpeak RSS\ttarget\t")
	for _, s := range r.scenarios {
		if s.skipped != "" {
			fmt.Fprintf(tw, "%s\tSKIPPED: %s\t\t\t\t\t\t\t\t\t\n", s.name, s.skipped)
			continue
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%d\t%.0f\t%.2fx\t%s\t%s\t%s\t\n", s.name,
			s.real.opsPerSec(), fmtDur(s.real.p50), fmtDur(s.real.p99), s.real.errors,
			s.raw.opsPerSec(), s.ratio(), fmtDur(s.real.cpuPerOp()), fmtBytes(s.real.peakRSS), s.verdict())
	}
	_ = tw.Flush()
}

// verdict marks the scenario's targets: the ratio to its baseline and its
// latencies.
func (s scenarioResult) verdict() string {
	var (
		targets []string
		pass    = true
	)
	if s.target != 0 {
		targets = append(targets, fmt.Sprintf(">= %.1fx", s.target))
		pass = pass && s.ratio() >= s.target
	}
	if s.minOpsPerSec != 0 {
		targets = append(targets, fmt.Sprintf(">= %.0f ops/s", s.minOpsPerSec))
		pass = pass && s.real.opsPerSec() >= s.minOpsPerSec
	}
	if s.maxP50 != 0 {
		targets = append(targets, "p50 <= "+s.maxP50.String())
		pass = pass && s.real.p50 <= s.maxP50
	}
	if s.maxP99 != 0 {
		targets = append(targets, "p99 <= "+s.maxP99.String())
		pass = pass && s.real.p99 <= s.maxP99
	}
	if len(targets) == 0 {
		return "-"
	}
	mark := "PASS"
	if !pass {
		mark = "FAIL"
	}
	return fmt.Sprintf("%s (%s)", mark, strings.Join(targets, ", "))
}

// deepPageSlack is how much slower than page 1 a deep page may measure
// before it counts as slower: the noise of two separate runs.
const deepPageSlack = 1.10

// printPages compares each deep page of a list with its first page.
func (r report) printPages(w io.Writer) {
	for _, deep := range r.scenarios {
		if deep.page1 == "" || deep.skipped != "" {
			continue
		}
		for _, first := range r.scenarios {
			if first.name != deep.page1 || first.skipped != "" {
				continue
			}
			mark := "PASS"
			if float64(deep.real.p50) > deepPageSlack*float64(first.real.p50) ||
				float64(deep.real.p99) > deepPageSlack*float64(first.real.p99) {
				mark = "FAIL"
			}
			fmt.Fprintf(w, "deep page vs page 1: p50 %s vs %s, p99 %s vs %s, %.0f vs %.0f ops/s — %s (no slower than page 1, %.0f%% slack)\n",
				fmtDur(deep.real.p50), fmtDur(first.real.p50), fmtDur(deep.real.p99), fmtDur(first.real.p99),
				deep.real.opsPerSec(), first.real.opsPerSec(), mark, (deepPageSlack-1)*100)
		}
	}
}

// printBaselines writes the details of the raw baselines.
func (r report) printBaselines(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "raw baseline\tops/s\tp50\tp99\terrors\tCPU/op\tpeak RSS\t")
	for _, s := range r.scenarios {
		if s.skipped != "" {
			continue
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%d\t%s\t%s\t\n", baselineName(s.name),
			s.raw.opsPerSec(), fmtDur(s.raw.p50), fmtDur(s.raw.p99), s.raw.errors,
			fmtDur(s.raw.cpuPerOp()), fmtBytes(s.raw.peakRSS))
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "(CPU/op is user+system time of the whole process, load generator included, per operation;")
	fmt.Fprintln(w, " peak RSS is the process high-water mark during the run, latency buffers included)")
}

// baselineName names the baseline of a scenario.
func baselineName(scenario string) string {
	switch {
	case strings.HasPrefix(scenario, "GET "):
		return "bare net/http handler, " + scenario
	case strings.HasPrefix(scenario, "console GET "):
		return "bare net/http handler, the same page, " + strings.TrimPrefix(scenario, "console ")
	case scenario == intakeScenarioName:
		return "bun.RunInTx stock item + 10 assets + 10 history + 11 outbox rows (multi-row)"
	case scenario == ticketCreateIndexedName:
		return "bun.RunInTx ticket + outbox rows (the tickets table: indexes, search triggers)"
	case strings.HasPrefix(scenario, ticketCreateName):
		return "bun.RunInTx plain two-row transaction (ticket columns without indexes + outbox row), " + strings.TrimPrefix(scenario, ticketCreateName+" ")
	case scenario == orderCreateScenarioName:
		return "bun.RunInTx counter + service order + daily totals + outbox rows"
	case strings.HasPrefix(scenario, "event → webhook at "):
		return webhookBaselineName + ", same rate"
	case strings.HasPrefix(scenario, "event → webhook"):
		return webhookBaselineName
	}
	return "bun.RunInTx contact + outbox rows"
}

// printIdle writes the idle memory and its target.
func (r report) printIdle(w io.Writer) {
	rss := r.idle.rss
	detail := fmt.Sprintf("Go runtime holds %s, heap in use %s", fmtBytes(r.idle.goHeld), fmtBytes(r.idle.heap))
	switch {
	case rss == 0:
		fmt.Fprintf(w, "idle RSS: unavailable (no /proc/self/status); %s\n", detail)
	case r.backend != "sqlite":
		fmt.Fprintf(w, "idle RSS: %.2f MiB (the %s target applies to SQLite); %s\n", mib(rss), fmtBytes(idleRSSTarget), detail)
	default:
		mark := "PASS"
		if rss > idleRSSTarget {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "idle RSS: %.2f MiB — %s (target <= %s); %s\n", mib(rss), mark, fmtBytes(idleRSSTarget), detail)
	}
}

// printErrors lists some failures of every run that had any.
func (r report) printErrors(w io.Writer) {
	for _, s := range r.scenarios {
		for _, run := range []struct {
			what string
			res  loadResult
		}{{s.name, s.real}, {baselineName(s.name), s.raw}} {
			if run.res.errors == 0 {
				continue
			}
			fmt.Fprintf(w, "ERRORS in %s: %d failed, for example:\n", run.what, run.res.errors)
			for _, m := range run.res.samples {
				fmt.Fprintf(w, "  %s\n", m)
			}
		}
	}
}

// fmtDur rounds d for display.
func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(100 * time.Nanosecond).String()
	}
}

// fmtBytes prints n in MiB.
func fmtBytes(n int64) string {
	return fmt.Sprintf("%.1f MiB", mib(n))
}

// mib converts bytes to mebibytes.
func mib(n int64) float64 { return float64(n) / (1 << 20) }
