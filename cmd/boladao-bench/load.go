package main

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"time"
)

// op is one unit of load, run repeatedly by one worker. A worker's op is
// never called concurrently with itself.
type op func(ctx context.Context) error

// Bounds of one load run.
const (
	// maxOpsPerSecond caps the operations a run records (over all
	// workers): latency slices are sized for it up front, and a worker
	// whose slice is full stops.
	maxOpsPerSecond = 100_000
	// minOpsPerWorker is the smallest latency slice of a worker.
	minOpsPerWorker = 1024
	// maxErrorSamples is how many error messages a worker keeps.
	maxErrorSamples = 3
	// maxWarmup bounds the unmeasured warm-up before each run.
	maxWarmup = time.Second
)

// loadResult is what one measured run produced.
type loadResult struct {
	ops     int
	errors  int
	samples []string // some error messages
	elapsed time.Duration
	p50     time.Duration
	p99     time.Duration
	cpu     time.Duration // user+system CPU of the whole process
	peakRSS int64         // bytes; the process's high-water mark during the run
}

// opsPerSec is the throughput of the run.
func (r loadResult) opsPerSec() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ops) / r.elapsed.Seconds()
}

// cpuPerOp is the process CPU time spent per operation.
func (r loadResult) cpuPerOp() time.Duration {
	if r.ops == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.ops)
}

// rounds is how many alternating slices a paired measurement is cut into:
// the scenario and its baseline take turns, so that other load on the
// machine weighs on both alike.
const rounds = 5

// measurePair warms up, then measures ops and their baseline raw (one op
// per worker each) for d apiece, alternating in rounds: latencies, CPU from
// getrusage and peak RSS.
func measurePair(ctx context.Context, ops, raw []op, d time.Duration) (loadResult, loadResult) {
	return measurePairAt(ctx, ops, raw, d, 0)
}

// measurePairAt is measurePair at a fixed rate of ops a second (open loop,
// see drive); 0 runs the workers closed loop, each as fast as it goes.
func measurePairAt(ctx context.Context, ops, raw []op, d time.Duration, rate float64) (loadResult, loadResult) {
	warm := min(d/10, maxWarmup)
	for _, o := range [][]op{raw, ops} {
		drive(ctx, o, warm, newWorkers(len(o), capacityFor(warm, len(o))), rate)
	}
	realRun := newRun(len(ops), capacityFor(d, len(ops)))
	rawRun := newRun(len(raw), capacityFor(d, len(raw)))
	for range rounds {
		rawRun.segment(ctx, raw, d/rounds, rate)
		realRun.segment(ctx, ops, d/rounds, rate)
	}
	return realRun.result(), rawRun.result()
}

// loadRun accumulates the segments of one measured load.
type loadRun struct {
	workers []workerResult
	elapsed time.Duration
	cpu     time.Duration
	peakRSS int64
}

// newRun returns an empty run of workers, each able to hold perWorker
// latencies.
func newRun(workers, perWorker int) *loadRun {
	return &loadRun{workers: newWorkers(workers, perWorker)}
}

// segment drives ops for d (at rate, see drive), adding to what the run
// recorded.
func (r *loadRun) segment(ctx context.Context, ops []op, d time.Duration, rate float64) {
	runtime.GC()
	resetPeakRSS()
	before := cpuTime()
	r.elapsed += drive(ctx, ops, d, r.workers, rate)
	r.cpu += cpuTime() - before
	r.peakRSS = max(r.peakRSS, peakRSS())
}

// result summarizes the run.
func (r *loadRun) result() loadResult {
	res := summarize(r.workers)
	res.elapsed, res.cpu, res.peakRSS = r.elapsed, r.cpu, r.peakRSS
	return res
}

// capacityFor sizes the latency slice of each of n workers for a run of d.
func capacityFor(d time.Duration, n int) int {
	return max(minOpsPerWorker, int(d.Seconds()*maxOpsPerSecond)/n)
}

// newWorkers returns the records of n workers, each able to hold perWorker
// latencies.
func newWorkers(n, perWorker int) []workerResult {
	w := make([]workerResult, n)
	for i := range w {
		w[i].latencies = make([]time.Duration, 0, perWorker)
	}
	return w
}

// workerResult is what one worker recorded.
type workerResult struct {
	latencies []time.Duration
	errors    int
	samples   []string
}

// drive runs ops[i] on its own goroutine, appending to results[i], until d
// has passed, the worker's latency slice is full, or ctx is done. An op in
// flight at the deadline may finish within stopGrace; after that its
// context is cancelled. drive returns the wall time of the run.
//
// With rate > 0 the workers run open loop: together they start rate ops a
// second on a fixed schedule (worker i's k-th op is op k·n+i of the run),
// whether or not the earlier ones finished, and an op's latency counts
// from when it was due, so that time spent behind the schedule counts too.
func drive(ctx context.Context, ops []op, d time.Duration, results []workerResult, rate float64) time.Duration {
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	t0 := time.Now()
	deadline := t0.Add(d)
	runCtx, cancel := context.WithDeadline(ctx, deadline.Add(stopGrace))
	defer cancel()
	for i, o := range ops {
		var due func(k int) time.Time
		if rate > 0 {
			due = func(k int) time.Time {
				return t0.Add(time.Duration(float64(k*len(ops)+i) / rate * float64(time.Second)))
			}
		}
		wg.Go(func() {
			<-start
			work(runCtx, o, deadline, due, &results[i])
		})
	}
	close(start)
	wg.Wait()
	return time.Since(t0)
}

// stopGrace is how long an op in flight at the end of a run may take.
const stopGrace = 10 * time.Second

// work is the loop of one worker. It stops by itself at deadline, when its
// latency slice is full or when ctx is done. When due is not nil, the k-th
// op waits for due(k) and its latency counts from then.
func work(ctx context.Context, o op, deadline time.Time, due func(k int) time.Time, r *workerResult) {
	for k := 0; len(r.latencies) < cap(r.latencies) && ctx.Err() == nil; k++ {
		t0 := time.Now()
		if due != nil {
			if t0 = due(k); !t0.Before(deadline) {
				return
			}
			time.Sleep(time.Until(t0))
		}
		if !t0.Before(deadline) {
			return
		}
		err := o(ctx)
		r.latencies = append(r.latencies, time.Since(t0))
		if err != nil {
			r.errors++
			if len(r.samples) < maxErrorSamples {
				r.samples = append(r.samples, err.Error())
			}
		}
	}
}

// summarize merges the workers' records into counts and percentiles.
func summarize(workers []workerResult) loadResult {
	var res loadResult
	for _, w := range workers {
		res.ops += len(w.latencies)
		res.errors += w.errors
		res.samples = append(res.samples, w.samples...)
	}
	all := make([]time.Duration, 0, res.ops)
	for _, w := range workers {
		all = append(all, w.latencies...)
	}
	slices.Sort(all)
	res.p50, res.p99 = percentile(all, 50), percentile(all, 99)
	return res
}

// percentile returns the p-th percentile of sorted (0 when empty).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}
