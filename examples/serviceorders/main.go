// Command serviceorders follows one service order (Ordem de Serviço) from
// the ticket that asks for it to the billable-hours report, on the
// in-memory store with an injected clock: a ticket about a server, the
// order opened from it, scheduled and started with its APR, two timed
// entries (one refused for overlapping), a part taken from stock, the
// completion that resolves the ticket, the customer's sign-off, the
// invoice, and the month's CSV for invoicing.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage/memory"
	"github.com/sistemaboladao/boladao/tickets"
)

func main() {
	ctx := context.Background()
	saoPaulo, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		log.Fatal(err)
	}
	now := time.Date(2026, 7, 6, 8, 0, 0, 0, saoPaulo) // Monday 08:00
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
	techContact, err := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: "Ana"})
	if err != nil {
		log.Fatal(err)
	}
	techUser, err := desk.Directory.CreateUser(ctx, admin, directory.UserInput{
		Email: "ana@acme.com", Password: "correct horse", Role: tenant.RoleAgent, ContactID: techContact.ID})
	if err != nil {
		log.Fatal(err)
	}
	tech := techUser.Actor()

	_, assets, err := desk.Inventory.Intake(ctx, admin, inventory.IntakeInput{Name: "Servidor Dell R650", Category: "Servidor", Quantity: 1})
	if err != nil {
		log.Fatal(err)
	}
	disks, _, err := desk.Inventory.Intake(ctx, admin, inventory.IntakeInput{Name: "SSD 1TB", Category: "Peça", Quantity: 4, UnitCostCents: 65_000})
	if err != nil {
		log.Fatal(err)
	}

	opened, err := desk.Tickets.Create(ctx, tech, tickets.CreateInput{Title: "Servidor reiniciando sozinho",
		AssetID: assets[0].ID, RequesterContactID: customer.ID})
	if err != nil {
		log.Fatal(err)
	}
	t := opened.Ticket
	fmt.Printf("ticket #%d %q about %s\n", t.Number, t.Title, assets[0].Serial)

	o, err := desk.ServiceOrders.CreateFromTicket(ctx, tech, t.ID, serviceorders.CreateInput{Type: serviceorders.TypeCorrective,
		Description: "Diagnóstico e troca de disco", Address: "Av. Paulista, 1000"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s opened for ticket #%d, asset %d: %s\n", o.Number, t.Number, o.AssetID, o.Status)

	must := func(d serviceorders.Details, err error) serviceorders.Details {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("  %-11s next: %v\n", d.Order.Status, names(d.NextActions))
		return d
	}
	status := func(s serviceorders.Status) *serviceorders.Status { return &s }
	start, end := time.Date(2026, 7, 6, 14, 0, 0, 0, saoPaulo), time.Date(2026, 7, 6, 17, 0, 0, 0, saoPaulo)
	techID := tech.UserID
	must(desk.ServiceOrders.Update(ctx, tech, o.ID, serviceorders.Patch{TechnicianUserID: &techID,
		ScheduledStart: &start, ScheduledEnd: &end, Status: status(serviceorders.StatusScheduled)}))

	now = start
	_, err = desk.ServiceOrders.Update(ctx, tech, o.ID, serviceorders.Patch{Status: status(serviceorders.StatusInProgress)})
	fmt.Println("start without APR:", err != nil)
	apr := "APR-2026-0042"
	must(desk.ServiceOrders.Update(ctx, tech, o.ID, serviceorders.Patch{APRNumber: &apr, Status: status(serviceorders.StatusInProgress)}))

	log1 := func(kind serviceorders.ActivityKind, from, to string, billable bool) {
		a, err := desk.ServiceOrders.AddActivity(ctx, tech, o.ID, serviceorders.ActivityInput{Kind: kind,
			StartedAt: at(saoPaulo, from), EndedAt: at(saoPaulo, to), Billable: billable})
		switch {
		case errors.Is(err, serviceorders.ErrOverlap):
			fmt.Printf("  %-6s %s–%s refused: overlaps another entry\n", kind, from, to)
		case err != nil:
			log.Fatal(err)
		default:
			fmt.Printf("  %-6s %s–%s %3d min billable=%v\n", kind, from, to, a.Minutes, a.Billable)
		}
	}
	log1(serviceorders.ActivityKindTravel, "13:20", "14:00", false)
	log1(serviceorders.ActivityKindLabour, "14:00", "16:30", true)
	log1(serviceorders.ActivityKindLabour, "16:00", "16:45", true)
	p, err := desk.ServiceOrders.AddPart(ctx, tech, o.ID, disks.ID, 1)
	if err != nil {
		log.Fatal(err)
	}
	left, _ := desk.Inventory.GetStockItem(ctx, tech, disks.ID)
	fmt.Printf("  part   %dx %s at R$ %d.%02d, %d left in stock\n", p.Quantity, p.Name, p.UnitCostCents/100, p.UnitCostCents%100, left.Available)

	now = at(saoPaulo, "16:40")
	d := must(desk.ServiceOrders.Update(ctx, tech, o.ID, serviceorders.Patch{Status: status(serviceorders.StatusCompleted),
		ResolveTicket: true, ResolutionNote: "Disco substituído"}))
	resolved, _ := desk.Tickets.Get(ctx, tech, t.ID)
	fmt.Printf("totals: %d billable min, %d non-billable min, parts R$ %d; ticket #%d %s\n", d.Totals.BillableMinutes,
		d.Totals.NonBillableMinutes, d.Totals.PartsCostCents/100, t.Number, resolved.Ticket.Status)
	must(desk.ServiceOrders.Update(ctx, tech, o.ID, serviceorders.Patch{SignOff: &serviceorders.SignOff{Name: "Bruno", Note: "ok"},
		Status: status(serviceorders.StatusApproved)}))
	_, err = desk.ServiceOrders.Update(ctx, tech, o.ID, serviceorders.Patch{Status: status(serviceorders.StatusInvoiced)})
	fmt.Println("an agent invoices:", errors.Is(err, tenant.ErrForbidden))
	must(desk.ServiceOrders.Update(ctx, admin, o.ID, serviceorders.Patch{Status: status(serviceorders.StatusInvoiced)}))

	a, err := desk.ServiceOrders.Analytics(ctx, admin, time.Date(2026, 7, 1, 0, 0, 0, 0, saoPaulo), time.Date(2026, 8, 1, 0, 0, 0, 0, saoPaulo))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("July: %d order(s), completion %.0f%%, on time %.0f%%, %d billable / %d non-billable minutes\n",
		a.Total, a.CompletionRate, a.OnTimeRate, a.Hours.BillableMinutes, a.Hours.NonBillableMinutes)
	csv, err := desk.ServiceOrders.BillableHoursCSV(ctx, admin, "2026-07")
	if err != nil {
		log.Fatal(err)
	}
	os.Stdout.Write(csv)
}

// at is 6 July 2026 at hh:mm in loc.
func at(loc *time.Location, hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2026-07-06 "+hhmm, loc)
	if err != nil {
		log.Fatal(err)
	}
	return t
}

func names(as []serviceorders.NextAction) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.Name)
	}
	return out
}
