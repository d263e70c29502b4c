package webui_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
	"github.com/sistemaboladao/boladao/storage/memory"
	"github.com/sistemaboladao/boladao/tickets"
)

// BenchmarkPages measures the server time of the ticket pages (handler
// only, no network) over 2,000 tickets of many requesters, signed in as an
// agent: go test ./helpdesk/webui -run '^$' -bench Pages.
func BenchmarkPages(b *testing.B) {
	for _, backend := range []struct {
		name  string
		store func(b *testing.B) helpdesk.Store
	}{
		{"memory", func(*testing.B) helpdesk.Store { return memory.New() }},
		{"sqlite", func(b *testing.B) helpdesk.Store { return bunstoretest.SQLite(b) }},
	} {
		b.Run(backend.name, func(b *testing.B) {
			f := newFixture(b, fixtureOptions{store: backend.store(b)})
			var last int64
			for i := range 2000 {
				requester := f.requester.Contact.ID
				if i%2 == 0 {
					requester = f.requester2.Contact.ID
				}
				d, err := f.desk.Tickets.Create(b.Context(), f.agent.actor(), tickets.CreateInput{Title: fmt.Sprintf("Chamado %d", i),
					Description: "Impressora sem toner", RequesterContactID: requester, Tags: []string{"lote"}})
				require.NoError(b, err)
				last = d.Ticket.ID
			}
			for range 10 {
				_, err := f.desk.Tickets.AddComment(b.Context(), f.agent.actor(), last, "Resposta", false)
				require.NoError(b, err)
			}
			benchPages(b, f, f.agent, "/tickets", "/tickets?priority=medium&tag=lote", fmt.Sprintf("/tickets/%d", last), "/dashboard")
		})
	}
}

// benchPages signs p in and measures each page through the console's
// handler (no network), each as a sub-benchmark.
func benchPages(b *testing.B, f *fixture, p person, pages ...string) {
	cl := f.client(b)
	cl.signIn(p)
	u, _ := url.Parse(f.srv.URL)
	var cookie string
	for _, ck := range cl.http.Jar.Cookies(u) {
		cookie += ck.Name + "=" + ck.Value + "; "
	}
	h := f.srv.Config.Handler
	for _, page := range pages {
		b.Run(strings.ReplaceAll(strings.TrimPrefix(page, "/"), "/", "_"), func(b *testing.B) {
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, page, nil)
				r.Header.Set("Cookie", cookie)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", page, w.Code, w.Body.String())
				}
				_, _ = io.Copy(io.Discard, w.Body)
			}
		})
	}
}

// BenchmarkAssetAndOrderPages measures the server time of the asset list
// searched for a term (over BOLADAO_BENCH_ASSETS assets of the company,
// default 20,000, ten times as many in all) and of a service order's page
// with 200 activities, on SQLite, signed in as an admin (handler only, no
// network): go test ./helpdesk/webui -run '^$' -bench AssetAndOrder.
func BenchmarkAssetAndOrderPages(b *testing.B) {
	main := 20_000
	if s := os.Getenv("BOLADAO_BENCH_ASSETS"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(b, err)
		main = n
	}
	store := bunstoretest.SQLite(b)
	f := newFixture(b, fixtureOptions{store: store})
	ctx := b.Context()
	_, err := bunstoretest.SeedAssets(ctx, store, bunstoretest.AssetSeed{Total: 10 * main, Companies: 10, Main: main, Company: f.acme.ID})
	require.NoError(b, err)
	o, err := f.desk.ServiceOrders.Create(ctx, f.admin.actor(), serviceorders.CreateInput{Type: serviceorders.TypeRemote,
		TechnicianUserID: f.agent.User.ID, Description: "Um longo registro de horas"})
	require.NoError(b, err)
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for i := range 200 {
		from := start.AddDate(0, 0, -i)
		tech := f.agent.User.ID
		if i%2 == 0 {
			tech = f.admin.User.ID
		}
		_, err := f.desk.ServiceOrders.AddActivity(ctx, f.admin.actor(), o.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour,
			Description: fmt.Sprintf("Atendimento remoto %d", i+1), StartedAt: from, EndedAt: from.Add(90 * time.Minute),
			TechnicianUserID: tech, Billable: i%3 != 0})
		require.NoError(b, err)
	}
	benchPages(b, f, f.admin, "/assets?q=note+dell", fmt.Sprintf("/service-orders/%d", o.ID))
}
