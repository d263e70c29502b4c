package memory_test

import (
	"context"
	"fmt"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// A unit of work writes a row and its event together; a failed one leaves
// nothing behind.
func Example() {
	ctx := context.Background()
	st := memory.New()
	defer st.Close()
	dir := st.Directory()

	err := dir.InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
		c := directory.Company{Name: "Acme", Timezone: directory.DefaultTimezone, Active: true}
		if err := tx.InsertCompany(ctx, &c); err != nil {
			return err
		}
		ev, err := events.New("company.created", c.ID, "company", c.ID, tenant.System(), at(), map[string]any{"name": c.Name})
		if err != nil {
			return err
		}
		return tx.AppendEvents(ctx, ev)
	})
	fmt.Println("commit:", err)

	err = dir.InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
		c := directory.Company{Name: "Never"}
		if err := tx.InsertCompany(ctx, &c); err != nil {
			return err
		}
		return fmt.Errorf("changed my mind")
	})
	fmt.Println("rollback:", err)

	c, _ := dir.CompanyByID(ctx, 1)
	evs, _ := st.OutboxEvents(ctx, events.OutboxQuery{})
	fmt.Println(c.Name, c.Version, len(evs), evs[0].Type)
	_, err = dir.CompanyByID(ctx, 2)
	fmt.Println(err)
	// Output:
	// commit: <nil>
	// rollback: changed my mind
	// Acme 1 1 company.created
	// memory: company 2: not found
}
