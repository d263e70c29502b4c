package webui_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk"
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
			cl := f.client(b)
			cl.signIn(f.agent)
			u, _ := url.Parse(f.srv.URL)
			var cookie string
			for _, ck := range cl.http.Jar.Cookies(u) {
				cookie += ck.Name + "=" + ck.Value + "; "
			}
			h := f.srv.Config.Handler
			for _, page := range []string{"/tickets", "/tickets?priority=medium&tag=lote", fmt.Sprintf("/tickets/%d", last), "/dashboard"} {
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
		})
	}
}
