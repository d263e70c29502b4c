package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sistemaboladao/boladao/events/whatsapp"
	"github.com/sistemaboladao/boladao/helpdesk/ai"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/sso"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

// Compile-time proof that the store serves the integrations' contracts.
var (
	_ whatsapp.Store = integrationsStore{}
	_ ai.Store       = integrationsStore{}
)

// integrationsStore is the adapter of the WhatsApp and AI contracts. Its
// writes take the store's write lock for one step, outside any unit of
// work.
type integrationsStore struct {
	reader
	s *Store
}

// WhatsApp returns the store as the WhatsApp integration's contract.
func (s *Store) WhatsApp() whatsapp.Store { return integrationsStore{reader: reader{s: s}, s: s} }

// AI returns the store as the AI gateway's contract.
func (s *Store) AI() ai.Store { return integrationsStore{reader: reader{s: s}, s: s} }

// integrationTables holds the integrations' rows. Like tables, its methods
// take no lock.
type integrationTables struct {
	whatsapp   map[tenant.CompanyID]whatsapp.Settings
	rules      *table[int64, whatsapp.Rule]
	messages   *table[int64, whatsapp.Message]
	aiSettings map[tenant.CompanyID]ai.Settings
	sso        map[tenant.CompanyID]sso.Settings // see sso.go
}

func newIntegrationTables() *integrationTables {
	return &integrationTables{whatsapp: map[tenant.CompanyID]whatsapp.Settings{},
		rules: newTable[int64, whatsapp.Rule](), messages: newTable[int64, whatsapp.Message](),
		aiSettings: map[tenant.CompanyID]ai.Settings{}, sso: map[tenant.CompanyID]sso.Settings{}}
}

func (i integrationsStore) it() *integrationTables { return i.s.t.integrations }

func (i integrationsStore) rlock(ctx context.Context, what string) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: %s: %w", what, err)
	}
	i.s.mu.RLock()
	return i.s.mu.RUnlock, nil
}

func cloneRule(r whatsapp.Rule) whatsapp.Rule {
	r.Parameters = append([]string{}, r.Parameters...)
	return r
}

// companyExists reports whether the company row exists (the SQL backends'
// foreign key).
func (i integrationsStore) companyExists(company tenant.CompanyID) bool {
	_, ok := i.s.t.companies.get(company)
	return ok
}

// ---- WhatsApp settings ----

// settingsMeta points at the bookkeeping fields of a settings row, so that
// one implementation serves the WhatsApp and AI settings.
type settingsMeta struct {
	version              *int64
	createdAt, updatedAt *time.Time
	lastSuccessAt        *time.Time
	lastError            *string
	lastErrorAt          *time.Time
}

// readSettings reads the settings row of company from rows.
func readSettings[S any](ctx context.Context, i integrationsStore, rows func() map[tenant.CompanyID]S,
	company tenant.CompanyID, what string) (S, error) {
	var zero S
	unlock, err := i.rlock(ctx, "reading "+what)
	if err != nil {
		return zero, err
	}
	defer unlock()
	st, ok := rows()[company]
	if !ok {
		return zero, fmt.Errorf("memory: %s of company %d: %w", what, company, storage.ErrNotFound)
	}
	return st, nil
}

// saveSettings inserts (version 0) or updates the settings row of company
// as the SQL backends do: the bookkeeping fields are kept, the version is
// incremented, and taken reports a unique value another company holds.
func saveSettings[S any](ctx context.Context, i integrationsStore, rows func() map[tenant.CompanyID]S,
	company tenant.CompanyID, st *S, meta func(*S) settingsMeta, taken func(other S) bool, what string) error {
	unlock, err := i.s.lock(ctx, "saving "+what)
	if err != nil {
		return err
	}
	defer unlock()
	old, exists := rows()[company]
	m, o := meta(st), meta(&old)
	switch {
	case !i.companyExists(company):
		return fmt.Errorf("memory: %s: company %d: %w", what, company, storage.ErrNotFound)
	case *m.version == 0 && exists:
		return fmt.Errorf("memory: %s of company %d exist: %w", what, company, storage.ErrConflict)
	case *m.version != 0 && !exists:
		return fmt.Errorf("memory: %s of company %d: %w", what, company, storage.ErrNotFound)
	case *m.version != 0 && *o.version != *m.version:
		return fmt.Errorf("memory: %s of company %d: %w", what, company, storage.ErrStale)
	}
	for c, other := range rows() {
		if c != company && taken(other) {
			return fmt.Errorf("memory: %s: a unique value is taken by another company: %w", what, storage.ErrConflict)
		}
	}
	next := *st
	n := meta(&next)
	*n.version++
	*n.createdAt, *n.updatedAt = m.createdAt.UTC(), m.updatedAt.UTC()
	*n.lastSuccessAt, *n.lastError, *n.lastErrorAt = time.Time{}, "", time.Time{}
	if exists {
		*n.createdAt = *o.createdAt
		*n.lastSuccessAt, *n.lastError, *n.lastErrorAt = *o.lastSuccessAt, *o.lastError, *o.lastErrorAt
	}
	rows()[company] = next
	*st = next
	i.s.t.changes.recordPending(ctx, int64(company))
	return nil
}

