package bunstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/events/whatsapp"
	"github.com/sistemaboladao/boladao/helpdesk/ai"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// Compile-time proof that the store serves the integrations' contracts.
var (
	_ whatsapp.Store = (*Store)(nil)
	_ ai.Store       = (*Store)(nil)
)

// WhatsApp returns the store as the WhatsApp integration's contract. Its
// writes run on the writer, each a statement of its own outside any unit
// of work.
func (s *Store) WhatsApp() whatsapp.Store { return s }

// AI returns the store as the AI gateway's contract.
func (s *Store) AI() ai.Store { return s }

type whatsAppSettingsRow struct {
	bun.BaseModel     `bun:"table:whatsapp_settings"`
	CompanyID         int64     `bun:"company_id,pk"`
	Enabled           bool      `bun:"enabled"`
	BaseURL           string    `bun:"base_url"`
	APIVersion        string    `bun:"api_version"`
	PhoneNumberID     string    `bun:"phone_number_id"`
	AccessToken       string    `bun:"access_token"`
	AppSecret         string    `bun:"app_secret"`
	VerifyTokenDigest string    `bun:"verify_token_digest"`
	LastSuccessAt     time.Time `bun:"last_success_at,nullzero"`
	LastError         string    `bun:"last_error"`
	LastErrorAt       time.Time `bun:"last_error_at,nullzero"`
	Version           int64     `bun:"version"`
	CreatedAt         time.Time `bun:"created_at"`
	UpdatedAt         time.Time `bun:"updated_at"`
}

