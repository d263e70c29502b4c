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
	backend   string
	clients   int
	duration  time.Duration
	seed      int
	idle      idleMemory
	scenarios []scenarioResult
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
	fmt.Fprintf(w, "boladao-bench: backend %s, %d clients, %s per run, %d seeded contacts\n\n",
		r.backend, r.clients, r.duration, r.seed)
	r.printMain(w)
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

// verdict marks the scenario's ratio target.
func (s scenarioResult) verdict() string {
	if s.target == 0 {
		return "-"
	}
	mark := "PASS"
	if s.ratio() < s.target {
		mark = "FAIL"
	}
	return fmt.Sprintf("%s (>= %.1fx)", mark, s.target)
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
	if strings.HasPrefix(scenario, "GET ") {
		return "bare net/http handler, " + scenario
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
