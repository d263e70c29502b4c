package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

var (
	eventTypePattern    = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
	templateNamePattern = regexp.MustCompile(`^[a-z0-9_]+$`) // up to maxTemplateName: a counted repetition would compile 512 copies
	languagePattern     = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2})?$`)
	parameterPattern    = regexp.MustCompile(`^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$`)
)

// maxTemplateName is the longest template name the Cloud API accepts.
const maxTemplateName = 512

func checkTemplate(b *validation.Builder, prefix, name, language string, params int) {
	if len(name) > maxTemplateName || !templateNamePattern.MatchString(name) {
		b.Add(prefix+"name", "must be an approved template name: lower-case letters, digits and underscores")
	}
	if !languagePattern.MatchString(language) {
		b.Add(prefix+"language", "must be a template language code such as pt_BR or en_US")
	}
	if params > MaxParameters {
		b.Add(prefix+"parameters", "must have at most %d parameters", MaxParameters)
	}
}

// RuleInput holds the fields of a notification rule.
type RuleInput struct {
	EventType    string
	TemplateName string
	Language     string
	Parameters   []string
	// Active defaults to true on create.
	Active  *bool
	Version int64
}

func (in RuleInput) apply(r *Rule) error {
	var b validation.Builder
	r.EventType, r.TemplateName, r.Language = strings.TrimSpace(in.EventType), strings.TrimSpace(in.TemplateName), strings.TrimSpace(in.Language)
	if !eventTypePattern.MatchString(r.EventType) || len(r.EventType) > 100 {
		b.Add("event_type", "must be an event type such as ticket.created")
	}
	checkTemplate(&b, "template_", r.TemplateName, r.Language, len(in.Parameters))
	r.Parameters = []string{}
	for _, p := range in.Parameters {
		p = strings.TrimSpace(p)
		if !parameterPattern.MatchString(p) || len(p) > 100 {
			b.Add("parameters", "each parameter names a field of the event data (number, title, status, ...) or contact_name")
			break
		}
		r.Parameters = append(r.Parameters, p)
	}
	if in.Active != nil {
		r.Active = *in.Active
	}
	return b.Err()
}

// Rules lists the notification rules of the actor's company. It needs
// tenant.PermIntegrationsManage.
func (s *Service) Rules(ctx context.Context, actor tenant.Actor) ([]Rule, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return nil, err
	}
	return s.store.WhatsAppRules(ctx, actor.CompanyID, "")
}

// Rule reads one rule of the actor's company.
func (s *Service) Rule(ctx context.Context, actor tenant.Actor, id int64) (Rule, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return Rule{}, err
	}
	return s.store.WhatsAppRuleByID(ctx, actor.CompanyID, id)
}

// CreateRule adds a notification rule. It needs
// tenant.PermIntegrationsManage; a company has at most MaxRules.
func (s *Service) CreateRule(ctx context.Context, actor tenant.Actor, in RuleInput) (Rule, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return Rule{}, err
	}
	now := s.clock()
	r := Rule{CompanyID: actor.CompanyID, Active: true, CreatedAt: now, UpdatedAt: now}
	if err := in.apply(&r); err != nil {
		return Rule{}, err
	}
	existing, err := s.store.WhatsAppRules(ctx, actor.CompanyID, "")
	if err != nil {
		return Rule{}, fmt.Errorf("creating whatsapp rule: %w", err)
	}
	if len(existing) >= MaxRules {
		return Rule{}, fmt.Errorf("a company has at most %d whatsapp rules: %w", MaxRules, storage.ErrConflict)
	}
	if err := s.store.InsertWhatsAppRule(ctx, &r); err != nil {
		return Rule{}, fmt.Errorf("creating whatsapp rule: %w", err)
	}
	s.rules.forget(actor.CompanyID)
	return r, nil
}

// UpdateRule replaces a rule's fields (If-Match through in.Version).
func (s *Service) UpdateRule(ctx context.Context, actor tenant.Actor, id int64, in RuleInput) (Rule, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return Rule{}, err
	}
	r, err := s.store.WhatsAppRuleByID(ctx, actor.CompanyID, id)
	if err != nil {
		return Rule{}, fmt.Errorf("whatsapp rule %d: %w", id, err)
	}
	if in.Version != 0 && in.Version != r.Version {
		return Rule{}, fmt.Errorf("whatsapp rule %d: expected version %d, current is %d: %w", id, in.Version, r.Version, storage.ErrStale)
	}
	if err := in.apply(&r); err != nil {
		return Rule{}, err
	}
	r.UpdatedAt = s.clock()
	if err := s.store.UpdateWhatsAppRule(ctx, &r); err != nil {
		return Rule{}, fmt.Errorf("whatsapp rule %d: %w", id, err)
	}
	s.rules.forget(actor.CompanyID)
	return r, nil
}

// DeleteRule removes a rule.
func (s *Service) DeleteRule(ctx context.Context, actor tenant.Actor, id int64) error {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return err
	}
	if err := s.store.DeleteWhatsAppRule(ctx, actor.CompanyID, id); err != nil {
		return fmt.Errorf("whatsapp rule %d: %w", id, err)
	}
	s.rules.forget(actor.CompanyID)
	return nil
}

// ClaimTimeout is how long a notification claimed by a Notifier may stay
// pending before a redelivery of its event sends it again: the worker that
// claimed it stopped before it could send.
const ClaimTimeout = 2 * time.Minute

// Notifier sends the template of every active rule matching an event to
// the contact the event names. Subscribe Handle to the event bus.
type Notifier struct{ s *Service }

// Notifier returns the service's event handler.
func (s *Service) Notifier() *Notifier { return &Notifier{s: s} }

// recipientFields are the event data fields that name the contact to
// notify, in order of preference.
var recipientFields = []string{"requester_contact_id", "contact_id", "customer_contact_id"}

// Handle sends the notifications of e. Nothing is sent (and nil returned)
// when the company has no usable settings, no active rule for e.Type, or
// the event names no contact who opted in. Each (event, rule) is sent once
// however often e is delivered. A temporary failure (network, throughput
// limit, server error) is returned so that the bus retries; a permanent
// refusal is recorded as a failed message and not retried.
func (n *Notifier) Handle(ctx context.Context, e events.Event) error {
	s := n.s
	rules, err := s.rules.get(ctx, e.CompanyID, s.store.WhatsAppRules)
	if err != nil {
		return fmt.Errorf("whatsapp notifier: %w", err)
	}
	var active []Rule
	for _, r := range rules {
		if r.Active && r.EventType == e.Type {
			active = append(active, r)
		}
	}
	if len(active) == 0 {
		return nil
	}
	c, err := s.client(ctx, e.CompanyID)
	if errors.Is(err, ErrNotConfigured) {
		return nil
	} else if err != nil {
		return fmt.Errorf("whatsapp notifier: %w", err)
	}
	var data map[string]any
	if err := json.Unmarshal(e.Data, &data); err != nil {
		return nil // not an object: nothing to notify about
	}
	if internal, _ := data["internal"].(bool); internal {
		return nil // internal notes are never announced to the requester
	}
	contactID := tenant.ContactID(0)
	for _, f := range recipientFields {
		if v, ok := data[f].(float64); ok && v > 0 {
			contactID = tenant.ContactID(v)
			break
		}
	}
	if e.AggregateType == "ticket" {
		// The ticket as it is now fills "ticket.*" parameters and names
		// the requester of events that do not (ticket.commented).
		t, err := s.ticketOf(ctx, e)
		if err != nil {
			return fmt.Errorf("whatsapp notifier: %w", err)
		}
		if t.ID != 0 {
			data["ticket"] = map[string]any{"id": t.ID, "number": t.Number, "title": t.Title, "status": string(t.Status),
				"priority": string(t.Priority), "category": t.Category, "channel": string(t.Channel)}
			if contactID == 0 {
				contactID = t.RequesterContactID
			}
		}
	}
	if contactID == 0 {
		return nil
	}
	contact, err := s.store.ContactByID(ctx, e.CompanyID, contactID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("whatsapp notifier: %w", err)
	}
	if !contact.Active || !contact.WhatsAppOptIn || contact.Phone == "" {
		return nil
	}
	var errs []error
	for _, r := range active {
		params := make([]string, len(r.Parameters))
		for i, p := range r.Parameters {
			if p == "contact_name" {
				params[i] = contact.Name
			} else {
				params[i] = lookup(data, p)
			}
			if params[i] == "" {
				params[i] = "-" // the Cloud API refuses empty parameters
			}
		}
		now := s.clock()
		m := Message{CompanyID: e.CompanyID, Direction: Outbound, ContactID: contact.ID, Phone: contact.Phone,
			Kind: "template", Body: r.TemplateName, EventID: e.ID, RuleID: r.ID, Status: StatusPending,
			CreatedAt: now, UpdatedAt: now}
		if err := s.store.InsertWhatsAppMessage(ctx, &m); errors.Is(err, storage.ErrConflict) {
			// Already sent for this event and rule, unless the claim was
			// left pending by a worker that stopped before sending.
			prev, err := s.store.WhatsAppMessageForEvent(ctx, e.CompanyID, e.ID, r.ID)
			if err != nil || prev.Status != StatusPending || now.Sub(prev.UpdatedAt) < ClaimTimeout {
				continue
			}
			prev.UpdatedAt = now
			if err := s.store.UpdateWhatsAppMessage(ctx, &prev); err != nil {
				errs = append(errs, err)
				continue
			}
			m = prev
		} else if err != nil {
			errs = append(errs, err)
			continue
		}
		res, callErr := c.SendTemplate(ctx, contact.Phone, Template{Name: r.TemplateName, Language: r.Language, Parameters: params})
		var apiErr *APIError
		if callErr != nil && (!errors.As(callErr, &apiErr) || apiErr.Temporary()) {
			// Give the claim back so that a redelivery tries again.
			s.record(ctx, e.CompanyID, callErr)
			errs = append(errs, callErr, s.store.DeleteWhatsAppMessage(context.WithoutCancel(ctx), e.CompanyID, m.ID))
			continue
		}
		if _, err := s.finish(ctx, m, res, callErr, false); err != nil && !errors.As(err, &apiErr) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("whatsapp notifier: event %s: %w", e.ID, err)
	}
	return nil
}

// ticketOf reads the ticket of a ticket event; zero when it is gone.
func (s *Service) ticketOf(ctx context.Context, e events.Event) (tickets.Ticket, error) {
	id, err := strconv.ParseInt(e.AggregateID, 10, 64)
	if err != nil {
		return tickets.Ticket{}, nil
	}
	actor, err := tenant.System().InCompany(e.CompanyID)
	if err != nil {
		return tickets.Ticket{}, err
	}
	d, err := s.tickets.Get(ctx, actor, id)
	if errors.Is(err, storage.ErrNotFound) {
		return tickets.Ticket{}, nil
	}
	return d.Ticket, err
}

// lookup reads the dotted path p of data as text: strings as they are,
// whole numbers without decimals, anything else as JSON; "" when absent.
func lookup(data map[string]any, p string) string {
	var v any = data
	for _, k := range strings.Split(p, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	raw, _ := json.Marshal(v)
	return string(raw)
}

// RuleCacheTTL is how long the notifier keeps a company's rules: it sees
// every event, and reads the rules once per company and period instead of
// once per event. Changes made through this service apply at once; those
// made through another server instance, within RuleCacheTTL.
const RuleCacheTTL = 2 * time.Second

// ruleCache holds each company's rules for RuleCacheTTL. The zero value is
// ready.
type ruleCache struct {
	ttl time.Duration // 0: RuleCacheTTL
	// now reads the monotonic clock (nil: time.Now); tests step their own.
	now       func() time.Time
	mu        sync.Mutex
	byCompany map[tenant.CompanyID]cachedRules
}

type cachedRules struct {
	rules  []Rule
	expire time.Time
}

// get returns the company's rules, read with load when they are not held
// or have expired. The expiry runs on the monotonic clock, not on the
// service's (injectable) clock.
func (c *ruleCache) get(ctx context.Context, company tenant.CompanyID,
	load func(context.Context, tenant.CompanyID, string) ([]Rule, error)) ([]Rule, error) {
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	return c.getAt(ctx, now(), company, load)
}

func (c *ruleCache) getAt(ctx context.Context, now time.Time, company tenant.CompanyID,
	load func(context.Context, tenant.CompanyID, string) ([]Rule, error)) ([]Rule, error) {
	c.mu.Lock()
	held, ok := c.byCompany[company]
	c.mu.Unlock()
	if ok && now.Before(held.expire) {
		return held.rules, nil
	}
	rules, err := load(ctx, company, "")
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byCompany == nil {
		c.byCompany = map[tenant.CompanyID]cachedRules{}
	}
	for id, r := range c.byCompany { // keep the map to the companies of the last moments
		if !now.Before(r.expire) {
			delete(c.byCompany, id)
		}
	}
	ttl := c.ttl
	if ttl == 0 {
		ttl = RuleCacheTTL
	}
	c.byCompany[company] = cachedRules{rules: rules, expire: now.Add(ttl)}
	return rules, nil
}

// forget drops the company's rules after a change.
func (c *ruleCache) forget(company tenant.CompanyID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.byCompany, company)
}