func (r whatsAppSettingsRow) model() whatsapp.Settings {
	return whatsapp.Settings{CompanyID: tenant.CompanyID(r.CompanyID), Enabled: r.Enabled, BaseURL: r.BaseURL,
		APIVersion: r.APIVersion, PhoneNumberID: r.PhoneNumberID, AccessToken: r.AccessToken, AppSecret: r.AppSecret,
		VerifyTokenDigest: r.VerifyTokenDigest, LastSuccessAt: utc(r.LastSuccessAt), LastError: r.LastError,
		LastErrorAt: utc(r.LastErrorAt), Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// settingsOutcome columns are bookkeeping: SaveWhatsAppSettings and
// SaveAISettings never write them.
var settingsOutcome = []string{"company_id", "created_at", "version", "last_success_at", "last_error", "last_error_at"}

// saveSettings inserts row (version 0) or updates the row of that company
// and version; it reports the stored version.
func (s *Store) saveSettings(ctx context.Context, row any, table string, company tenant.CompanyID, version int64, what string) error {
	return s.withPending(ctx, func(ctx context.Context, db bun.IDB) (int64, error) {
		return int64(company), saveSettingsOn(ctx, db, row, table, company, version, what)
	})
}

// saveSettingsOn is saveSettings on db.
func saveSettingsOn(ctx context.Context, db bun.IDB, row any, table string, company tenant.CompanyID, version int64, what string) error {
	if version == 0 {
		_, err := db.NewInsert().Model(row).Exec(ctx)
		return translate(err, "inserting "+what)
	}
	res, err := db.NewUpdate().Model(row).ExcludeColumn(settingsOutcome...).Set("version = ?", version+1).
		Where("company_id = ? AND version = ?", int64(company), version).Exec(ctx)
	if err != nil {
		return translate(err, "updating "+what)
	}
	if n, err := res.RowsAffected(); err != nil {
		return translate(err, "updating "+what)
	} else if n == 1 {
		return nil
	}
	exists, err := db.NewSelect().Table(table).Where("company_id = ?", int64(company)).Exists(ctx)
	if err != nil {
		return translate(err, "updating "+what)
	}
	if exists {
		return fmt.Errorf("updating %s at version %d: %w", what, version, storage.ErrStale)
	}
	return fmt.Errorf("updating %s: %w", what, storage.ErrNotFound)
}

// recordOutcome sets the last success or error of a settings row.
func (s *Store) recordOutcome(ctx context.Context, table string, company tenant.CompanyID, at time.Time, errMsg, what string) error {
	q := s.write.NewUpdate().Table(table).Where("company_id = ?", int64(company))
	if errMsg == "" {
		q = q.Set("last_success_at = ?", at.UTC())
	} else {
		q = q.Set("last_error = ?", errMsg).Set("last_error_at = ?", at.UTC())
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return translate(err, "recording "+what)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("recording %s of company %d: %w", what, company, storage.ErrNotFound)
	}
	return translate(err, "recording "+what)
}

func (s *Store) whatsAppSettingsWhere(ctx context.Context, what, where string, arg any) (whatsapp.Settings, error) {
	var r whatsAppSettingsRow
	if err := s.read.NewSelect().Model(&r).Where(where, arg).Limit(1).Scan(ctx); err != nil {
		return whatsapp.Settings{}, translate(err, "whatsapp settings of "+what)
	}
	return r.model(), nil
}

// WhatsAppSettings implements whatsapp.Store.
func (s *Store) WhatsAppSettings(ctx context.Context, company tenant.CompanyID) (whatsapp.Settings, error) {
	return s.whatsAppSettingsWhere(ctx, fmt.Sprintf("company %d", company), "company_id = ?", int64(company))
}

// WhatsAppSettingsByPhoneNumberID implements whatsapp.Store.
func (s *Store) WhatsAppSettingsByPhoneNumberID(ctx context.Context, id string) (whatsapp.Settings, error) {
	if id == "" {
		return whatsapp.Settings{}, fmt.Errorf("whatsapp settings without phone number ID: %w", storage.ErrNotFound)
	}
	return s.whatsAppSettingsWhere(ctx, "phone number ID "+id, "phone_number_id = ? AND phone_number_id <> ''", id)
}

// WhatsAppSettingsByVerifyToken implements whatsapp.Store.
func (s *Store) WhatsAppSettingsByVerifyToken(ctx context.Context, digest string) (whatsapp.Settings, error) {
	if digest == "" {
		return whatsapp.Settings{}, fmt.Errorf("whatsapp settings without verify token: %w", storage.ErrNotFound)
	}
	return s.whatsAppSettingsWhere(ctx, "that verify token", "verify_token_digest = ? AND verify_token_digest <> ''", digest)
}

// SaveWhatsAppSettings implements whatsapp.Store.
func (s *Store) SaveWhatsAppSettings(ctx context.Context, st *whatsapp.Settings) error {
	r := whatsAppSettingsRow{CompanyID: int64(st.CompanyID), Enabled: st.Enabled, BaseURL: st.BaseURL,
		APIVersion: st.APIVersion, PhoneNumberID: st.PhoneNumberID, AccessToken: st.AccessToken, AppSecret: st.AppSecret,
		VerifyTokenDigest: st.VerifyTokenDigest, Version: 1, CreatedAt: st.CreatedAt.UTC(), UpdatedAt: st.UpdatedAt.UTC()}
	if err := s.saveSettings(ctx, &r, "whatsapp_settings", st.CompanyID, st.Version, "whatsapp settings"); err != nil {
		return err
	}
	saved, err := s.whatsAppSettingsOnWriter(ctx, st.CompanyID)
	if err != nil {
		return err
	}
	*st = saved
	return nil
}

// whatsAppSettingsOnWriter reads a company's settings on the writer, so
// that a save reads back what it wrote.
func (s *Store) whatsAppSettingsOnWriter(ctx context.Context, company tenant.CompanyID) (whatsapp.Settings, error) {
	var r whatsAppSettingsRow
	if err := s.write.NewSelect().Model(&r).Where("company_id = ?", int64(company)).Scan(ctx); err != nil {
		return whatsapp.Settings{}, translate(err, fmt.Sprintf("whatsapp settings of company %d", company))
	}
	return r.model(), nil
}

// RecordWhatsAppResult implements whatsapp.Store.
func (s *Store) RecordWhatsAppResult(ctx context.Context, company tenant.CompanyID, at time.Time, errMsg string) error {
	return s.recordOutcome(ctx, "whatsapp_settings", company, at, errMsg, "whatsapp result")
}

type whatsAppRuleRow struct {
	bun.BaseModel `bun:"table:whatsapp_rules"`
	ID            int64     `bun:"id,pk,autoincrement"`
	CompanyID     int64     `bun:"company_id"`
	EventType     string    `bun:"event_type"`
	TemplateName  string    `bun:"template_name"`
	Language      string    `bun:"language"`
	Parameters    string    `bun:"parameters"`
	Active        bool      `bun:"active"`
	Version       int64     `bun:"version"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

func (r whatsAppRuleRow) model() whatsapp.Rule {
	params := []string{}
	_ = json.Unmarshal([]byte(r.Parameters), &params) // written by ruleRowOf: always a JSON array
	if params == nil {
		params = []string{}
	}
	return whatsapp.Rule{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), EventType: r.EventType,
		TemplateName: r.TemplateName, Language: r.Language, Parameters: params, Active: r.Active, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func ruleRowOf(r whatsapp.Rule) whatsAppRuleRow {
	params := r.Parameters
	if params == nil {
		params = []string{}
	}
	raw, _ := json.Marshal(params) // a []string always encodes
	return whatsAppRuleRow{ID: r.ID, CompanyID: int64(r.CompanyID), EventType: r.EventType, TemplateName: r.TemplateName,
		Language: r.Language, Parameters: string(raw), Active: r.Active, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// WhatsAppRules implements whatsapp.Store.
func (s *Store) WhatsAppRules(ctx context.Context, company tenant.CompanyID, eventType string) ([]whatsapp.Rule, error) {
	var rows []whatsAppRuleRow
	q := s.read.NewSelect().Model(&rows).Where("company_id = ?", int64(company))
	if eventType != "" {
		q = q.Where("event_type = ?", eventType)
	}
	if err := q.OrderExpr("id ASC").Limit(whatsapp.MaxRules).Scan(ctx); err != nil {
		return nil, translate(err, "listing whatsapp rules")
	}
	out := make([]whatsapp.Rule, len(rows))
	for i, r := range rows {
		out[i] = r.model()
	}
	return out, nil
}

// WhatsAppRuleByID implements whatsapp.Store.
func (s *Store) WhatsAppRuleByID(ctx context.Context, company tenant.CompanyID, id int64) (whatsapp.Rule, error) {
	var r whatsAppRuleRow
	if err := s.read.NewSelect().Model(&r).Where("company_id = ? AND id = ?", int64(company), id).Scan(ctx); err != nil {
		return whatsapp.Rule{}, translate(err, fmt.Sprintf("whatsapp rule %d", id))
	}
	return r.model(), nil
}

// InsertWhatsAppRule implements whatsapp.Store.
func (s *Store) InsertWhatsAppRule(ctx context.Context, r *whatsapp.Rule) error {
	r.Version = 1
	row := ruleRowOf(*r)
	if err := insert(ctx, s.write, &row, "whatsapp rule"); err != nil {
		return err
	}
	r.ID = row.ID
	return nil
}

// UpdateWhatsAppRule implements whatsapp.Store.
func (s *Store) UpdateWhatsAppRule(ctx context.Context, r *whatsapp.Rule) error {
	row := ruleRowOf(*r)
	if err := update(ctx, s.write, &row, "whatsapp_rules", r.ID, r.CompanyID, "company_id", r.Version,
		fmt.Sprintf("whatsapp rule %d", r.ID)); err != nil {
		return err
	}
	r.Version++
	return nil
}

// deleteOwned deletes the row id of company from table.
func (s *Store) deleteOwned(ctx context.Context, table string, company tenant.CompanyID, id int64, what string) error {
	res, err := s.write.NewDelete().Table(table).Where("company_id = ? AND id = ?", int64(company), id).Exec(ctx)
	return oneRow(res, err, "deleting "+what)
}

// oneRow checks that a write by ID changed its row: none is
// storage.ErrNotFound.
func oneRow(res sql.Result, err error, what string) error {
	if err != nil {
		return translate(err, what)
	}
	if n, err := res.RowsAffected(); err != nil {
		return translate(err, what)
	} else if n == 0 {
		return fmt.Errorf("%s: %w", what, storage.ErrNotFound)
	}
	return nil
}

// DeleteWhatsAppRule implements whatsapp.Store.
func (s *Store) DeleteWhatsAppRule(ctx context.Context, company tenant.CompanyID, id int64) error {
	return s.deleteOwned(ctx, "whatsapp_rules", company, id, fmt.Sprintf("whatsapp rule %d", id))
}

type whatsAppMessageRow struct {
	bun.BaseModel `bun:"table:whatsapp_messages"`
	ID            int64     `bun:"id,pk,autoincrement"`
	CompanyID     int64     `bun:"company_id"`
	Direction     string    `bun:"direction"`
	WAMessageID   string    `bun:"wa_message_id"`
	ContactID     int64     `bun:"contact_id"`
	Phone         string    `bun:"phone"`
	Kind          string    `bun:"kind"`
	Body          string    `bun:"body"`
	EventID       string    `bun:"event_id"`
	RuleID        int64     `bun:"rule_id"`
	TicketID      int64     `bun:"ticket_id,nullzero"`
	Status        string    `bun:"status"`
	Error         string    `bun:"error"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
	SentAt        time.Time `bun:"sent_at,nullzero"`
	DeliveredAt   time.Time `bun:"delivered_at,nullzero"`
	ReadAt        time.Time `bun:"read_at,nullzero"`
	FailedAt      time.Time `bun:"failed_at,nullzero"`
}

func (r whatsAppMessageRow) model() whatsapp.Message {
	return whatsapp.Message{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), Direction: whatsapp.Direction(r.Direction),
		WAMessageID: r.WAMessageID, ContactID: tenant.ContactID(r.ContactID), Phone: r.Phone, Kind: r.Kind, Body: r.Body,
		EventID: r.EventID, RuleID: r.RuleID, TicketID: r.TicketID, Status: whatsapp.Status(r.Status), Error: r.Error,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), SentAt: utc(r.SentAt), DeliveredAt: utc(r.DeliveredAt),
		ReadAt: utc(r.ReadAt), FailedAt: utc(r.FailedAt)}
}