// recordOutcome sets the last success (errMsg empty) or error of the
// settings row of company.
func recordOutcome[S any](ctx context.Context, i integrationsStore, rows func() map[tenant.CompanyID]S,
	company tenant.CompanyID, at time.Time, errMsg string, meta func(*S) settingsMeta, what string) error {
	unlock, err := i.s.lock(ctx, "recording "+what)
	if err != nil {
		return err
	}
	defer unlock()
	st, ok := rows()[company]
	if !ok {
		return fmt.Errorf("memory: %s of company %d: %w", what, company, storage.ErrNotFound)
	}
	m := meta(&st)
	if errMsg == "" {
		*m.lastSuccessAt = at.UTC()
	} else {
		*m.lastError, *m.lastErrorAt = errMsg, at.UTC()
	}
	rows()[company] = st
	return nil
}

func whatsAppMeta(st *whatsapp.Settings) settingsMeta {
	return settingsMeta{&st.Version, &st.CreatedAt, &st.UpdatedAt, &st.LastSuccessAt, &st.LastError, &st.LastErrorAt}
}

func aiMeta(st *ai.Settings) settingsMeta {
	return settingsMeta{&st.Version, &st.CreatedAt, &st.UpdatedAt, &st.LastSuccessAt, &st.LastError, &st.LastErrorAt}
}

func (i integrationsStore) whatsAppRows() map[tenant.CompanyID]whatsapp.Settings {
	return i.it().whatsapp
}

func (i integrationsStore) aiRows() map[tenant.CompanyID]ai.Settings { return i.it().aiSettings }

// WhatsAppSettings implements whatsapp.Store.
func (i integrationsStore) WhatsAppSettings(ctx context.Context, company tenant.CompanyID) (whatsapp.Settings, error) {
	return readSettings(ctx, i, i.whatsAppRows, company, "whatsapp settings")
}

// SaveWhatsAppSettings implements whatsapp.Store.
func (i integrationsStore) SaveWhatsAppSettings(ctx context.Context, st *whatsapp.Settings) error {
	return saveSettings(ctx, i, i.whatsAppRows, st.CompanyID, st, whatsAppMeta, func(o whatsapp.Settings) bool {
		return (st.PhoneNumberID != "" && o.PhoneNumberID == st.PhoneNumberID) ||
			(st.VerifyTokenDigest != "" && o.VerifyTokenDigest == st.VerifyTokenDigest)
	}, "whatsapp settings")
}

// RecordWhatsAppResult implements whatsapp.Store.
func (i integrationsStore) RecordWhatsAppResult(ctx context.Context, company tenant.CompanyID, at time.Time, errMsg string) error {
	return recordOutcome(ctx, i, i.whatsAppRows, company, at, errMsg, whatsAppMeta, "whatsapp settings")
}

func (i integrationsStore) whatsAppSettingsWhere(ctx context.Context, what string, match func(whatsapp.Settings) bool) (whatsapp.Settings, error) {
	unlock, err := i.rlock(ctx, "reading whatsapp settings")
	if err != nil {
		return whatsapp.Settings{}, err
	}
	defer unlock()
	for _, st := range i.it().whatsapp {
		if match(st) {
			return st, nil
		}
	}
	return whatsapp.Settings{}, fmt.Errorf("memory: whatsapp settings with %s: %w", what, storage.ErrNotFound)
}

