package inventory

import (
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
)

// newMachine declares the asset lifecycle. Agents and admins move assets;
// retiring or losing one needs a reason, assigning one needs a contact.
func newMachine() (*workflow.Machine[Status], error) {
	staff := []tenant.Role{tenant.RoleAdmin, tenant.RoleAgent}
	type T = workflow.Transition[Status]
	return workflow.New("asset", Statuses(),
		T{Name: "assign", From: []Status{StatusInStock, StatusInRepair}, To: StatusAssigned, Roles: staff,
			Required: []string{"assignee_contact_id"}},
		T{Name: "put_in_use", From: []Status{StatusAssigned}, To: StatusInUse, Roles: staff},
		T{Name: "return_to_stock", From: []Status{StatusAssigned, StatusInUse, StatusInRepair, StatusLost}, To: StatusInStock, Roles: staff},
		T{Name: "send_to_repair", From: []Status{StatusInStock, StatusAssigned, StatusInUse}, To: StatusInRepair, Roles: staff},
		T{Name: "retire", From: []Status{StatusInStock, StatusInRepair}, To: StatusRetired, Roles: staff,
			Required: []string{"reason"}},
		T{Name: "report_lost", From: []Status{StatusInStock, StatusAssigned, StatusInUse, StatusInRepair}, To: StatusLost, Roles: staff,
			Required: []string{"reason"}},
	)
}