func messageRowOf(m whatsapp.Message) whatsAppMessageRow {
	return whatsAppMessageRow{ID: m.ID, CompanyID: int64(m.CompanyID), Direction: string(m.Direction),
		WAMessageID: m.WAMessageID, ContactID: int64(m.ContactID), Phone: m.Phone, Kind: m.Kind, Body: m.Body,
		EventID: m.EventID, RuleID: m.RuleID, TicketID: m.TicketID, Status: string(m.Status), Error: m.Error,
		CreatedAt: m.CreatedAt.UTC(), UpdatedAt: m.UpdatedAt.UTC(), SentAt: utc(m.SentAt), DeliveredAt: utc(m.DeliveredAt),
		ReadAt: utc(m.ReadAt), FailedAt: utc(m.FailedAt)}
}

// InsertWhatsAppMessage implements whatsapp.Store.
func (s *Store) InsertWhatsAppMessage(ctx context.Context, m *whatsapp.Message) error {
	row := messageRowOf(*m)
	row.ID = 0
	if err := insert(ctx, s.write, &row, "whatsapp message"); err != nil {
		return err
	}
	*m = row.model()
	return nil
}

// UpdateWhatsAppMessage implements whatsapp.Store.
func (s *Store) UpdateWhatsAppMessage(ctx context.Context, m *whatsapp.Message) error {
	row := messageRowOf(*m)
	res, err := s.write.NewUpdate().Model(&row).ExcludeColumn("id", "company_id", "created_at").
		Where("company_id = ? AND id = ?", row.CompanyID, row.ID).Exec(ctx)
	if err := oneRow(res, err, fmt.Sprintf("updating whatsapp message %d", m.ID)); err != nil {
		return err
	}
	*m = row.model()
	return nil
}

