package whatsapp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// Limits.
const (
	// MaxRules is the number of notification rules a company may have.
	MaxRules = 100
	// MaxParameters is the number of parameters a rule may pass.
	MaxParameters = 10
	// MaxTextLength is the longest text message, in characters (the Cloud
	// API's limit).
	MaxTextLength = 4096
	// MaxWebhookBytes is the largest inbound notification accepted.
	MaxWebhookBytes = 1 << 20
)

// Sentinel errors. Test with errors.Is.
var (
	// ErrNotConfigured means the company has no usable WhatsApp settings
	// (no phone number ID or access token, or the integration is disabled).
	ErrNotConfigured = errors.New("whatsapp is not configured for this company: set the phone number ID and access token and enable it")
	// ErrBadSignature means an inbound notification's X-Hub-Signature-256
	// is missing or does not match the body signed with the app secret.
	ErrBadSignature = errors.New("whatsapp: X-Hub-Signature-256 is missing or does not match the body")
	// ErrBadVerifyToken means a verification handshake was not a
	// subscription with a verify token this installation knows.
	ErrBadVerifyToken = errors.New("whatsapp: verification refused: hub.mode must be subscribe and hub.verify_token the company's verify token")
	// ErrMalformedPayload is matched by every *PayloadError.
	ErrMalformedPayload = errors.New("whatsapp: malformed webhook payload")
)

// PayloadError says why an inbound notification is not of the Cloud API's
// shape.
type PayloadError struct{ Reason string }

// Error gives the reason.
func (e *PayloadError) Error() string { return "whatsapp: malformed webhook payload: " + e.Reason }

// Is makes errors.Is(err, ErrMalformedPayload) true.
func (e *PayloadError) Is(target error) bool { return target == ErrMalformedPayload }

