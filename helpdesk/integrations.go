package helpdesk

import (
	"context"
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/whatsapp"
	"github.com/sistemaboladao/boladao/helpdesk/ai"
	"github.com/sistemaboladao/boladao/helpdesk/sso"
	"github.com/sistemaboladao/boladao/tickets"
)

// IntegrationsStore is what the integrations need from a storage backend.
// storage/memory and storage/bunstore implement it.
type IntegrationsStore interface {
	WhatsApp() whatsapp.Store
	AI() ai.Store
	SSO() sso.Store
}

// Integrations are the desk's connections to the outside: WhatsApp and
// the AI gateway. Their reactions to domain events are Handle methods;
// EventHandlers lists them for an event bus.
type Integrations struct {
	// WhatsApp sends messages and notifications through the WhatsApp Cloud
	// API and turns inbound messages into tickets.
	WhatsApp *whatsapp.Service
	// AI classifies tickets with the company's provider.
	AI *ai.Service
	// SSO keeps the companies' single sign-on settings and runs OpenID
	// Connect sign-ins (see Desk.SignInSSO).
	SSO *sso.Service
}

// newIntegrations assembles the integrations over store.
func newIntegrations(store Store, tk *tickets.Service, files *attachments.Service, now func() time.Time, ssoKey []byte) (Integrations, error) {
	wa, err := whatsapp.NewService(store.WhatsApp(), tk, whatsapp.WithClock(now), whatsapp.WithAttachments(files))
	if err != nil {
		return Integrations{}, fmt.Errorf("helpdesk: %w", err)
	}
	gw, err := ai.NewService(store.AI(), tk, ai.WithClock(now))
	if err != nil {
		return Integrations{}, fmt.Errorf("helpdesk: %w", err)
	}
	single, err := sso.NewService(store.SSO(), ssoKey, sso.WithClock(now))
	if err != nil {
		return Integrations{}, fmt.Errorf("helpdesk: %w", err)
	}
	return Integrations{WhatsApp: wa, AI: gw, SSO: single}, nil
}

// EventHandler is a reaction to domain events, for an event bus to call
// with every committed event of Type ("*": every type). Handle returns an
// error when the event should be delivered again later.
type EventHandler struct {
	// Name identifies the subscriber (for example in a dead-letter list).
	Name   string
	Type   string
	Handle func(ctx context.Context, e events.Event) error
}

// EventHandlers lists the integrations' reactions to events: the WhatsApp
// notifier (every type: the companies' rules pick the events) and the AI
// applier (ticket.created). Both are idempotent per event ID, so an
// at-least-once bus may deliver an event again. New subscribes them to the
// desk's bus under their names, dots turned into underscores.
func (i Integrations) EventHandlers() []EventHandler {
	return []EventHandler{
		{Name: "whatsapp.notifier", Type: "*", Handle: i.WhatsApp.Notifier().Handle},
		{Name: "ai.applier", Type: "ticket.created", Handle: i.AI.Applier().Handle},
	}
}