// DeleteWhatsAppMessage implements whatsapp.Store.
func (s *Store) DeleteWhatsAppMessage(ctx context.Context, company tenant.CompanyID, id int64) error {
	return s.deleteOwned(ctx, "whatsapp_messages", company, id, fmt.Sprintf("whatsapp message %d", id))
}

// messageWhere reads one message matching where. It reads on the writer:
// status callbacks and redelivered events follow the writes closely.
func (s *Store) messageWhere(ctx context.Context, what, where string, args ...any) (whatsapp.Message, error) {
	var r whatsAppMessageRow
	if err := s.write.NewSelect().Model(&r).Where(where, args...).Limit(1).Scan(ctx); err != nil {
		return whatsapp.Message{}, translate(err, "whatsapp message "+what)
	}
	return r.model(), nil
}

// WhatsAppMessageByWAID implements whatsapp.Store.
func (s *Store) WhatsAppMessageByWAID(ctx context.Context, company tenant.CompanyID, waID string) (whatsapp.Message, error) {
	return s.messageWhere(ctx, waID, "company_id = ? AND wa_message_id = ? AND wa_message_id <> ''", int64(company), waID)
}

// WhatsAppMessageForEvent implements whatsapp.Store.
func (s *Store) WhatsAppMessageForEvent(ctx context.Context, company tenant.CompanyID, eventID string, ruleID int64) (whatsapp.Message, error) {
	return s.messageWhere(ctx, "of event "+eventID, "company_id = ? AND event_id = ? AND rule_id = ? AND event_id <> ''",
		int64(company), eventID, ruleID)
}

