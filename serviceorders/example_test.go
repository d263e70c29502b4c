package serviceorders_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// An order is numbered per company and year, scheduled, worked and
// completed; its time counts in the month's billable hours.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 7, 6, 12, 0, 0, 0, time.UTC)
	desk, _ := helpdesk.New(memory.New(), helpdesk.WithClock(func() time.Time { return now }))
	company, _ := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	admin, _ := tenant.System().InCompany(company.ID)
	contact, _ := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: "Ana"})
	user, _ := desk.Directory.CreateUser(ctx, admin, directory.UserInput{Email: "ana@acme.com",
		Password: "correct horse", Role: tenant.RoleAgent, ContactID: contact.ID})
	tech := user.Actor()

	start, end := now.Add(time.Hour), now.Add(3*time.Hour)
	o, _ := desk.ServiceOrders.Create(ctx, tech, serviceorders.CreateInput{Type: serviceorders.TypeRemote,
		TechnicianUserID: tech.UserID, ScheduledStart: start, ScheduledEnd: end})
	fmt.Println(o.Number, o.Status)

	move := func(s serviceorders.Status) {
		d, err := desk.ServiceOrders.Update(ctx, tech, o.ID, serviceorders.Patch{Status: &s})
		fmt.Println(d.Order.Status, err)
	}
	move(serviceorders.StatusScheduled)
	move(serviceorders.StatusInProgress) // remote: no APR needed
	_, err := desk.ServiceOrders.AddActivity(ctx, tech, o.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour,
		StartedAt: start, EndedAt: start.Add(45 * time.Minute), Billable: true})
	fmt.Println("logged:", err)
	move(serviceorders.StatusCompleted)

	lines, _ := desk.ServiceOrders.BillableHours(ctx, admin, "2026-07")
	fmt.Println(lines[0].Number, lines[0].BillableMinutes, "billable minutes")
	// Output:
	// OS-1-2026-000001 draft
	// scheduled <nil>
	// in_progress <nil>
	// logged: <nil>
	// completed <nil>
	// OS-1-2026-000001 45 billable minutes
}
