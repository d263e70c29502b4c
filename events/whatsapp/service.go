package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

// Service is the WhatsApp integration of a helpdesk: per-company settings
// and notification rules, sending, the inbound webhook and status
// reporting. It is safe for concurrent use.
type Service struct {
	store   Store
	tickets *tickets.Service
	now     func() time.Time
	http    *http.Client
	rules   ruleCache // the notifier's
	// files keeps the images and documents contacts send; nil: not kept.
	files *attachments.Service
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithHTTPClient sets the HTTP client of the Cloud API calls (default: a
// client with DefaultTimeout that follows no redirects).
func WithHTTPClient(c *http.Client) Option { return func(s *Service) { s.http = c } }

// WithAttachments keeps the images and documents contacts send as
// attachments of their tickets, downloaded from the Cloud API (default:
// only their captions are kept).
func WithAttachments(files *attachments.Service) Option { return func(s *Service) { s.files = files } }

// NewService returns the integration over store; inbound messages open and
// comment on tickets through tk.
func NewService(store Store, tk *tickets.Service, opts ...Option) (*Service, error) {
	if store == nil || tk == nil {
		return nil, errors.New("whatsapp: NewService needs a store and the tickets service")
	}
	s := &Service{store: store, tickets: tk, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// SettingsInput changes a company's settings; nil fields are kept. Secrets
// (AccessToken, AppSecret, VerifyToken) are write-only: set them here, they
// are never read back. Version, when non-zero, must be the current one.
type SettingsInput struct {
	Enabled       *bool
	BaseURL       *string
	APIVersion    *string
	PhoneNumberID *string
	AccessToken   *string
	AppSecret     *string
	VerifyToken   *string
	Version       int64
}

// View is what an API may show of a company's settings: every field but
// the secrets, which are reported only as set or not.
type View struct {
	CompanyID      tenant.CompanyID
	Enabled        bool
	Configured     bool
	BaseURL        string
	APIVersion     string
	PhoneNumberID  string
	AccessTokenSet bool
	AppSecretSet   bool
	VerifyTokenSet bool
	LastSuccessAt  time.Time
	LastError      string
	LastErrorAt    time.Time
	Version        int64
	UpdatedAt      time.Time
}

func viewOf(st Settings) View {
	base, version := st.BaseURL, st.APIVersion
	if base == "" {
		base = DefaultBaseURL
	}
	if version == "" {
		version = DefaultAPIVersion
	}
	return View{CompanyID: st.CompanyID, Enabled: st.Enabled, Configured: st.Configured(), BaseURL: base,
		APIVersion: version, PhoneNumberID: st.PhoneNumberID, AccessTokenSet: st.AccessToken != "",
		AppSecretSet: st.AppSecret != "", VerifyTokenSet: st.VerifyTokenDigest != "",
		LastSuccessAt: st.LastSuccessAt, LastError: st.LastError, LastErrorAt: st.LastErrorAt,
		Version: st.Version, UpdatedAt: st.UpdatedAt}
}

// settings reads a company's settings, zero (Version 0) when it has none.
func (s *Service) settings(ctx context.Context, company tenant.CompanyID) (Settings, error) {
	st, err := s.store.WhatsAppSettings(ctx, company)
	if errors.Is(err, storage.ErrNotFound) {
		return Settings{CompanyID: company}, nil
	}
	return st, err
}

// Settings shows the actor's company's settings. It needs
// tenant.PermIntegrationsManage.
func (s *Service) Settings(ctx context.Context, actor tenant.Actor) (View, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return View{}, err
	}
	st, err := s.settings(ctx, actor.CompanyID)
	if err != nil {
		return View{}, fmt.Errorf("whatsapp settings: %w", err)
	}
	return viewOf(st), nil
}

var printable = regexp.MustCompile(`^[\x21-\x7e]+$`)

// UpdateSettings changes the actor's company's settings. It needs
// tenant.PermIntegrationsManage. Enabling requires a phone number ID and an
// access token.
func (s *Service) UpdateSettings(ctx context.Context, actor tenant.Actor, in SettingsInput) (View, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return View{}, err
	}
	st, err := s.settings(ctx, actor.CompanyID)
	if err != nil {
		return View{}, fmt.Errorf("whatsapp settings: %w", err)
	}
	if in.Version != 0 && in.Version != st.Version {
		return View{}, fmt.Errorf("whatsapp settings: expected version %d, current is %d: %w", in.Version, st.Version, storage.ErrStale)
	}
	var b validation.Builder
	if in.Enabled != nil {
		st.Enabled = *in.Enabled
	}
	if in.BaseURL != nil {
		st.BaseURL = strings.TrimRight(strings.TrimSpace(*in.BaseURL), "/")
		if st.BaseURL != "" && checkBaseURL(st.BaseURL) != nil {
			b.Add("base_url", "must be an absolute http(s) URL such as %s", DefaultBaseURL)
		}
	}
	if in.APIVersion != nil {
		st.APIVersion = strings.TrimSpace(*in.APIVersion)
		if st.APIVersion != "" && !versionPattern.MatchString(st.APIVersion) {
			b.Add("api_version", "must look like %s", DefaultAPIVersion)
		}
	}
	if in.PhoneNumberID != nil {
		st.PhoneNumberID = strings.TrimSpace(*in.PhoneNumberID)
		if st.PhoneNumberID != "" && !digitsPattern.MatchString(st.PhoneNumberID) {
			b.Add("phone_number_id", "must be the numeric phone number ID Meta shows for the business number")
		}
	}
	secret := func(field string, v *string, dst *string, min int) {
		if v == nil {
			return
		}
		*dst = strings.TrimSpace(*v)
		if *dst != "" && (len(*dst) < min || len(*dst) > 1024 || !printable.MatchString(*dst)) {
			b.Add(field, "must be %d to 1024 printable characters without spaces", min)
		}
	}
	secret("access_token", in.AccessToken, &st.AccessToken, 8)
	secret("app_secret", in.AppSecret, &st.AppSecret, 8)
	if in.VerifyToken != nil {
		var token string
		secret("verify_token", in.VerifyToken, &token, 8)
		st.VerifyTokenDigest = ""
		if token != "" {
			st.VerifyTokenDigest = DigestVerifyToken(token)
		}
	}
	if st.Enabled && !st.Configured() {
		b.Add("enabled", "needs a phone number ID and an access token")
	}
	if err := b.Err(); err != nil {
		return View{}, err
	}
	now := s.clock()
	if st.Version == 0 {
		st.CreatedAt = now
	}
	st.UpdatedAt = now
	if err := s.store.SaveWhatsAppSettings(ctx, &st); errors.Is(err, storage.ErrConflict) {
		return View{}, validation.Field("phone_number_id", "this phone number ID or verify token is used by another company")
	} else if err != nil {
		return View{}, fmt.Errorf("saving whatsapp settings: %w", err)
	}
	return viewOf(st), nil
}

// Report is the integration's state for status pages.
type Report struct {
	Configured    bool
	Enabled       bool
	PhoneNumberID string
	LastSuccessAt time.Time
	LastError     string
	LastErrorAt   time.Time
}

// Status reports whether the actor's company can send and how the last
// exchanges went. It needs tenant.PermTicketsRead.
func (s *Service) Status(ctx context.Context, actor tenant.Actor) (Report, error) {
	if err := actor.RequireIn(tenant.PermTicketsRead); err != nil {
		return Report{}, err
	}
	st, err := s.settings(ctx, actor.CompanyID)
	if err != nil {
		return Report{}, fmt.Errorf("whatsapp status: %w", err)
	}
	return Report{Configured: st.Configured(), Enabled: st.Enabled, PhoneNumberID: st.PhoneNumberID,
		LastSuccessAt: st.LastSuccessAt, LastError: st.LastError, LastErrorAt: st.LastErrorAt}, nil
}

// client returns the Cloud API client of a company, or ErrNotConfigured.
func (s *Service) client(ctx context.Context, company tenant.CompanyID) (*Client, error) {
	st, err := s.settings(ctx, company)
	if err != nil {
		return nil, err
	}
	if !st.Enabled || !st.Configured() {
		return nil, ErrNotConfigured
	}
	return NewClient(ClientConfig{BaseURL: st.BaseURL, APIVersion: st.APIVersion, Token: st.AccessToken,
		PhoneNumberID: st.PhoneNumberID, HTTPClient: s.http})
}

// record stores the outcome of a call to the Cloud API in the status. It
// does not fail the caller: the message record already tells the outcome.
func (s *Service) record(ctx context.Context, company tenant.CompanyID, callErr error) {
	msg := ""
	if callErr != nil {
		msg = truncate(callErr.Error(), 500)
	}
	_ = s.store.RecordWhatsAppResult(context.WithoutCancel(ctx), company, s.clock(), msg)
}

// SendInput is a message to one contact: Text, or a Template.
type SendInput struct {
	ContactID tenant.ContactID
	Text      string
	Template  *Template
}

// Send sends a text or template message to a contact of the actor's
// company who opted in to WhatsApp, and records it. It needs
// tenant.PermTicketsManage. A refusal by the Cloud API is recorded as a
// failed message and returned as *APIError.
func (s *Service) Send(ctx context.Context, actor tenant.Actor, in SendInput) (Message, error) {
	if err := actor.RequireIn(tenant.PermTicketsManage); err != nil {
		return Message{}, err
	}
	var b validation.Builder
	switch {
	case in.Template == nil && strings.TrimSpace(in.Text) == "":
		b.Add("text", "send a text or a template")
	case in.Template != nil && in.Text != "":
		b.Add("template", "send a text or a template, not both")
	case in.Template != nil:
		checkTemplate(&b, "template.", in.Template.Name, in.Template.Language, len(in.Template.Parameters))
	default:
		b.Text("text", in.Text, 1, MaxTextLength)
	}
	if in.ContactID <= 0 {
		b.Add("contact_id", "is required")
	}
	if err := b.Err(); err != nil {
		return Message{}, err
	}
	contact, err := s.store.ContactByID(ctx, actor.CompanyID, in.ContactID)
	if errors.Is(err, storage.ErrNotFound) {
		return Message{}, validation.Field("contact_id", "no contact %d in this company", in.ContactID)
	} else if err != nil {
		return Message{}, fmt.Errorf("whatsapp send: %w", err)
	}
	if !contact.Active || !contact.WhatsAppOptIn || contact.Phone == "" {
		return Message{}, validation.Field("contact_id", "contact %d has no phone or has not opted in to WhatsApp", in.ContactID)
	}
	c, err := s.client(ctx, actor.CompanyID)
	if err != nil {
		return Message{}, fmt.Errorf("whatsapp send: %w", err)
	}
	m := Message{CompanyID: actor.CompanyID, Direction: Outbound, ContactID: contact.ID, Phone: contact.Phone}
	var res SendResult
	if in.Template != nil {
		m.Kind, m.Body = "template", in.Template.Name
		res, err = c.SendTemplate(ctx, contact.Phone, *in.Template)
	} else {
		m.Kind, m.Body = "text", in.Text
		res, err = c.SendText(ctx, contact.Phone, in.Text)
	}
	return s.finish(ctx, m, res, err, true)
}

// finish records a sent message with the outcome of the call, inserting it
// (insert) or updating its claim.
func (s *Service) finish(ctx context.Context, m Message, res SendResult, callErr error, insert bool) (Message, error) {
	now := s.clock()
	m.UpdatedAt = now
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	if callErr != nil {
		m.Status, m.Error, m.FailedAt = StatusFailed, truncate(callErr.Error(), 500), now
	} else {
		m.Status, m.WAMessageID = StatusAccepted, res.MessageID
	}
	s.record(ctx, m.CompanyID, callErr)
	write := s.store.UpdateWhatsAppMessage
	if insert {
		write = s.store.InsertWhatsAppMessage
	}
	if err := write(context.WithoutCancel(ctx), &m); err != nil {
		return m, errors.Join(callErr, fmt.Errorf("recording the whatsapp message: %w", err))
	}
	return m, callErr
}

// Messages lists the recorded messages of the actor's company. It needs
// tenant.PermTicketsRead.
func (s *Service) Messages(ctx context.Context, actor tenant.Actor, p storage.PageRequest) (storage.Page[Message], error) {
	if err := actor.RequireIn(tenant.PermTicketsRead); err != nil {
		return storage.Page[Message]{}, err
	}
	return s.store.ListWhatsAppMessages(ctx, actor.CompanyID, p.Normalize())
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
