package helpdesk_test

import (
	"context"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// A desk over the in-memory store: create a company and an agent, log in,
// and authenticate the access token the way the HTTP layer does.
func Example() {
	ctx := context.Background()
	desk, err := helpdesk.New(memory.New(), helpdesk.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		panic(err)
	}
	defer desk.Close()

	company, _ := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	admin, _ := tenant.System().InCompany(company.ID)
	contact, _ := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: "Ana"})
	_, err = desk.Directory.CreateUser(ctx, admin, directory.UserInput{
		Email: "ana@acme.com", Password: "correct horse", Role: tenant.RoleAgent, ContactID: contact.ID})
	if err != nil {
		panic(err)
	}

	tokens, user, err := desk.Login(ctx, "ana@acme.com", "correct horse")
	if err != nil {
		panic(err)
	}
	p, err := desk.Authenticate(ctx, tokens.AccessToken)
	if err != nil {
		panic(err)
	}
	fmt.Println(user.Email, p.Kind, p.Actor.Role, p.Actor.CompanyID == company.ID)

	_, _, err = desk.Login(ctx, "ana@acme.com", "wrong")
	fmt.Println(err)
	// Output:
	// ana@acme.com user agent true
	// invalid email or password
}