// WhatsAppSettingsByPhoneNumberID implements whatsapp.Store.
func (i integrationsStore) WhatsAppSettingsByPhoneNumberID(ctx context.Context, id string) (whatsapp.Settings, error) {
	return i.whatsAppSettingsWhere(ctx, "phone number ID "+id, func(st whatsapp.Settings) bool {
		return id != "" && st.PhoneNumberID == id
	})
}

// WhatsAppSettingsByVerifyToken implements whatsapp.Store.
func (i integrationsStore) WhatsAppSettingsByVerifyToken(ctx context.Context, digest string) (whatsapp.Settings, error) {
	return i.whatsAppSettingsWhere(ctx, "that verify token", func(st whatsapp.Settings) bool {
		return digest != "" && st.VerifyTokenDigest == digest
	})
}

// ---- WhatsApp rules ----

// WhatsAppRules implements whatsapp.Store.
func (i integrationsStore) WhatsAppRules(ctx context.Context, company tenant.CompanyID, eventType string) ([]whatsapp.Rule, error) {
	unlock, err := i.rlock(ctx, "listing whatsapp rules")
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := []whatsapp.Rule{}
	i.it().rules.scan(0, func(r whatsapp.Rule) bool {
		if r.CompanyID == company && (eventType == "" || r.EventType == eventType) {
			out = append(out, cloneRule(r))
		}
		return len(out) < whatsapp.MaxRules
	})
	return out, nil
}

// WhatsAppRuleByID implements whatsapp.Store.
func (i integrationsStore) WhatsAppRuleByID(ctx context.Context, company tenant.CompanyID, id int64) (whatsapp.Rule, error) {
	unlock, err := i.rlock(ctx, "reading whatsapp rule")
	if err != nil {
		return whatsapp.Rule{}, err
	}
	defer unlock()
	r, ok := i.it().rules.get(id)
	if !ok || r.CompanyID != company {
		return whatsapp.Rule{}, fmt.Errorf("memory: whatsapp rule %d: %w", id, storage.ErrNotFound)
	}
	return cloneRule(r), nil
}

// InsertWhatsAppRule implements whatsapp.Store.
func (i integrationsStore) InsertWhatsAppRule(ctx context.Context, r *whatsapp.Rule) error {
	unlock, err := i.s.lock(ctx, "inserting whatsapp rule")
	if err != nil {
		return err
	}
	defer unlock()
	if !i.companyExists(r.CompanyID) {
		return fmt.Errorf("memory: whatsapp rule: company %d: %w", r.CompanyID, storage.ErrNotFound)
	}
	r.ID, r.Version = i.it().rules.allocate(), 1
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	i.it().rules.put(r.ID, cloneRule(*r))
	return nil
}

// UpdateWhatsAppRule implements whatsapp.Store.
func (i integrationsStore) UpdateWhatsAppRule(ctx context.Context, r *whatsapp.Rule) error {
	unlock, err := i.s.lock(ctx, "updating whatsapp rule")
	if err != nil {
		return err
	}
	defer unlock()
	old, ok := i.it().rules.get(r.ID)
	if !ok || old.CompanyID != r.CompanyID {
		return fmt.Errorf("memory: whatsapp rule %d: %w", r.ID, storage.ErrNotFound)
	}
	if old.Version != r.Version {
		return fmt.Errorf("memory: whatsapp rule %d: %w", r.ID, storage.ErrStale)
	}
	r.Version++
	r.CreatedAt, r.UpdatedAt = old.CreatedAt, r.UpdatedAt.UTC()
	i.it().rules.put(r.ID, cloneRule(*r))
	return nil
}

// DeleteWhatsAppRule implements whatsapp.Store.
func (i integrationsStore) DeleteWhatsAppRule(ctx context.Context, company tenant.CompanyID, id int64) error {
	unlock, err := i.s.lock(ctx, "deleting whatsapp rule")
	if err != nil {
		return err
	}
	defer unlock()
	r, ok := i.it().rules.get(id)
	if !ok || r.CompanyID != company {
		return fmt.Errorf("memory: whatsapp rule %d: %w", id, storage.ErrNotFound)
	}
	i.it().rules.remove(id)
	return nil
}

// ---- WhatsApp messages ----

func utcMessage(m whatsapp.Message) whatsapp.Message {
	for _, t := range []*time.Time{&m.CreatedAt, &m.UpdatedAt, &m.SentAt, &m.DeliveredAt, &m.ReadAt, &m.FailedAt} {
		if !t.IsZero() {
			*t = t.UTC()
		}
	}
	return m
}

