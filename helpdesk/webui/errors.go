package webui

import (
	"errors"

	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/events/whatsapp"
	"github.com/sistemaboladao/boladao/helpdesk/ai"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

// domainError is one kind of the domain's errors and the message that
// explains it to a person, in their language.
type domainError struct {
	// match reports whether an error is of this kind.
	match func(error) bool
	// id is the message's ID in locales/errors.*.toml.
	id string
}

func is(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

func as[T error]() func(error) bool {
	return func(err error) bool {
		var t T
		return errors.As(err, &t)
	}
}

// domainErrors are the kinds of the domain's errors that reach a page, the
// most specific first (an overlap is a conflict too). The English texts
// the domain writes are for developers and logs; a person reads these.
func domainErrors() []domainError {
	return []domainError{
		{is(tenant.ErrForbidden), "error.403.title"},
		{is(tenant.ErrNoCompany), "error.no_company.title"},
		{is(storage.ErrNotFound), "error.404.title"},
		{is(serviceorders.ErrOverlap), "domain.overlap"},
		{is(inventory.ErrInsufficientStock), "domain.insufficient_stock"},
		{is(inventory.ErrSerialExhausted), "domain.serial_exhausted"},
		{is(webhooks.ErrAddressRefused), "domain.webhook_address_refused"},
		{is(whatsapp.ErrNotConfigured), "domain.whatsapp_not_configured"},
		{as[*whatsapp.APIError](), "domain.whatsapp_api"},
		{is(ai.ErrNotConfigured), "domain.ai_not_configured"},
		{is(ai.ErrBadResponse), "domain.ai_bad_response"},
		{as[*ai.APIError](), "domain.ai_api"},
		{is(directory.ErrAccountDisabled), "domain.account_disabled"},
		{is(directory.ErrInvalidCredentials), "domain.invalid_credentials"},
		{as[*directory.FieldConflictError](), "domain.field_conflict"},
		{is(tickets.ErrReopenWindowPassed), "domain.reopen_window_passed"},
		{is(workflow.ErrIllegalTransition), "domain.transition_refused"},
		{is(storage.ErrStale), "domain.stale"},
		{is(storage.ErrConflict), "error.409.title"},
		{is(storage.ErrUnavailable), "domain.unavailable"},
		{is(storage.ErrBadCursor), "domain.bad_cursor"},
	}
}

// domainMessage explains err in the person's language when it is of a
// kind the console knows (see domainErrors).
func (q *request) domainMessage(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	for _, d := range q.c.domainErrors {
		if d.match(err) {
			return q.T(d.id), true
		}
	}
	return "", false
}

// explain is a person's explanation of a refused operation: by the
// error's kind when the console knows it, else as describeError says.
func (c *console) explain(q *request, err error) string {
	if errors.Is(err, validation.ErrInvalid) { // each field says what is wrong
		return c.describeError(q, err)
	}
	if s, ok := q.domainMessage(err); ok {
		return s
	}
	return c.describeError(q, err)
}
