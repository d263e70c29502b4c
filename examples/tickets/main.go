// Command tickets walks one ticket through its life on the in-memory store,
// with an injected clock, printing its SLA state at each step: opened on a
// Friday afternoon in São Paulo, answered, parked waiting for the customer
// over the weekend, resolved, reopened and closed.
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

func main() {
	ctx := context.Background()
	saoPaulo, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		log.Fatal(err)
	}
	now := time.Date(2026, 7, 3, 16, 0, 0, 0, saoPaulo) // Friday 16:00
	desk, err := helpdesk.New(memory.New(), helpdesk.WithClock(func() time.Time { return now }))
	if err != nil {
		log.Fatal(err)
	}
	defer desk.Close()

	company, err := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	if err != nil {
		log.Fatal(err)
	}
	admin, _ := tenant.System().InCompany(company.ID)
	customer, err := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: "Bruno"})
	if err != nil {
		log.Fatal(err)
	}
	agentContact, err := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: "Ana"})
	if err != nil {
		log.Fatal(err)
	}
	agentUser, err := desk.Directory.CreateUser(ctx, admin, directory.UserInput{
		Email: "ana@acme.com", Password: "correct horse", Role: tenant.RoleAgent, ContactID: agentContact.ID})
	if err != nil {
		log.Fatal(err)
	}
	agent := agentUser.Actor()

	show := func(step string, d tickets.Details) {
		r := d.SLA
		fmt.Printf("%-28s %s  %-17s response %-8s (due %s)  resolution %-8s (due %s)\n", step,
			now.In(saoPaulo).Format("Mon 02 15:04"), d.Ticket.Status,
			r.FirstResponse.State, r.FirstResponse.Due.In(saoPaulo).Format("Mon 02 15:04"),
			r.Resolution.State, r.Resolution.Due.In(saoPaulo).Format("Mon 02 15:04"))
	}
	must := func(d tickets.Details, err error) tickets.Details {
		if err != nil {
			log.Fatal(err)
		}
		return d
	}
	status := func(s tickets.Status) *tickets.Status { return &s }

	opened, err := desk.Tickets.Create(ctx, agent, tickets.CreateInput{
		Title: "Impressora não imprime", Priority: sla.PriorityHigh, RequesterContactID: customer.ID, Channel: tickets.ChannelWhatsApp})
	if err != nil {
		log.Fatal(err)
	}
	t := opened.Ticket
	fmt.Printf("ticket #%d, high priority: 4 business hours to answer, 24 to resolve (Mon–Fri 08:00–18:00)\n", t.Number)
	show("opened", opened)

	now = now.Add(90 * time.Minute) // Friday 17:30
	show("no answer yet", must(desk.Tickets.Get(ctx, agent, t.ID)))

	now = time.Date(2026, 7, 6, 9, 30, 0, 0, saoPaulo) // Monday 09:30
	show("Monday morning", must(desk.Tickets.Get(ctx, agent, t.ID)))
	if _, err := desk.Tickets.AddComment(ctx, agent, t.ID, "Pode reiniciar a impressora?", false); err != nil {
		log.Fatal(err)
	}
	show("first reply", must(desk.Tickets.Update(ctx, agent, t.ID, tickets.Patch{Status: status(tickets.StatusInProgress)})))
	show("waiting for customer", must(desk.Tickets.Update(ctx, agent, t.ID, tickets.Patch{Status: status(tickets.StatusPendingCustomer)})))

	now = time.Date(2026, 7, 8, 9, 0, 0, 0, saoPaulo) // Wednesday: the customer answers
	show("still waiting for customer", must(desk.Tickets.Get(ctx, agent, t.ID)))
	show("customer answered", must(desk.Tickets.Update(ctx, agent, t.ID, tickets.Patch{Status: status(tickets.StatusInProgress)})))

	now = now.Add(2 * time.Hour)
	show("resolved", must(desk.Tickets.Update(ctx, agent, t.ID, tickets.Patch{
		Status: status(tickets.StatusResolved), ResolutionNote: "Toner trocado"})))

	now = now.Add(24 * time.Hour)
	show("reopened", must(desk.Tickets.Update(ctx, agent, t.ID, tickets.Patch{Status: status(tickets.StatusOpen)})))
	now = now.Add(time.Hour)
	show("resolved again", must(desk.Tickets.Update(ctx, agent, t.ID, tickets.Patch{
		Status: status(tickets.StatusResolved), ResolutionNote: "Cabo de rede substituído"})))
	d := must(desk.Tickets.Update(ctx, agent, t.ID, tickets.Patch{Status: status(tickets.StatusClosed)}))
	show("closed", d)
	fmt.Printf("reopened %d time(s); next actions after closing: %d\n", d.Ticket.ReopenCount, len(d.NextActions))
}