// messageConflict reports whether m collides with another message of its
// company on the WhatsApp message ID or the (event, rule) pair.
func (i integrationsStore) messageConflict(m *whatsapp.Message) bool {
	conflict := false
	i.it().messages.scan(0, func(o whatsapp.Message) bool {
		if o.ID != m.ID && o.CompanyID == m.CompanyID &&
			((m.WAMessageID != "" && o.WAMessageID == m.WAMessageID) ||
				(m.EventID != "" && o.EventID == m.EventID && o.RuleID == m.RuleID)) {
			conflict = true
		}
		return !conflict
	})
	return conflict
}

// InsertWhatsAppMessage implements whatsapp.Store.
func (i integrationsStore) InsertWhatsAppMessage(ctx context.Context, m *whatsapp.Message) error {
	unlock, err := i.s.lock(ctx, "inserting whatsapp message")
	if err != nil {
		return err
	}
	defer unlock()
	if !i.companyExists(m.CompanyID) {
		return fmt.Errorf("memory: whatsapp message: company %d: %w", m.CompanyID, storage.ErrNotFound)
	}
	m.ID = 0
	if i.messageConflict(m) {
		return fmt.Errorf("memory: whatsapp message %q: %w", m.WAMessageID, storage.ErrConflict)
	}
	m.ID = i.it().messages.allocate()
	*m = utcMessage(*m)
	i.it().messages.put(m.ID, *m)
	return nil
}

// UpdateWhatsAppMessage implements whatsapp.Store.
func (i integrationsStore) UpdateWhatsAppMessage(ctx context.Context, m *whatsapp.Message) error {
	unlock, err := i.s.lock(ctx, "updating whatsapp message")
	if err != nil {
		return err
	}
	defer unlock()
	old, ok := i.it().messages.get(m.ID)
	if !ok || old.CompanyID != m.CompanyID {
		return fmt.Errorf("memory: whatsapp message %d: %w", m.ID, storage.ErrNotFound)
	}
	if i.messageConflict(m) {
		return fmt.Errorf("memory: whatsapp message %q: %w", m.WAMessageID, storage.ErrConflict)
	}
	*m = utcMessage(*m)
	i.it().messages.put(m.ID, *m)
	return nil
}

// DeleteWhatsAppMessage implements whatsapp.Store.
func (i integrationsStore) DeleteWhatsAppMessage(ctx context.Context, company tenant.CompanyID, id int64) error {
	unlock, err := i.s.lock(ctx, "deleting whatsapp message")
	if err != nil {
		return err
	}
	defer unlock()
	m, ok := i.it().messages.get(id)
	if !ok || m.CompanyID != company {
		return fmt.Errorf("memory: whatsapp message %d: %w", id, storage.ErrNotFound)
	}
	i.it().messages.remove(id)
	return nil
}

// messageWhere reads the first message that match accepts.
func (i integrationsStore) messageWhere(ctx context.Context, what string, match func(whatsapp.Message) bool) (whatsapp.Message, error) {
	unlock, err := i.rlock(ctx, "reading whatsapp message")
	if err != nil {
		return whatsapp.Message{}, err
	}
	defer unlock()
	var out whatsapp.Message
	found := false
	i.it().messages.scan(0, func(m whatsapp.Message) bool {
		if found = match(m); found {
			out = m
		}
		return !found
	})
	if !found {
		return whatsapp.Message{}, fmt.Errorf("memory: whatsapp message %s: %w", what, storage.ErrNotFound)
	}
	return out, nil
}

// WhatsAppMessageByWAID implements whatsapp.Store.
func (i integrationsStore) WhatsAppMessageByWAID(ctx context.Context, company tenant.CompanyID, waID string) (whatsapp.Message, error) {
	return i.messageWhere(ctx, waID, func(m whatsapp.Message) bool {
		return waID != "" && m.CompanyID == company && m.WAMessageID == waID
	})
}

// WhatsAppMessageForEvent implements whatsapp.Store.
func (i integrationsStore) WhatsAppMessageForEvent(ctx context.Context, company tenant.CompanyID, eventID string, ruleID int64) (whatsapp.Message, error) {
	return i.messageWhere(ctx, "of event "+eventID, func(m whatsapp.Message) bool {
		return eventID != "" && m.CompanyID == company && m.EventID == eventID && m.RuleID == ruleID
	})
}

