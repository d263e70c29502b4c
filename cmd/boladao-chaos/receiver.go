package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Receiver modes.
const (
	modeOK      = "ok"      // answer 204
	modeUnavail = "503"     // answer 503 Service Unavailable
	modeRefuse  = "refused" // no listener: connections are refused
	modeHang    = "timeout" // never answer (until the mode changes)
)

// receiver is the webhook receiver the harness controls: an http.Server
// on loopback that records, per endpoint (the first path segment), every
// event it accepted.
type receiver struct {
	addr string

	mu      sync.Mutex
	mode    string
	changed chan struct{} // closed when the mode changes
	srv     *http.Server
	// accepted counts, per endpoint and event ID, the 2xx answers given;
	// order is, per endpoint and aggregate, the event IDs in the order of
	// their first acceptance.
	accepted map[string]map[string]int
	order    map[string]map[string][]string
	// types maps event IDs to their types, for the reports.
	types map[string]string
	// first and last acceptance, per endpoint.
	firstAt, lastAt map[string]time.Time
	// mismatched counts requests whose webhook-id differs from the
	// event's id; requests counts every request.
	mismatched int
	requests   int
}

// newReceiver listens on a free loopback port in mode ok.
func newReceiver() (*receiver, error) {
	r := &receiver{mode: modeOK, changed: make(chan struct{}), accepted: map[string]map[string]int{},
		order: map[string]map[string][]string{}, types: map[string]string{}, firstAt: map[string]time.Time{}, lastAt: map[string]time.Time{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r.addr = ln.Addr().String()
	r.serve(ln)
	return r, nil
}

// url is the URL of endpoint name.
func (r *receiver) url(name string) string { return "http://" + r.addr + "/" + name }

func (r *receiver) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(r.handle), ReadHeaderTimeout: 5 * time.Second}
	r.srv = srv
	go func() { _ = srv.Serve(ln) }()
}

// setMode switches the receiver's behaviour.
func (r *receiver) setMode(mode string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if mode == r.mode {
		return nil
	}
	if r.mode == modeRefuse {
		// Listen again on the same address.
		var ln net.Listener
		var err error
		for range 100 {
			if ln, err = net.Listen("tcp", r.addr); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond) // the port is being released
		}
		if err != nil {
			return err
		}
		r.serve(ln)
	}
	close(r.changed)
	r.changed = make(chan struct{})
	r.mode = mode
	if mode == modeRefuse {
		srv := r.srv
		r.srv = nil
		return srv.Close()
	}
	return nil
}

func (r *receiver) close() {
	r.mu.Lock()
	srv := r.srv
	close(r.changed)
	r.changed = make(chan struct{})
	r.mode = modeRefuse
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

func (r *receiver) handle(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	endpoint := strings.Trim(req.URL.Path, "/")
	var ev struct {
		ID          string `json:"id"`
		AggregateID string `json:"aggregate_id"`
		Type        string `json:"type"`
		AggType     string `json:"aggregate_type"`
	}
	_ = json.Unmarshal(body, &ev)
	r.mu.Lock()
	r.requests++
	mode, changed := r.mode, r.changed
	if req.Header.Get("webhook-id") != ev.ID || ev.ID == "" {
		r.mismatched++
	}
	r.mu.Unlock()
	switch mode {
	case modeUnavail:
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case modeHang:
		select {
		case <-changed:
		case <-req.Context().Done():
		}
		// Abort: returning would make net/http answer 200 to a request
		// the receiver never accepted.
		panic(http.ErrAbortHandler)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.accepted[endpoint] == nil {
		r.accepted[endpoint] = map[string]int{}
		r.order[endpoint] = map[string][]string{}
		r.firstAt[endpoint] = time.Now()
	}
	r.accepted[endpoint][ev.ID]++
	r.types[ev.ID] = ev.Type
	r.lastAt[endpoint] = time.Now()
	if r.accepted[endpoint][ev.ID] == 1 {
		agg := ev.AggType + "/" + ev.AggregateID
		r.order[endpoint][agg] = append(r.order[endpoint][agg], ev.ID)
	}
	w.WriteHeader(http.StatusNoContent)
}

// snapshot returns a copy of what endpoint accepted.
func (r *receiver) snapshot(endpoint string) (accepted map[string]int, order map[string][]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	accepted, order = map[string]int{}, map[string][]string{}
	for k, v := range r.accepted[endpoint] {
		accepted[k] = v
	}
	for k, v := range r.order[endpoint] {
		order[k] = append([]string(nil), v...)
	}
	return accepted, order
}

// acceptedSince reports whether endpoint accepted an event after t.
func (r *receiver) acceptedSince(endpoint string, t time.Time) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	last, ok := r.lastAt[endpoint]
	return last, ok && last.After(t)
}

// waitFor polls cond every 100 ms until it holds or timeout passes; it
// returns how long it took and whether cond held.
func waitFor(ctx context.Context, timeout time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Since(start) > timeout {
			return time.Since(start), false
		}
		select {
		case <-ctx.Done():
			return time.Since(start), false
		case <-time.After(100 * time.Millisecond):
		}
	}
}