// Settings are a company's WhatsApp Cloud API credentials and state.
// AccessToken and AppSecret are write-only: services never hand them back
// through an API.
type Settings struct {
	CompanyID tenant.CompanyID
	Enabled   bool
	// BaseURL and APIVersion default to DefaultBaseURL and
	// DefaultAPIVersion when empty.
	BaseURL    string
	APIVersion string
	// PhoneNumberID is Meta's ID of the company's business number; it is
	// unique across the installation and tells inbound notifications
	// apart.
	PhoneNumberID string
	AccessToken   string
	// AppSecret signs inbound notifications (X-Hub-Signature-256).
	AppSecret string
	// VerifyTokenDigest is the SHA-256 (hex) of the verify token of the
	// subscription handshake; unique across the installation.
	VerifyTokenDigest string
	// LastSuccessAt, LastError and LastErrorAt report the last exchange
	// with the Cloud API.
	LastSuccessAt time.Time
	LastError     string
	LastErrorAt   time.Time
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Configured reports whether messages can be sent with s.
func (s Settings) Configured() bool { return s.PhoneNumberID != "" && s.AccessToken != "" }

// DigestVerifyToken is the digest stored for a verify token.
func DigestVerifyToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Rule sends an approved template when an event of EventType happens to the
// contact the event names (requester_contact_id, contact_id or
// customer_contact_id of its data; for ticket events without one, the
// ticket's requester). Parameters name the event data fields whose values
// fill the template's body parameters, in order, as dotted paths; for
// ticket events "ticket.number", "ticket.title", "ticket.status",
// "ticket.priority", "ticket.category" and "ticket.channel" read the
// ticket as it is now, and "contact_name" is the recipient's name. Events
// about internal notes are never announced.
type Rule struct {
	ID           int64
	CompanyID    tenant.CompanyID
	EventType    string
	TemplateName string
	Language     string
	Parameters   []string
	Active       bool
	Version      int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Direction tells sent messages from received ones.
type Direction string

// The directions.
const (
	Outbound Direction = "outbound"
	Inbound  Direction = "inbound"
)

// Status is a message's delivery status.
type Status string

// The statuses: pending while being sent, accepted by the Cloud API, then
// sent, delivered, read (or failed) by status callbacks; received for
// inbound messages.
const (
	StatusPending   Status = "pending"
	StatusAccepted  Status = "accepted"
	StatusSent      Status = "sent"
	StatusDelivered Status = "delivered"
	StatusRead      Status = "read"
	StatusFailed    Status = "failed"
	StatusReceived  Status = "received"
)

// rank orders the outbound statuses: callbacks may arrive out of order and
// never move a message back.
func (s Status) rank() int {
	switch s {
	case StatusPending:
		return 0
	case StatusAccepted:
		return 1
	case StatusSent:
		return 2
	case StatusDelivered:
		return 3
	case StatusRead:
		return 4
	case StatusFailed:
		return 5
	}
	return -1
}

// Message is a recorded WhatsApp message, sent or received.
type Message struct {
	ID        int64
	CompanyID tenant.CompanyID
	Direction Direction
	// WAMessageID is the Cloud API's message ID ("wamid...."); empty until
	// the API accepted an outbound message. Unique per company.
	WAMessageID string
	ContactID   tenant.ContactID
	// Phone is the other party's number in E.164.
	Phone string
	// Kind is "text" or "template" (or the inbound message's type).
	Kind string
	// Body is the text, or the template's name.
	Body string
	// EventID and RuleID name the event and rule that sent a notification;
	// the pair is unique per company, so a redelivered event sends once.
	EventID string
	RuleID  int64
	// TicketID is the ticket an inbound message opened or commented on.
	TicketID    int64
	Status      Status
	Error       string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	SentAt      time.Time
	DeliveredAt time.Time
	ReadAt      time.Time
	FailedAt    time.Time
}

// Store is what the WhatsApp integration needs from a storage backend. Its
// writes are single statements outside units of work. Reads taking a
// company see only that company's rows (another company's row is
// storage.ErrNotFound).
type Store interface {
	// WhatsAppSettings reads a company's settings (storage.ErrNotFound when
	// it has none).
	WhatsAppSettings(ctx context.Context, company tenant.CompanyID) (Settings, error)
	// WhatsAppSettingsByPhoneNumberID finds the settings of a business
	// number, in any company.
	WhatsAppSettingsByPhoneNumberID(ctx context.Context, phoneNumberID string) (Settings, error)
	// WhatsAppSettingsByVerifyToken finds the settings whose verify token
	// has this digest, in any company.
	WhatsAppSettingsByVerifyToken(ctx context.Context, digest string) (Settings, error)
	// SaveWhatsAppSettings inserts s when s.Version is zero (storage.ErrConflict
	// when the company has settings) and otherwise updates the row of that
	// version (storage.ErrStale); Version is then incremented. A phone
	// number ID or verify token digest taken by another company is
	// storage.ErrConflict. LastSuccessAt, LastError and LastErrorAt are not
	// written.
	SaveWhatsAppSettings(ctx context.Context, s *Settings) error
	// RecordWhatsAppResult records the outcome of an exchange with the
	// Cloud API: success when errMsg is empty. The version does not change.
	RecordWhatsAppResult(ctx context.Context, company tenant.CompanyID, at time.Time, errMsg string) error

	// WhatsAppRules lists the company's rules by ascending ID, only those of
	// eventType when it is not empty, at most MaxRules.
	WhatsAppRules(ctx context.Context, company tenant.CompanyID, eventType string) ([]Rule, error)
	WhatsAppRuleByID(ctx context.Context, company tenant.CompanyID, id int64) (Rule, error)
	// InsertWhatsAppRule assigns ID and sets Version to 1.
	InsertWhatsAppRule(ctx context.Context, r *Rule) error
	// UpdateWhatsAppRule writes the rule of that ID, company and Version,
	// then increments Version.
	UpdateWhatsAppRule(ctx context.Context, r *Rule) error
	DeleteWhatsAppRule(ctx context.Context, company tenant.CompanyID, id int64) error

	// InsertWhatsAppMessage assigns ID; a WAMessageID or an (EventID,
	// RuleID) pair the company already has is storage.ErrConflict.
	InsertWhatsAppMessage(ctx context.Context, m *Message) error
	// UpdateWhatsAppMessage writes the message of that ID and company.
	UpdateWhatsAppMessage(ctx context.Context, m *Message) error
	DeleteWhatsAppMessage(ctx context.Context, company tenant.CompanyID, id int64) error
	WhatsAppMessageByWAID(ctx context.Context, company tenant.CompanyID, waMessageID string) (Message, error)
	// WhatsAppMessageForEvent reads the message a rule sent for an event.
	WhatsAppMessageForEvent(ctx context.Context, company tenant.CompanyID, eventID string, ruleID int64) (Message, error)
	// ListWhatsAppMessages lists the company's messages by ascending ID.
	ListWhatsAppMessages(ctx context.Context, company tenant.CompanyID, p storage.PageRequest) (storage.Page[Message], error)

	ContactByID(ctx context.Context, company tenant.CompanyID, id tenant.ContactID) (directory.Contact, error)
	// ContactByPhone finds the company's contact with this E.164 phone, the
	// lowest ID when several share it.
	ContactByPhone(ctx context.Context, company tenant.CompanyID, phone string) (directory.Contact, error)
	// ActiveTicketOfContact returns the ID of the newest ticket the contact
	// requested that is not resolved, closed or cancelled.
	ActiveTicketOfContact(ctx context.Context, company tenant.CompanyID, contact tenant.ContactID) (int64, error)
}
