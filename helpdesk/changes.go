package helpdesk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/events/whatsapp"
	"github.com/sistemaboladao/boladao/helpdesk/ai"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/sso"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
)

// The audit trail of changes. The services write through stores that this
// file wraps: each write to a user, company, API token, webhook,
// integration settings (WhatsApp, AI, single sign-on) or serial settings
// also records an audit.Change in
// the same unit of work (inside the transaction of a directory or
// inventory Tx; through audit.WithPending for the stores whose writes are
// single statements). A change that fails therefore records nothing, and a
// record that cannot be written fails the change.
//
// Who made the change comes from audit.OriginFrom(ctx) (the HTTP layer
// and the console set it, with the client IP and request ID), otherwise
// from the actor of the events the unit of work appends, otherwise it is
// the system.

// DefaultAuditRetention is how long the audit trail keeps a change.
const DefaultAuditRetention = 365 * 24 * time.Hour

// WithAuditRetention sets how long the audit trail keeps changes (default
// DefaultAuditRetention); Run's maintenance deletes older ones.
func WithAuditRetention(d time.Duration) Option { return func(c *config) { c.auditRetention = d } }

// auditedStore is the desk's store as the services see it: the writes
// that the audit trail follows record their changes.
type auditedStore struct {
	Store
	now func() time.Time
}

func (s auditedStore) Directory() directory.Store {
	return auditedDirectory{s.Store.Directory(), s.now}
}
func (s auditedStore) Inventory() inventory.Store {
	return auditedInventory{s.Store.Inventory(), s.now}
}
func (s auditedStore) Webhooks() webhooks.Store { return auditedWebhooks{s.Store.Webhooks(), s.now} }
func (s auditedStore) WhatsApp() whatsapp.Store { return auditedWhatsApp{s.Store.WhatsApp(), s.now} }
func (s auditedStore) AI() ai.Store             { return auditedAI{s.Store.AI(), s.now} }
func (s auditedStore) SSO() sso.Store           { return auditedSSO{s.Store.SSO(), s.now} }

// newChange describes a change made now under ctx, by the origin ctx
// carries (the system when none).
func newChange(ctx context.Context, now func() time.Time, company tenant.CompanyID, typ audit.EntityType, id string,
	action audit.Action, fields []audit.FieldChange) *audit.Change {
	c := &audit.Change{At: now().UTC().Truncate(time.Microsecond), CompanyID: company, Actor: audit.Actor{Kind: audit.ActorSystem},
		EntityType: typ, EntityID: id, Action: action, Fields: fields}
	if o, ok := audit.OriginFrom(ctx); ok {
		c.IP, c.RequestID = o.IP, o.RequestID
		if o.Actor.Kind.Valid() {
			c.Actor = o.Actor
		}
	}
	return c
}

// ActorOf describes actor for the audit trail: a platform admin, a user,
// an integration's API token, or the system (no user).
func ActorOf(actor tenant.Actor, tokenID int64) audit.Actor {
	switch {
	case tokenID != 0:
		return audit.Actor{Kind: audit.ActorToken, TokenID: tokenID}
	case actor.IsPlatformAdmin() && actor.UserID != 0:
		return audit.Actor{Kind: audit.ActorPlatformAdmin, UserID: actor.UserID}
	case actor.UserID != 0:
		return audit.Actor{Kind: audit.ActorUser, UserID: actor.UserID}
	}
	return audit.Actor{Kind: audit.ActorSystem}
}

