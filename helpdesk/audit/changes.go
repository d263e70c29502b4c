package audit

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// ActorKind says who made a change.
type ActorKind string

// The kinds of actors of a change.
const (
	// ActorUser is a person signed in to a company.
	ActorUser ActorKind = "user"
	// ActorToken is an integration using an API token.
	ActorToken ActorKind = "api_token"
	// ActorPlatformAdmin is a platform admin, whichever company it acts in.
	ActorPlatformAdmin ActorKind = "platform_admin"
	// ActorSystem is the server itself (bootstrap, background work, or a
	// caller of the library that named no actor).
	ActorSystem ActorKind = "system"
)

// Valid reports whether k is one of the actor kinds.
func (k ActorKind) Valid() bool {
	switch k {
	case ActorUser, ActorToken, ActorPlatformAdmin, ActorSystem:
		return true
	}
	return false
}

// Actor is who made a change.
type Actor struct {
	Kind ActorKind
	// UserID is the user (ActorUser, ActorPlatformAdmin), zero otherwise.
	UserID tenant.UserID
	// TokenID is the API token (ActorToken), zero otherwise.
	TokenID int64
}

// Origin is who makes the changes of a request and from where. The HTTP
// layer puts it in the request's context (WithOrigin); the changes the
// request makes carry it.
type Origin struct {
	Actor Actor
	// IP is the client address; RequestID the request's X-Request-ID.
	IP        string
	RequestID string
}

type originKey struct{}

// WithOrigin returns ctx carrying o, for the changes made under ctx.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom returns the origin carried by ctx.
func OriginFrom(ctx context.Context) (Origin, bool) {
	o, ok := ctx.Value(originKey{}).(Origin)
	return o, ok
}

// EntityType names the kind of thing a change touched.
type EntityType string

// The entities whose changes are recorded.
const (
	EntityUser             EntityType = "user"
	EntityCompany          EntityType = "company"
	EntityAPIToken         EntityType = "api_token"
	EntityWebhook          EntityType = "webhook"
	EntityWhatsAppSettings EntityType = "whatsapp_settings"
	EntityAISettings       EntityType = "ai_settings"
	EntitySerialSettings   EntityType = "serial_settings"
	EntitySSOSettings      EntityType = "sso_settings"
)

// EntityTypes lists the entity types, for filters and documentation.
func EntityTypes() []EntityType {
	return []EntityType{EntityUser, EntityCompany, EntityAPIToken, EntityWebhook, EntityWhatsAppSettings,
		EntityAISettings, EntitySerialSettings, EntitySSOSettings}
}

// Valid reports whether t is one of EntityTypes.
func (t EntityType) Valid() bool { return slices.Contains(EntityTypes(), t) }

// Action is what a change did to its entity.
type Action string

// The actions of changes.
const (
	ActionCreated      Action = "created"
	ActionUpdated      Action = "updated"
	ActionDeleted      Action = "deleted"
	ActionRevoked      Action = "revoked"
	ActionSecretRotate Action = "secret_rotated"
)

// Actions lists the actions, for filters and documentation.
func Actions() []Action {
	return []Action{ActionCreated, ActionUpdated, ActionDeleted, ActionRevoked, ActionSecretRotate}
}

// Valid reports whether a is one of Actions.
func (a Action) Valid() bool { return slices.Contains(Actions(), a) }

// FieldChange is one field a change touched. A secret field (a password,
// an API token, a webhook or integration secret) is recorded as changed,
// Secret true, with neither value.
type FieldChange struct {
	Field  string
	Old    string
	New    string
	Secret bool
}

// Change is one recorded change: who, when, from where, and what.
type Change struct {
	ID int64
	At time.Time
	// CompanyID is the company the entity belongs to; zero for what
	// belongs to no company (platform admins).
	CompanyID tenant.CompanyID
	Actor     Actor
	IP        string
	RequestID string

	EntityType EntityType
	EntityID   string
	Action     Action
	Fields     []FieldChange
}

// Values are the recorded fields of an entity, by name, as text.
type Values map[string]string

