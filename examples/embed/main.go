// Command embed is a program that embeds Boladão: it opens an SQLite store,
// creates a ticket and a row of its own table in one unit of work (and
// shows that when its own statement fails, the ticket and its event are
// rolled back too), hears the ticket's event, and mounts the API under
// /helpdesk/ of its own mux.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/tickets"
)

func main() {
	ctx := context.Background()
	store, err := bunstore.Open(ctx, "sqlite:embed.db")
	check(err)
	desk, err := helpdesk.New(store)
	check(err)
	defer desk.Close()
	_, err = store.DB().ExecContext(ctx, "CREATE TABLE crm_links (ticket_id INTEGER PRIMARY KEY, crm_case TEXT NOT NULL UNIQUE)")
	check(err)

	heard := make(chan string, 2)
	check(desk.OnEvent("ticket.created", func(_ context.Context, ev events.Event) error {
		heard <- ev.Type + " " + ev.AggregateID
		return nil
	}))
	run, stop := context.WithCancel(ctx)
	defer stop()
	go desk.Run(run)

	company, err := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	check(err)
	admin, _ := tenant.System().InCompany(company.ID)
	bruno, err := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: "Bruno"})
	check(err)

	// createLinked creates a ticket and links it to a case of the
	// embedder's CRM, atomically.
	createLinked := func(title, crmCase string) error {
		return desk.InTx(ctx, func(ctx context.Context, tx helpdesk.Tx) error {
			t, err := desk.Tickets.CreateTx(ctx, tx, admin, tickets.CreateInput{Title: title, RequesterContactID: bruno.ID})
			if err != nil {
				return err
			}
			db, err := bunstore.TxDB(tx)
			if err != nil {
				return err
			}
			_, err = db.NewRaw("INSERT INTO crm_links (ticket_id, crm_case) VALUES (?, ?)", t.ID, crmCase).Exec(ctx)
			return err
		})
	}
	fmt.Println("first:", createLinked("Impressora não imprime", "CRM-42"))
	fmt.Println("second fails:", createLinked("Same case again", "CRM-42") != nil)
	page, err := desk.Tickets.List(ctx, admin, tickets.Filter{}, storage.PageRequest{})
	check(err)
	fmt.Println("tickets:", len(page.Items))
	fmt.Println("heard:", <-heard)

	api, err := httpapi.New(desk, httpapi.Config{})
	check(err)
	mux := http.NewServeMux()
	mux.Handle("/helpdesk/", http.StripPrefix("/helpdesk", api))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/helpdesk/health", nil))
	fmt.Println("GET /helpdesk/health:", rec.Code)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
