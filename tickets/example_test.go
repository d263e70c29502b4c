package tickets_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// A requester opens a ticket; an agent takes it, resolves it, and the
// requester's late attempt to reopen it is refused with the reason. The
// SLA targets count in the company's business hours (Monday to Friday,
// 08:00–18:00, in its timezone).
func Example() {
	ctx := context.Background()
	loc, _ := time.LoadLocation(directory.DefaultTimezone)
	now := time.Date(2026, 7, 6, 10, 0, 0, 0, loc) // a Monday in São Paulo
	desk, err := helpdesk.New(memory.New(), helpdesk.WithClock(func() time.Time { return now }),
		helpdesk.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		panic(err)
	}
	defer desk.Close()
	company, _ := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	admin, _ := tenant.System().InCompany(company.ID)
	user := func(name string, role tenant.Role) tenant.Actor {
		c, _ := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: name})
		u, err := desk.Directory.CreateUser(ctx, admin, directory.UserInput{Email: name + "@acme.example",
			Password: "correct horse", Role: role, ContactID: c.ID})
		if err != nil {
			panic(err)
		}
		return u.Actor()
	}
	ana, bruno := user("ana", tenant.RoleRequester), user("bruno", tenant.RoleAgent)

	d, err := desk.Tickets.Create(ctx, ana, tickets.CreateInput{Title: "Impressora não imprime", Priority: sla.PriorityHigh})
	if err != nil {
		panic(err)
	}
	t := d.Ticket
	fmt.Println(t.Number, t.Status, "response due", t.ResponseDueAt.In(loc).Format("Mon 15:04"))

	if _, err := desk.Tickets.Assign(ctx, bruno, t.ID, bruno.UserID, 0); err != nil {
		panic(err)
	}
	resolved := tickets.StatusResolved
	d, err = desk.Tickets.Update(ctx, bruno, t.ID, tickets.Patch{Status: &resolved, ResolutionNote: "Driver reinstalled"})
	fmt.Println(d.Ticket.Status, err)
	for _, a := range d.NextActions {
		fmt.Println("bruno may:", a.Name)
	}

	now = now.Add(tickets.DefaultReopenWindow + time.Hour)
	open := tickets.StatusOpen
	_, err = desk.Tickets.Update(ctx, ana, t.ID, tickets.Patch{Status: &open})
	fmt.Println(errors.Is(err, tickets.ErrReopenWindowPassed), err)
	// Output:
	// 1 new response due Mon 14:00
	// resolved <nil>
	// bruno may: close
	// bruno may: reopen
	// true updating ticket 1: ticket: cannot move from "resolved" to "open": the reopen window has passed: open a new ticket (allowed: closed)
}
