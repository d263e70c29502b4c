package directory_test

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// A platform admin creates a company and, acting in it, a contact and the
// user who logs in as that contact. Bad input is a *validation.Error
// naming every field, and nothing is written.
func Example() {
	ctx := context.Background()
	dir, err := directory.NewService(memory.New().Directory(), directory.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		panic(err)
	}
	company, err := dir.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme", CNPJ: "11222333000181"})
	if err != nil {
		panic(err)
	}
	fmt.Println(company.ID, company.Name, directory.FormatCNPJ(company.CNPJ), company.Timezone)

	admin, _ := tenant.System().InCompany(company.ID) // one company at a time
	contact, _ := dir.CreateContact(ctx, admin, directory.ContactInput{Name: "Ana", Phone: "(11) 98765-4321"})
	fmt.Println(contact.Name, contact.Phone)
	user, err := dir.CreateUser(ctx, admin, directory.UserInput{Email: "Ana@Acme.example", Password: "correct horse",
		Role: tenant.RoleAgent, ContactID: contact.ID})
	fmt.Println(user.Email, user.Role, err)

	_, err = dir.CreateUser(ctx, admin, directory.UserInput{Email: "bruno", Password: "correct horse", Role: tenant.RoleAgent})
	var verr *validation.Error
	if errors.As(err, &verr) {
		for _, f := range verr.Fields {
			fmt.Printf("%s: %s\n", f.Field, f.Message)
		}
	}
	u, err := dir.Authenticate(ctx, "ana@acme.example", "correct horse")
	fmt.Println(u.ID == user.ID, err)
	// Output:
	// 1 Acme 11.222.333/0001-81 America/Sao_Paulo
	// Ana +5511987654321
	// ana@acme.example agent <nil>
	// email: must be a valid email address such as ana@example.com
	// contact_id: is required
	// true <nil>
}
