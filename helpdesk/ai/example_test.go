package ai_test

import (
	"context"
	"fmt"

	"github.com/sistemaboladao/boladao/helpdesk/ai"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// The builtin classifier learns from resolved tickets and reports its
// accuracy on the ones it held out.
func ExampleTrain() {
	var history []ai.Sample
	for range 10 {
		history = append(history,
			ai.Sample{Title: "VPN não conecta", Description: "sem acesso à rede", Category: "network", Priority: sla.PriorityHigh},
			ai.Sample{Title: "Impressora atolada", Description: "papel preso na bandeja", Category: "hardware", Priority: sla.PriorityLow},
			ai.Sample{Title: "Senha bloqueada", Description: "usuário bloqueado após tentativas", Category: "access", Priority: sla.PriorityMedium})
	}
	m := ai.Train(history, 0)
	ev := m.Evaluation()
	fmt.Println(m.Mode(), m.Samples(), m.Categories())
	fmt.Printf("held out %d: category %.2f, priority %.2f\n", ev.HeldOut, ev.CategoryAccuracy, ev.PriorityAccuracy)

	c, _ := m.Classify(context.Background(), ai.Input{Title: "A VPN caiu de novo"})
	fmt.Printf("%s %s %s %.2f\n", c.Category, c.Priority, c.Source, c.Confidence)
	// Output:
	// naive_bayes 30 [access hardware network]
	// held out 6: category 1.00, priority 1.00
	// network high naive_bayes 0.87
}

// With too little history, keywords classify.
func ExampleBuiltin_Classify() {
	m := ai.Train(nil, 0)
	c, _ := m.Classify(context.Background(), ai.Input{Title: "Internet fora do ar", Description: "o escritório todo está sem rede"})
	fmt.Println(m.Mode(), c.Category, c.Priority, c.Urgency, c.Confidence)
	// Output:
	// keywords network critical high 0.5
}