// Origin describes who makes the changes of a request authenticated as p,
// from ip with request ID requestID; put it in the request's context with
// audit.WithOrigin.
func (p Principal) Origin(ip, requestID string) audit.Origin {
	tokenID := int64(0)
	if p.Kind == PrincipalToken {
		tokenID = p.TokenID
	}
	return audit.Origin{Actor: ActorOf(p.Actor, tokenID), IP: ip, RequestID: requestID}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func timeValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func companyValues(c directory.Company) audit.Values {
	return audit.Values{"name": c.Name, "legal_name": c.LegalName, "cnpj": c.CNPJ, "timezone": c.Timezone,
		"active": strconv.FormatBool(c.Active)}
}

// userValues are the recorded fields of a user; the password is compared
// by its hash and recorded only as changed.
func userValues(u directory.User) audit.Values {
	return audit.Values{"email": u.Email, "role": string(u.Role), "active": strconv.FormatBool(u.Active),
		"contact_id": itoa(int64(u.ContactID)), "language": u.Language, "password": string(u.PasswordHash)}
}

func tokenValues(t directory.APIToken) audit.Values {
	perms := make([]string, len(t.Permissions))
	for i, p := range t.Permissions {
		perms[i] = string(p)
	}
	slices.Sort(perms)
	return audit.Values{"name": t.Name, "lookup_id": t.LookupID, "permissions": strings.Join(perms, ","),
		"expires_at": timeValue(t.ExpiresAt), "revoked_at": timeValue(t.RevokedAt), "secret": t.Digest}
}

func endpointValues(ep webhooks.Endpoint) audit.Values {
	return audit.Values{"url": ep.URL, "events": strings.Join(ep.Events, ","), "description": ep.Description,
		"active": strconv.FormatBool(ep.Active), "secret": ep.Secret}
}

func whatsAppValues(st whatsapp.Settings) audit.Values {
	return audit.Values{"enabled": strconv.FormatBool(st.Enabled), "base_url": st.BaseURL, "api_version": st.APIVersion,
		"phone_number_id": st.PhoneNumberID, "access_token": st.AccessToken, "app_secret": st.AppSecret,
		"verify_token": st.VerifyTokenDigest}
}

func aiValues(st ai.Settings) audit.Values {
	return audit.Values{"enabled": strconv.FormatBool(st.Enabled), "provider": string(st.Provider), "base_url": st.BaseURL,
		"model": st.Model, "api_key": st.APIKey, "threshold": strconv.FormatFloat(st.Threshold, 'f', -1, 64)}
}

func ssoValues(st sso.Settings) audit.Values {
	return audit.Values{"enabled": strconv.FormatBool(st.Enabled), "issuer": st.Issuer, "client_id": st.ClientID,
		"client_secret": st.ClientSecret, "allowed_domains": strings.Join(st.AllowedDomains, ","),
		"default_role": string(st.DefaultRole), "create_users": strconv.FormatBool(st.CreateUsers),
		"password_sign_in": strconv.FormatBool(st.PasswordSignIn)}
}

func serialValues(s inventory.SerialSettings) audit.Values {
	return audit.Values{"pattern": string(s.Pattern), "prefix": s.Prefix}
}

// The secret fields of each entity: recorded as changed, never by value.
var (
	userSecrets     = []string{"password"}
	tokenSecrets    = []string{"secret"}
	endpointSecrets = []string{"secret"}
	whatsAppSecrets = []string{"access_token", "app_secret", "verify_token"}
	aiSecrets       = []string{"api_key"}
	ssoSecrets      = []string{"client_secret"}
)

// auditedDirectory records the directory's changes in its units of work.
type auditedDirectory struct {
	directory.Store
	now func() time.Time
}

// errNoChangeWriter is returned when a store's unit of work cannot record
// changes.
var errNoChangeWriter = errors.New("helpdesk: the store's units of work cannot record changes (audit.ChangeWriter): storage/memory and storage/bunstore can")

func (s auditedDirectory) InTx(ctx context.Context, fn func(ctx context.Context, tx directory.Tx) error) error {
	return s.Store.InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
		at := &auditedDirectoryTx{Tx: tx, now: s.now}
		if err := fn(ctx, at); err != nil {
			return err
		}
		return at.flush(ctx)
	})
}

// auditedDirectoryTx notes the changes of a directory unit of work and
// records them before it commits.
type auditedDirectoryTx struct {
	directory.Tx
	now     func() time.Time
	changes []*audit.Change
	// actor is the actor of the events appended, when ctx names none.
	actor *audit.Actor
}

func (t *auditedDirectoryTx) note(ctx context.Context, company tenant.CompanyID, typ audit.EntityType, id int64,
	action audit.Action, fields []audit.FieldChange) {
	if len(fields) == 0 && action == audit.ActionUpdated {
		return
	}
	t.changes = append(t.changes, newChange(ctx, t.now, company, typ, itoa(id), action, fields))
}

func (t *auditedDirectoryTx) flush(ctx context.Context) error {
	if len(t.changes) == 0 {
		return nil
	}
	w, ok := t.Tx.(audit.ChangeWriter)
	if !ok {
		return errNoChangeWriter
	}
	if _, named := audit.OriginFrom(ctx); !named && t.actor != nil {
		for _, c := range t.changes {
			c.Actor = *t.actor
		}
	}
	return w.RecordChanges(ctx, t.changes)
}

