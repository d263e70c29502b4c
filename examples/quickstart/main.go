// Command quickstart embeds Boladão with the in-memory store: it creates a
// company, a contact and an agent, authenticates the agent and prints what it
// did.
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
)

func main() {
	ctx := context.Background()
	desk, err := helpdesk.New(memory.New())
	if err != nil {
		log.Fatal(err)
	}
	defer desk.Close()

	// A platform admin (here the system itself) creates the tenant.
	company, err := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{
		Name: "Acme Informática", LegalName: "Acme Informática Ltda", CNPJ: "11.222.333/0001-81",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("company %d: %s, CNPJ %s, timezone %s\n", company.ID, company.Name, directory.FormatCNPJ(company.CNPJ), company.Timezone)

	// From here on the platform admin acts inside that company.
	admin, err := tenant.System().InCompany(company.ID)
	if err != nil {
		log.Fatal(err)
	}
	contact, err := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{
		Name: "Ana Souza", Email: "Ana.Souza@acme.com.br", Phone: "(11) 98765-4321", WhatsAppOptIn: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("contact %d: %s <%s> %s\n", contact.ID, contact.Name, contact.Email, contact.Phone)

	agent, err := desk.Directory.CreateUser(ctx, admin, directory.UserInput{
		Email: contact.Email, Password: "correct horse battery", Role: tenant.RoleAgent, ContactID: contact.ID,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("user %d: %s as %s\n", agent.ID, agent.Email, agent.Role)

	user, err := desk.Directory.Authenticate(ctx, "ana.souza@acme.com.br", "correct horse battery")
	if err != nil {
		log.Fatal(err)
	}
	actor := user.Actor()
	fmt.Printf("authenticated user %d in company %d; can manage tickets: %t; can manage users: %t\n",
		actor.UserID, actor.CompanyID, actor.Can(tenant.PermTicketsManage), actor.Can(tenant.PermUsersManage))

	if _, err := desk.Directory.Authenticate(ctx, "ana.souza@acme.com.br", "wrong"); err != nil {
		fmt.Println("wrong password:", err)
	}

	evs, err := desk.Outbox(ctx, events.OutboxQuery{CompanyID: company.ID})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range evs {
		fmt.Printf("event %s %s/%s\n", e.Type, e.AggregateType, e.AggregateID)
	}
}