// ListWhatsAppMessages implements whatsapp.Store.
func (s *Store) ListWhatsAppMessages(ctx context.Context, company tenant.CompanyID, p storage.PageRequest) (storage.Page[whatsapp.Message], error) {
	var rows []whatsAppMessageRow
	q := s.read.NewSelect().Model(&rows).Where("company_id = ?", int64(company))
	return list(ctx, q, p, &rows, whatsAppMessageRow.model, func(m whatsapp.Message) int64 { return m.ID }, "listing whatsapp messages")
}

// ContactByPhone implements whatsapp.Store.
func (q queries) ContactByPhone(ctx context.Context, company tenant.CompanyID, phone string) (directory.Contact, error) {
	var r contactRow
	err := q.db.NewSelect().Model(&r).Where("company_id = ? AND phone = ? AND phone <> ''", int64(company), phone).
		OrderExpr("id ASC").Limit(1).Scan(ctx)
	if err != nil {
		return directory.Contact{}, translate(err, "contact with phone "+phone)
	}
	return r.model(), nil
}

// ActiveTicketOfContact implements whatsapp.Store: an index-only walk of
// tickets_company_id_requester_idx from the newest ID.
func (q queries) ActiveTicketOfContact(ctx context.Context, company tenant.CompanyID, contact tenant.ContactID) (int64, error) {
	var id int64
	err := q.db.NewSelect().Table("tickets").Column("id").
		Where("company_id = ? AND requester_contact_id = ?", int64(company), int64(contact)).
		Where(activeTickets).OrderExpr("id DESC").Limit(1).Scan(ctx, &id)
	if err != nil {
		return 0, translate(err, fmt.Sprintf("active ticket of contact %d", contact))
	}
	return id, nil
}

// ---- AI ----