func (t *auditedDirectoryTx) AppendEvents(ctx context.Context, evs ...events.Event) error {
	for _, ev := range evs {
		if ev.ActorUserID != 0 && t.actor == nil {
			t.actor = &audit.Actor{Kind: audit.ActorUser, UserID: ev.ActorUserID}
		}
	}
	return t.Tx.AppendEvents(ctx, evs...)
}

func (t *auditedDirectoryTx) InsertCompany(ctx context.Context, c *directory.Company) error {
	if err := t.Tx.InsertCompany(ctx, c); err != nil {
		return err
	}
	t.note(ctx, c.ID, audit.EntityCompany, int64(c.ID), audit.ActionCreated, audit.Diff(nil, companyValues(*c)))
	return nil
}

func (t *auditedDirectoryTx) UpdateCompany(ctx context.Context, c *directory.Company) error {
	old, err := t.Tx.CompanyByID(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("company %d: %w", c.ID, err)
	}
	if err := t.Tx.UpdateCompany(ctx, c); err != nil {
		return err
	}
	t.note(ctx, c.ID, audit.EntityCompany, int64(c.ID), audit.ActionUpdated, audit.Diff(companyValues(old), companyValues(*c)))
	return nil
}

func (t *auditedDirectoryTx) InsertUser(ctx context.Context, u *directory.User) error {
	if err := t.Tx.InsertUser(ctx, u); err != nil {
		return err
	}
	t.note(ctx, u.CompanyID, audit.EntityUser, int64(u.ID), audit.ActionCreated, audit.Diff(nil, userValues(*u), userSecrets...))
	return nil
}

func (t *auditedDirectoryTx) UpdateUser(ctx context.Context, u *directory.User) error {
	old, err := t.Tx.UserByID(ctx, u.CompanyID, u.ID)
	if err != nil {
		return fmt.Errorf("user %d: %w", u.ID, err)
	}
	if err := t.Tx.UpdateUser(ctx, u); err != nil {
		return err
	}
	t.note(ctx, u.CompanyID, audit.EntityUser, int64(u.ID), audit.ActionUpdated, audit.Diff(userValues(old), userValues(*u), userSecrets...))
	return nil
}

func (t *auditedDirectoryTx) InsertAPIToken(ctx context.Context, tok *directory.APIToken) error {
	if err := t.Tx.InsertAPIToken(ctx, tok); err != nil {
		return err
	}
	t.note(ctx, tok.CompanyID, audit.EntityAPIToken, tok.ID, audit.ActionCreated, audit.Diff(nil, tokenValues(*tok), tokenSecrets...))
	return nil
}

func (t *auditedDirectoryTx) UpdateAPIToken(ctx context.Context, tok *directory.APIToken) error {
	old, err := t.Tx.APITokenByID(ctx, tok.CompanyID, tok.ID)
	if err != nil {
		return fmt.Errorf("API token %d: %w", tok.ID, err)
	}
	if err := t.Tx.UpdateAPIToken(ctx, tok); err != nil {
		return err
	}
	action := audit.ActionUpdated
	if old.RevokedAt.IsZero() && !tok.RevokedAt.IsZero() {
		action = audit.ActionRevoked
	}
	t.note(ctx, tok.CompanyID, audit.EntityAPIToken, tok.ID, action, audit.Diff(tokenValues(old), tokenValues(*tok), tokenSecrets...))
	return nil
}

// auditedInventory records changes of serial settings in the inventory's
// units of work.
type auditedInventory struct {
	inventory.Store
	now func() time.Time
}

func (s auditedInventory) InTx(ctx context.Context, fn func(ctx context.Context, tx inventory.Tx) error) error {
	return s.Store.InTx(ctx, func(ctx context.Context, tx inventory.Tx) error {
		return fn(ctx, auditedInventoryTx{Tx: tx, now: s.now})
	})
}

type auditedInventoryTx struct {
	inventory.Tx
	now func() time.Time
}

