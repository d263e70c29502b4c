package main

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"
)

// cpuTime returns the user+system CPU time the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// idleMemory is what the process holds while idle.
type idleMemory struct {
	rss int64 // resident set size (VmRSS)
	// goHeld is the memory the Go runtime holds from the OS and has not
	// released; the rest of rss is code, C-like allocations (modernc
	// SQLite's page caches) and shared pages.
	goHeld int64
	heap   int64 // Go heap in use
}

// idleRSS measures memory after a full collection that returns free memory
// to the OS.
func idleRSS() idleMemory {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return idleMemory{rss: procStatus("VmRSS"), goHeld: int64(ms.Sys - ms.HeapReleased), heap: int64(ms.HeapInuse)}
}

// resetPeakRSS resets the kernel's resident high-water mark (VmHWM) to the
// current RSS, so that peakRSS reports the peak of what follows. It is
// best effort: without it, peakRSS is the peak since the process started.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS returns the resident high-water mark in bytes: VmHWM, or
// getrusage's maxrss where /proc is unavailable.
func peakRSS() int64 {
	if v := procStatus("VmHWM"); v > 0 {
		return v
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss << 10 // kilobytes on Linux
}

// procStatus returns the field of /proc/self/status named key, in bytes
// (0 when unavailable).
func procStatus(key string) int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	prefix := []byte(key + ":")
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, prefix) {
			continue
		}
		fields := bytes.Fields(line[len(prefix):])
		if len(fields) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}
