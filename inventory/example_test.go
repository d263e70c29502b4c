package inventory_test

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// Intake turns a received batch into one asset per unit, each with a
// serial from the company's pattern, in one unit of work with its events.
// Assigning an asset moves it through its lifecycle and into its history.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 7, 6, 13, 0, 0, 0, time.UTC)
	st := memory.New()
	desk, err := helpdesk.New(st, helpdesk.WithClock(func() time.Time { return now }), helpdesk.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		panic(err)
	}
	defer desk.Close()
	company, _ := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	admin, _ := tenant.System().InCompany(company.ID)
	ana, _ := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: "Ana"})

	item, assets, err := desk.Inventory.Intake(ctx, admin, inventory.IntakeInput{Name: "Notebook", Category: "Notebook",
		Manufacturer: "Lenovo", Model: "T14", Quantity: 3, InvoiceNumber: "NF-1234", UnitCostCents: 650000,
		ReceivedAt: now, WarrantyMonths: 12})
	if err != nil {
		panic(err)
	}
	fmt.Println(item.Name, item.Quantity, "units of", item.UnitCostCents/100, "BRL")
	for _, a := range assets {
		fmt.Println(a.Serial, a.Status, a.WarrantyUntil.Format(time.DateOnly))
	}

	a, err := desk.Inventory.Assign(ctx, admin, assets[0].ID, ana.ID, assets[0].Version)
	fmt.Println(a.Serial, a.Status, a.AssigneeContactID == ana.ID, err)
	history, _ := desk.Inventory.History(ctx, admin, a.ID, storage.PageRequest{})
	for _, h := range history.Items {
		fmt.Println(" ", h.Action, h.Field, h.From, "→", h.To)
	}

	evs, _ := st.OutboxEvents(ctx, events.OutboxQuery{})
	count := map[string]int{}
	for _, ev := range evs {
		if events.Match("asset.*", ev.Type) || events.Match("inventory.*", ev.Type) {
			count[ev.Type]++
		}
	}
	fmt.Println(count)
	// Output:
	// Notebook 3 units of 6500 BRL
	// ACME-2026-000001 in_stock 2027-07-06
	// ACME-2026-000002 in_stock 2027-07-06
	// ACME-2026-000003 in_stock 2027-07-06
	// ACME-2026-000001 assigned true <nil>
	//   created status  → in_stock
	//   status_changed status in_stock → assigned
	//   assigned assignee_contact_id  → 1
	// map[asset.assigned:1 asset.created:3 asset.status_changed:1 inventory.intake_received:1]
}
