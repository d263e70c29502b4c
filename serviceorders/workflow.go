package serviceorders

import (
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
)

// Workflow field names: the service passes the order's state under these
// names, so the table's Required lists read like the API's fields.
const (
	fieldTechnician     = "technician_user_id"
	fieldScheduledStart = "scheduled_start"
	fieldScheduledEnd   = "scheduled_end"
	fieldAPR            = "apr_number"
	fieldActivities     = "activities"
	fieldSignOff        = "sign_off_name"
	fieldReason         = "reason"
	fieldOnSite         = "on_site"
)

// requireAPR refuses to start an on-site order without an APR number.
func requireAPR(a workflow.Attempt[Status]) error {
	onSite, _ := a.Fields[fieldOnSite].(bool)
	apr, _ := a.Fields[fieldAPR].(string)
	if onSite && apr == "" {
		return validation.Field(fieldAPR, "an on-site order needs its APR (Análise Preliminar de Risco) number before it starts")
	}
	return nil
}

// newMachine declares the service order lifecycle:
//
//	draft → scheduled (technician and window) → in_progress (APR when on site)
//	in_progress ⇄ on_hold;  in_progress → completed (at least one activity)
//	completed → approved (customer sign-off) → invoiced (admins only)
//	completed → in_progress (rework)
//	draft, scheduled, in_progress, on_hold → cancelled (reason)
//
// Agents and admins work orders; only admins invoice.
func newMachine() (*workflow.Machine[Status], error) {
	staff := []tenant.Role{tenant.RoleAdmin, tenant.RoleAgent}
	admin := []tenant.Role{tenant.RoleAdmin}
	type T = workflow.Transition[Status]
	return workflow.New("service_order", Statuses(),
		T{Name: "schedule", From: []Status{StatusDraft}, To: StatusScheduled, Roles: staff,
			Required: []string{fieldTechnician, fieldScheduledStart, fieldScheduledEnd}},
		T{Name: "unschedule", From: []Status{StatusScheduled}, To: StatusDraft, Roles: staff},
		T{Name: "start", From: []Status{StatusScheduled, StatusOnHold, StatusCompleted}, To: StatusInProgress, Roles: staff,
			Required: []string{fieldTechnician}, Guard: requireAPR},
		T{Name: "hold", From: []Status{StatusInProgress}, To: StatusOnHold, Roles: staff},
		T{Name: "complete", From: []Status{StatusInProgress}, To: StatusCompleted, Roles: staff, Required: []string{fieldActivities}},
		T{Name: "approve", From: []Status{StatusCompleted}, To: StatusApproved, Roles: staff, Required: []string{fieldSignOff}},
		T{Name: "invoice", From: []Status{StatusApproved}, To: StatusInvoiced, Roles: admin},
		T{Name: "cancel", From: []Status{StatusDraft, StatusScheduled, StatusInProgress, StatusOnHold}, To: StatusCancelled,
			Roles: staff, Required: []string{fieldReason}},
	)
}