// Diff returns the fields whose value differs between old and new, sorted
// by name. A field named in secrets is reported as changed (Secret true)
// without its values; its values in old and new go nowhere else. A nil old
// (a creation) reports every non-empty field of new; a nil new (a
// deletion) every non-empty field of old.
func Diff(old, new Values, secrets ...string) []FieldChange {
	out := []FieldChange{}
	seen := map[string]bool{}
	add := func(field string) {
		if seen[field] {
			return
		}
		seen[field] = true
		o, n := old[field], new[field]
		if o == n {
			return
		}
		if slices.Contains(secrets, field) {
			out = append(out, FieldChange{Field: field, Secret: true})
			return
		}
		out = append(out, FieldChange{Field: field, Old: o, New: n})
	}
	for f := range old {
		add(f)
	}
	for f := range new {
		add(f)
	}
	slices.SortFunc(out, func(a, b FieldChange) int { return cmp.Compare(a.Field, b.Field) })
	return out
}

// ChangeQuery selects changes. Zero fields do not filter, except
// CompanyID: zero selects what belongs to no company, unless AllCompanies
// is set (platform admins only).
type ChangeQuery struct {
	CompanyID    tenant.CompanyID
	AllCompanies bool
	EntityType   EntityType
	EntityID     string
	ActorKind    ActorKind
	ActorUserID  tenant.UserID
	ActorTokenID int64
	Action       Action
	// Since and Until bound At to [Since, Until).
	Since, Until time.Time
}

// ChangeWriter writes changes inside a unit of work: the units of work of
// storage/memory and storage/bunstore implement it, so a change and its
// record commit together or not at all.
type ChangeWriter interface {
	// RecordChanges appends cs, assigning their IDs.
	RecordChanges(ctx context.Context, cs []*Change) error
}

// ChangeStore reads and purges recorded changes.
type ChangeStore interface {
	// ListChanges returns the changes matching q, newest first (by
	// descending ID); the page's cursor resumes after the last one, older.
	ListChanges(ctx context.Context, q ChangeQuery, p storage.PageRequest) (storage.Page[Change], error)
	// PurgeChanges deletes the changes recorded before before and returns
	// how many it deleted.
	PurgeChanges(ctx context.Context, before time.Time) (int, error)
}

type pendingKey struct{}

// Pending holds changes for a backend's standalone write to record in the
// same transaction (see WithPending).
type Pending struct {
	Changes []*Change
}

// WithPending returns ctx asking the next standalone write of a store
// (InsertEndpoint, SaveWhatsAppSettings, ...) to record cs in the
// transaction of the write: both commit or neither does. A change whose
// EntityID is empty takes the ID of the row the write inserts.
func WithPending(ctx context.Context, cs ...*Change) context.Context {
	return context.WithValue(ctx, pendingKey{}, &Pending{Changes: cs})
}

// PendingFrom returns the changes ctx asks a standalone write to record,
// nil when there are none.
func PendingFrom(ctx context.Context) []*Change {
	p, _ := ctx.Value(pendingKey{}).(*Pending)
	if p == nil {
		return nil
	}
	return p.Changes
}

// FillEntityID sets the EntityID of the changes that have none.
func FillEntityID(cs []*Change, id string) {
	for _, c := range cs {
		if c.EntityID == "" {
			c.EntityID = id
		}
	}
}

// Matches reports whether c is selected by q; memory backends filter with
// it.
func (q ChangeQuery) Matches(c Change) bool {
	switch {
	case !q.AllCompanies && c.CompanyID != q.CompanyID,
		q.EntityType != "" && c.EntityType != q.EntityType,
		q.EntityID != "" && c.EntityID != q.EntityID,
		q.ActorKind != "" && c.Actor.Kind != q.ActorKind,
		q.ActorUserID != 0 && c.Actor.UserID != q.ActorUserID,
		q.ActorTokenID != 0 && c.Actor.TokenID != q.ActorTokenID,
		q.Action != "" && c.Action != q.Action,
		!q.Since.IsZero() && c.At.Before(q.Since),
		!q.Until.IsZero() && !c.At.Before(q.Until):
		return false
	}
	return true
}
