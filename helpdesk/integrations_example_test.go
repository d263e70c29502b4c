package helpdesk_test

import (
	"fmt"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// The integrations react to committed events through handlers that an
// event bus subscribes by type ("*" for every type).
func ExampleIntegrations_EventHandlers() {
	desk, err := helpdesk.New(memory.New())
	if err != nil {
		panic(err)
	}
	for _, h := range desk.EventHandlers() {
		fmt.Println(h.Name, h.Type)
	}
	// Output:
	// whatsapp.notifier *
	// ai.applier ticket.created
}
