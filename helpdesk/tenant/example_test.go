package tenant_test

import (
	"errors"
	"fmt"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// Services check the actor's permission themselves: the role's table,
// narrowed by an API token's scopes. A platform admin acts in one chosen
// company at a time.
func Example() {
	agent := tenant.Actor{CompanyID: 7, UserID: 3, ContactID: 5, Role: tenant.RoleAgent}
	fmt.Println(agent.Can(tenant.PermTicketsManage), agent.Can(tenant.PermUsersManage))

	err := agent.Require(tenant.PermUsersManage)
	fmt.Println(errors.Is(err, tenant.ErrForbidden), err)

	token := agent // an API token of this agent, granted one scope
	token.Scopes = []tenant.Permission{tenant.PermTicketsRead}
	fmt.Println(token.Can(tenant.PermTicketsRead), token.Can(tenant.PermTicketsManage))

	root := tenant.System()
	fmt.Println(errors.Is(root.RequireIn(tenant.PermTicketsRead), tenant.ErrNoCompany))
	inAcme, _ := root.InCompany(7)
	fmt.Println(inAcme.CompanyID, inAcme.IsPlatformAdmin(), inAcme.RequireIn(tenant.PermTicketsManage))
	// Output:
	// true false
	// true role "agent" lacks permission "users.manage"
	// true false
	// true
	// 7 true <nil>
}