func (t auditedInventoryTx) PutSerialSettings(ctx context.Context, company tenant.CompanyID, set inventory.SerialSettings) error {
	var old audit.Values
	action := audit.ActionCreated
	switch cur, err := t.Tx.SerialSettings(ctx, company); {
	case err == nil:
		old, action = serialValues(cur), audit.ActionUpdated
	case !errors.Is(err, storage.ErrNotFound):
		return err
	}
	if err := t.Tx.PutSerialSettings(ctx, company, set); err != nil {
		return err
	}
	fields := audit.Diff(old, serialValues(set))
	if len(fields) == 0 && action == audit.ActionUpdated {
		return nil
	}
	w, ok := t.Tx.(audit.ChangeWriter)
	if !ok {
		return errNoChangeWriter
	}
	return w.RecordChanges(ctx, []*audit.Change{newChange(ctx, t.now, company, audit.EntitySerialSettings, itoa(int64(company)), action, fields)})
}

// auditedWebhooks records the changes of webhook endpoints with their
// writes.
type auditedWebhooks struct {
	webhooks.Store
	now func() time.Time
}

func (s auditedWebhooks) InsertEndpoint(ctx context.Context, ep *webhooks.Endpoint) error {
	c := newChange(ctx, s.now, ep.CompanyID, audit.EntityWebhook, "", audit.ActionCreated,
		audit.Diff(nil, endpointValues(*ep), endpointSecrets...))
	return s.Store.InsertEndpoint(audit.WithPending(ctx, c), ep)
}

func (s auditedWebhooks) UpdateEndpoint(ctx context.Context, ep *webhooks.Endpoint) error {
	old, err := s.Store.EndpointByID(ctx, ep.CompanyID, ep.ID)
	if err != nil {
		return err
	}
	fields := audit.Diff(endpointValues(old), endpointValues(*ep), endpointSecrets...)
	if len(fields) == 0 {
		return s.Store.UpdateEndpoint(ctx, ep)
	}
	action := audit.ActionUpdated
	if old.Secret != ep.Secret {
		action = audit.ActionSecretRotate
	}
	c := newChange(ctx, s.now, ep.CompanyID, audit.EntityWebhook, itoa(ep.ID), action, fields)
	return s.Store.UpdateEndpoint(audit.WithPending(ctx, c), ep)
}

func (s auditedWebhooks) DeleteEndpoint(ctx context.Context, company tenant.CompanyID, id int64) error {
	old, err := s.Store.EndpointByID(ctx, company, id)
	if err != nil {
		return err
	}
	c := newChange(ctx, s.now, company, audit.EntityWebhook, itoa(id), audit.ActionDeleted,
		audit.Diff(endpointValues(old), nil, endpointSecrets...))
	return s.Store.DeleteEndpoint(audit.WithPending(ctx, c), company, id)
}

// auditedWhatsApp records the changes of WhatsApp settings with their
// writes.
type auditedWhatsApp struct {
	whatsapp.Store
	now func() time.Time
}

func (s auditedWhatsApp) SaveWhatsAppSettings(ctx context.Context, st *whatsapp.Settings) error {
	return saveSettings(ctx, s.now, settingsAudit[whatsapp.Settings]{audit.EntityWhatsAppSettings, whatsAppValues, whatsAppSecrets},
		st.CompanyID, st.Version, *st, s.Store.WhatsAppSettings, func(ctx context.Context) error { return s.Store.SaveWhatsAppSettings(ctx, st) })
}

// auditedAI records the changes of AI settings with their writes.
type auditedAI struct {
	ai.Store
	now func() time.Time
}

func (s auditedAI) SaveAISettings(ctx context.Context, st *ai.Settings) error {
	return saveSettings(ctx, s.now, settingsAudit[ai.Settings]{audit.EntityAISettings, aiValues, aiSecrets},
		st.CompanyID, st.Version, *st, s.Store.AISettings, func(ctx context.Context) error { return s.Store.SaveAISettings(ctx, st) })
}

// auditedSSO records the changes of single sign-on settings with their
// writes.
type auditedSSO struct {
	sso.Store
	now func() time.Time
}

func (s auditedSSO) SaveSSOSettings(ctx context.Context, st *sso.Settings) error {
	return saveSettings(ctx, s.now, settingsAudit[sso.Settings]{audit.EntitySSOSettings, ssoValues, ssoSecrets},
		st.CompanyID, st.Version, *st, s.Store.SSOSettings, func(ctx context.Context) error { return s.Store.SaveSSOSettings(ctx, st) })
}

