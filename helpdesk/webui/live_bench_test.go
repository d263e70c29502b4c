package webui_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/webui"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// fanOutClients is how many open browsers the fan-out benchmark
// simulates.
const fanOutClients = 200

// BenchmarkLiveFanOut measures how long one ticket change takes to reach
// 200 open live streams (SSE over loopback): each iteration publishes one
// ticket event on the bus and waits until every stream has read it. It
// reports the p50 and p99 of the per-stream latencies (publish → the
// stream's reader has the message) and the p99 of the time until the last
// stream has it.
//
//	go test ./helpdesk/webui -run '^$' -bench LiveFanOut -benchtime 200x
func BenchmarkLiveFanOut(b *testing.B) {
	ctx := b.Context()
	bus, err := events.NewLocalBus(events.LocalBusConfig{})
	if err != nil {
		b.Fatal(err)
	}
	desk, err := helpdesk.New(memory.New(), helpdesk.WithBus(bus), helpdesk.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = desk.Close() })
	co, err := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	if err != nil {
		b.Fatal(err)
	}
	actor, _ := tenant.System().InCompany(co.ID)
	contact, err := desk.Directory.CreateContact(ctx, actor, directory.ContactInput{Name: "Beto", Email: "beto@acme.test"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := desk.Directory.CreateUser(ctx, actor, directory.UserInput{Email: "beto@acme.test", Password: password,
		Role: tenant.RoleAgent, ContactID: contact.ID}); err != nil {
		b.Fatal(err)
	}
	h, err := webui.New(desk, webui.Config{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)

	// One sign-in; every stream presents its cookie.
	jar, _ := cookiejar.New(nil)
	signin := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/signin",
		strings.NewReader(url.Values{"email": {"beto@acme.test"}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := signin.Do(req)
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("signing in: %v %v", err, resp)
	}
	resp.Body.Close()
	u, _ := url.Parse(srv.URL)
	cookies := jar.Cookies(u)

	// The streams: each reader hands the ID of every ticket message, with
	// the time it read it, to got.
	type arrival struct {
		id string
		at time.Time
	}
	got := make(chan arrival, fanOutClients*4)
	transport := &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: fanOutClients}
	b.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: transport}
	sctx, cancel := context.WithCancel(ctx)
	var readers sync.WaitGroup
	b.Cleanup(func() { cancel(); readers.Wait() })
	for range fanOutClients {
		req, _ := http.NewRequestWithContext(sctx, http.MethodGet, srv.URL+"/live", nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("opening a stream: %v %v", err, resp)
		}
		readers.Go(func() {
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			ticket := false
			for sc.Scan() {
				line := sc.Text()
				switch {
				case line == "event: ticket":
					ticket = true
				case ticket && strings.HasPrefix(line, "data: "):
					got <- arrival{id: strings.TrimPrefix(line, "data: "), at: time.Now()}
					ticket = false
				}
			}
		})
	}

	var each, last []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		id := strconv.Itoa(i + 1)
		ev, err := events.New("ticket.updated", co.ID, "ticket", id, actor, time.Now(), map[string]any{"id": i + 1})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := bus.Publish(ctx, ev); err != nil {
			b.Fatal(err)
		}
		var slowest time.Duration
		for n := 0; n < fanOutClients; {
			a := <-got
			if a.id != id {
				continue // a late copy of an earlier change
			}
			d := a.at.Sub(start)
			each = append(each, d)
			slowest = max(slowest, d)
			n++
		}
		last = append(last, slowest)
	}
	b.StopTimer()
	slices.Sort(each)
	slices.Sort(last)
	pct := func(ds []time.Duration, p float64) float64 {
		return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(each, 0.50), "p50-ms")
	b.ReportMetric(pct(each, 0.99), "p99-ms")
	b.ReportMetric(pct(last, 0.99), "all-200-p99-ms")
}