type aiSettingsRow struct {
	bun.BaseModel `bun:"table:ai_settings"`
	CompanyID     int64     `bun:"company_id,pk"`
	Enabled       bool      `bun:"enabled"`
	Provider      string    `bun:"provider"`
	BaseURL       string    `bun:"base_url"`
	Model         string    `bun:"model"`
	APIKey        string    `bun:"api_key"`
	Threshold     float64   `bun:"threshold"`
	LastSuccessAt time.Time `bun:"last_success_at,nullzero"`
	LastError     string    `bun:"last_error"`
	LastErrorAt   time.Time `bun:"last_error_at,nullzero"`
	Version       int64     `bun:"version"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

func (r aiSettingsRow) model() ai.Settings {
	return ai.Settings{CompanyID: tenant.CompanyID(r.CompanyID), Enabled: r.Enabled, Provider: ai.Provider(r.Provider),
		BaseURL: r.BaseURL, Model: r.Model, APIKey: r.APIKey, Threshold: r.Threshold, LastSuccessAt: utc(r.LastSuccessAt),
		LastError: r.LastError, LastErrorAt: utc(r.LastErrorAt), Version: r.Version, CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC()}
}

func (s *Store) aiSettingsOn(ctx context.Context, db *bun.DB, company tenant.CompanyID) (ai.Settings, error) {
	var r aiSettingsRow
	if err := db.NewSelect().Model(&r).Where("company_id = ?", int64(company)).Scan(ctx); err != nil {
		return ai.Settings{}, translate(err, fmt.Sprintf("ai settings of company %d", company))
	}
	return r.model(), nil
}

// AISettings implements ai.Store.
func (s *Store) AISettings(ctx context.Context, company tenant.CompanyID) (ai.Settings, error) {
	return s.aiSettingsOn(ctx, s.read, company)
}

// SaveAISettings implements ai.Store.
func (s *Store) SaveAISettings(ctx context.Context, st *ai.Settings) error {
	r := aiSettingsRow{CompanyID: int64(st.CompanyID), Enabled: st.Enabled, Provider: string(st.Provider),
		BaseURL: st.BaseURL, Model: st.Model, APIKey: st.APIKey, Threshold: st.Threshold, Version: 1,
		CreatedAt: st.CreatedAt.UTC(), UpdatedAt: st.UpdatedAt.UTC()}
	if err := s.saveSettings(ctx, &r, "ai_settings", st.CompanyID, st.Version, "ai settings"); err != nil {
		return err
	}
	saved, err := s.aiSettingsOn(ctx, s.write, st.CompanyID)
	if err != nil {
		return err
	}
	*st = saved
	return nil
}

// RecordAIResult implements ai.Store.
func (s *Store) RecordAIResult(ctx context.Context, company tenant.CompanyID, at time.Time, errMsg string) error {
	return s.recordOutcome(ctx, "ai_settings", company, at, errMsg, "ai result")
}

// TrainingSamples implements ai.Store: the newest resolutions through the
// partial index tickets_company_id_resolved_at_idx, at most limit rows.
func (s *Store) TrainingSamples(ctx context.Context, company tenant.CompanyID, limit int) ([]ai.Sample, error) {
	var rows []struct {
		Title       string `bun:"title"`
		Description string `bun:"description"`
		Category    string `bun:"category"`
		Priority    string `bun:"priority"`
	}
	if limit <= 0 {
		return []ai.Sample{}, nil
	}
	err := s.read.NewSelect().Table("tickets").Column("title", "description", "category", "priority").
		Where("company_id = ? AND resolved_at IS NOT NULL", int64(company)).
		OrderExpr("resolved_at DESC, id DESC").Limit(int64(limit)).Scan(ctx, &rows)
	if err != nil {
		return nil, translate(err, "reading training samples")
	}
	out := make([]ai.Sample, len(rows))
	for i, r := range rows {
		out[i] = ai.Sample{Title: r.Title, Description: r.Description, Category: r.Category, Priority: sla.Priority(r.Priority)}
	}
	return out, nil
}