// settingsAudit is how a company's versioned settings (WhatsApp, AI,
// single sign-on) enter the audit trail: their entity type, their recorded
// values and which of those are secrets.
type settingsAudit[S any] struct {
	typ     audit.EntityType
	values  func(S) audit.Values
	secrets []string
}

// saveSettings saves next, the company's settings at version (0: none
// yet), with save, recording the change against what read returns.
func saveSettings[S any](ctx context.Context, now func() time.Time, a settingsAudit[S], company tenant.CompanyID, version int64,
	next S, read func(context.Context, tenant.CompanyID) (S, error), save func(context.Context) error) error {
	var old audit.Values
	action := audit.ActionCreated
	if version != 0 {
		cur, err := read(ctx, company)
		if err != nil {
			return err
		}
		old, action = a.values(cur), audit.ActionUpdated
	}
	c := newChange(ctx, now, company, a.typ, itoa(int64(company)), action, audit.Diff(old, a.values(next), a.secrets...))
	return save(audit.WithPending(ctx, c))
}

// ChangeFilter narrows Desk.Changes. Zero fields do not filter.
type ChangeFilter struct {
	// CompanyID is for platform admins: zero lists every company's
	// changes (and the platform's own) unless the admin acts in a
	// company, another ID that company's. Other actors read their own
	// company's; another company's ID lists nothing.
	CompanyID    tenant.CompanyID
	EntityType   audit.EntityType
	EntityID     string
	ActorKind    audit.ActorKind
	ActorUserID  tenant.UserID
	ActorTokenID int64
	Action       audit.Action
	Since, Until time.Time
}

// Changes lists the audit trail, newest first. It needs
// tenant.PermAuditRead: company admins read their company's changes,
// platform admins any company's or (CompanyID zero) all of them.
func (d *Desk) Changes(ctx context.Context, actor tenant.Actor, f ChangeFilter, p storage.PageRequest) (storage.Page[audit.Change], error) {
	if err := actor.Require(tenant.PermAuditRead); err != nil {
		return storage.Page[audit.Change]{}, err
	}
	q := audit.ChangeQuery{EntityType: f.EntityType, EntityID: f.EntityID, ActorKind: f.ActorKind, ActorUserID: f.ActorUserID,
		ActorTokenID: f.ActorTokenID, Action: f.Action, Since: f.Since, Until: f.Until}
	switch {
	case actor.IsPlatformAdmin() && f.CompanyID != 0:
		q.CompanyID = f.CompanyID
	case actor.IsPlatformAdmin() && actor.CompanyID != 0:
		q.CompanyID = actor.CompanyID
	case actor.IsPlatformAdmin():
		q.AllCompanies = true
	case actor.CompanyID == 0:
		return storage.Page[audit.Change]{}, &tenant.ForbiddenError{Role: actor.Role, Permission: tenant.PermAuditRead}
	case f.CompanyID != 0 && f.CompanyID != actor.CompanyID:
		// Another company's trail behaves as if it did not exist.
		return storage.Page[audit.Change]{Items: []audit.Change{}}, nil
	default:
		q.CompanyID = actor.CompanyID
	}
	if err := checkChangeFilter(f); err != nil {
		return storage.Page[audit.Change]{}, err
	}
	return d.store.Changes().ListChanges(ctx, q, p.Normalize())
}

// checkChangeFilter reports the filters that name no known value.
func checkChangeFilter(f ChangeFilter) error {
	var b validation.Builder
	if f.EntityType != "" && !f.EntityType.Valid() {
		b.Add("entity_type", "must be one of %s", joinValues(audit.EntityTypes()))
	}
	if f.ActorKind != "" && !f.ActorKind.Valid() {
		b.Add("actor_kind", "must be one of user, api_token, platform_admin, system")
	}
	if f.Action != "" && !f.Action.Valid() {
		b.Add("action", "must be one of %s", joinValues(audit.Actions()))
	}
	if len(f.EntityID) > 64 {
		b.Add("entity_id", "must be at most 64 characters")
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		b.Add("until", "must be after since")
	}
	return b.Err()
}

func joinValues[T ~string](vs []T) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return strings.Join(out, ", ")
}

// purgeChanges deletes the changes older than the retention period.
func (d *Desk) purgeChanges(ctx context.Context) error {
	if d.auditRetention <= 0 {
		return nil
	}
	_, err := d.store.Changes().PurgeChanges(ctx, d.now().Add(-d.auditRetention))
	return err
}