// ListWhatsAppMessages implements whatsapp.Store.
func (i integrationsStore) ListWhatsAppMessages(ctx context.Context, company tenant.CompanyID, p storage.PageRequest) (storage.Page[whatsapp.Message], error) {
	p = p.Normalize()
	after, err := p.Cursor.AfterID()
	if err != nil {
		return storage.Page[whatsapp.Message]{}, fmt.Errorf("memory: list whatsapp messages: %w", err)
	}
	unlock, err := i.rlock(ctx, "listing whatsapp messages")
	if err != nil {
		return storage.Page[whatsapp.Message]{}, err
	}
	defer unlock()
	rows := list(i.it().messages, after, p.Limit, func(m whatsapp.Message) bool { return m.CompanyID == company },
		func(m whatsapp.Message) whatsapp.Message { return m })
	return storage.PageOf(rows, p.Limit, func(m whatsapp.Message) int64 { return m.ID }), nil
}

// ContactByPhone implements whatsapp.Store.
func (i integrationsStore) ContactByPhone(ctx context.Context, company tenant.CompanyID, phone string) (directory.Contact, error) {
	unlock, err := i.rlock(ctx, "reading contact by phone")
	if err != nil {
		return directory.Contact{}, err
	}
	defer unlock()
	var out directory.Contact
	found := false
	i.s.t.contacts.scan(0, func(c directory.Contact) bool {
		found = phone != "" && c.CompanyID == company && c.Phone == phone
		if found {
			out = c
		}
		return !found
	})
	if !found {
		return directory.Contact{}, fmt.Errorf("memory: contact with phone %s: %w", phone, storage.ErrNotFound)
	}
	return out, nil
}

// ActiveTicketOfContact implements whatsapp.Store.
func (i integrationsStore) ActiveTicketOfContact(ctx context.Context, company tenant.CompanyID, contact tenant.ContactID) (int64, error) {
	unlock, err := i.rlock(ctx, "reading the contact's active ticket")
	if err != nil {
		return 0, err
	}
	defer unlock()
	var id int64
	i.s.t.tickets.tickets.scan(0, func(t tickets.Ticket) bool {
		if t.CompanyID == company && t.RequesterContactID == contact && t.Status.Active() {
			id = t.ID
		}
		return true
	})
	if id == 0 {
		return 0, fmt.Errorf("memory: active ticket of contact %d: %w", contact, storage.ErrNotFound)
	}
	return id, nil
}

// ---- AI ----

// AISettings implements ai.Store.
func (i integrationsStore) AISettings(ctx context.Context, company tenant.CompanyID) (ai.Settings, error) {
	return readSettings(ctx, i, i.aiRows, company, "ai settings")
}

// SaveAISettings implements ai.Store.
func (i integrationsStore) SaveAISettings(ctx context.Context, st *ai.Settings) error {
	return saveSettings(ctx, i, i.aiRows, st.CompanyID, st, aiMeta, func(ai.Settings) bool { return false }, "ai settings")
}

// RecordAIResult implements ai.Store.
func (i integrationsStore) RecordAIResult(ctx context.Context, company tenant.CompanyID, at time.Time, errMsg string) error {
	return recordOutcome(ctx, i, i.aiRows, company, at, errMsg, aiMeta, "ai settings")
}

// TrainingSamples implements ai.Store.
func (i integrationsStore) TrainingSamples(ctx context.Context, company tenant.CompanyID, limit int) ([]ai.Sample, error) {
	unlock, err := i.rlock(ctx, "reading training samples")
	if err != nil {
		return nil, err
	}
	defer unlock()
	var resolved []tickets.Ticket
	i.s.t.tickets.tickets.scan(0, func(t tickets.Ticket) bool {
		if t.CompanyID == company && !t.ResolvedAt.IsZero() {
			resolved = append(resolved, t)
		}
		return true
	})
	slices.SortFunc(resolved, func(a, b tickets.Ticket) int {
		return cmp.Or(b.ResolvedAt.Compare(a.ResolvedAt), cmp.Compare(b.ID, a.ID))
	})
	out := []ai.Sample{}
	for _, t := range resolved[:min(max(limit, 0), len(resolved))] {
		out = append(out, ai.Sample{Title: t.Title, Description: t.Description, Category: t.Category, Priority: t.Priority})
	}
	return out, nil
}
