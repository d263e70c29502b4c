package helpdesk_test

import (
	"context"
	"fmt"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// An embedder reacts to committed events with a Go function. Run relays
// them continuously; Relay().Drain hands over what is waiting now.
func ExampleDesk_OnEvent() {
	ctx := context.Background()
	desk, err := helpdesk.New(memory.New())
	if err != nil {
		panic(err)
	}
	defer desk.Close()
	err = desk.OnEvent("company.*", func(_ context.Context, ev events.Event) error {
		fmt.Println("received", ev.Type)
		return nil // an error would be retried with backoff
	})
	if err != nil {
		panic(err)
	}
	if _, err := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"}); err != nil {
		panic(err)
	}
	if _, err := desk.Relay().Drain(ctx); err != nil {
		panic(err)
	}
	// Output: received company.created
}
