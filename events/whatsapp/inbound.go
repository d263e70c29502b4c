package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

// maxTitleRunes is how much of an inbound message a new ticket's title
// takes.
const maxTitleRunes = 80

// VerifyHandshake answers the Cloud API's subscription handshake (GET with
// hub.mode, hub.verify_token and hub.challenge): it returns the challenge
// to echo when mode is "subscribe" and token is the verify token of some
// company, and ErrBadVerifyToken otherwise.
func (s *Service) VerifyHandshake(ctx context.Context, mode, token, challenge string) (string, error) {
	if mode != "subscribe" || token == "" || challenge == "" || len(challenge) > 256 || !printable.MatchString(challenge) {
		return "", ErrBadVerifyToken
	}
	if _, err := s.store.WhatsAppSettingsByVerifyToken(ctx, DigestVerifyToken(token)); errors.Is(err, storage.ErrNotFound) {
		return "", ErrBadVerifyToken
	} else if err != nil {
		return "", fmt.Errorf("whatsapp handshake: %w", err)
	}
	return challenge, nil
}

// Outcome says what became of one inbound message or status.
type Outcome string

// The outcomes.
const (
	OutcomeTicketOpened Outcome = "ticket_opened"
	OutcomeCommented    Outcome = "commented"
	OutcomeDuplicate    Outcome = "duplicate"
	OutcomeStatus       Outcome = "status_updated"
	OutcomeIgnored      Outcome = "ignored"
)

// Result reports an inbound notification, item by item.
type Result struct {
	Items []ResultItem
}

// ResultItem is what became of one message or status of a notification.
type ResultItem struct {
	CompanyID   tenant.CompanyID
	WAMessageID string
	Outcome     Outcome
	TicketID    int64
	// Reason explains an ignored item (unknown contact, unknown message).
	Reason string
}

// Inbound processes a notification POSTed to the webhook. body is the raw
// request body and signature its X-Hub-Signature-256 header. Every business
// number the notification names must belong to an enabled company whose
// app secret signed body; otherwise nothing is written and the error is
// ErrNotConfigured or ErrBadSignature (a malformed body is *PayloadError).
//
// A text from a known contact comments publicly on the newest active
// ticket they requested, or opens a WhatsApp ticket; a message ID seen
// before is a duplicate and changes nothing. Messages from numbers that
// are no contact of the company are ignored and reported. Status
// callbacks move recorded messages forward (sent, delivered, read,
// failed), never back.
func (s *Service) Inbound(ctx context.Context, body []byte, signature string) (Result, error) {
	if len(body) > MaxWebhookBytes {
		return Result{}, &PayloadError{Reason: fmt.Sprintf("the body exceeds %d bytes", MaxWebhookBytes)}
	}
	n, err := ParseNotification(body)
	if err != nil {
		return Result{}, err
	}
	companies := map[string]tenant.CompanyID{}
	for _, id := range n.PhoneNumberIDs() {
		st, err := s.store.WhatsAppSettingsByPhoneNumberID(ctx, id)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && (!st.Enabled || st.AppSecret == "")) {
			return Result{}, fmt.Errorf("phone number ID %s: %w", id, ErrNotConfigured)
		} else if err != nil {
			return Result{}, fmt.Errorf("whatsapp inbound: %w", err)
		}
		if err := VerifySignature(st.AppSecret, body, signature); err != nil {
			return Result{}, err
		}
		companies[id] = st.CompanyID
	}
	var res Result
	for _, e := range n.Entry {
		for _, c := range e.Changes {
			if c.Field != "messages" {
				continue
			}
			company := companies[c.Value.Metadata.PhoneNumberID]
			for _, m := range c.Value.Messages {
				item, err := s.inboundMessage(ctx, company, m)
				if err != nil {
					return res, err
				}
				res.Items = append(res.Items, item)
			}
			for _, st := range c.Value.Statuses {
				item, err := s.statusUpdate(ctx, company, st)
				if err != nil {
					return res, err
				}
				res.Items = append(res.Items, item)
			}
		}
	}
	return res, nil
}

// inboundMessage turns one message into a ticket or a comment.
func (s *Service) inboundMessage(ctx context.Context, company tenant.CompanyID, m InboundMessage) (ResultItem, error) {
	item := ResultItem{CompanyID: company, WAMessageID: m.ID}
	phone := "+" + m.From
	contact, err := s.store.ContactByPhone(ctx, company, phone)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !contact.Active) {
		item.Outcome, item.Reason = OutcomeIgnored, "no active contact of the company has this phone number"
		return item, nil
	} else if err != nil {
		return item, fmt.Errorf("whatsapp inbound: %w", err)
	}
	at, _ := unixTime(m.Timestamp)
	now := s.clock()
	rec := Message{CompanyID: company, Direction: Inbound, WAMessageID: m.ID, ContactID: contact.ID, Phone: phone,
		Kind: m.Type, Body: truncate(m.Body(), tickets.MaxCommentLength), Status: StatusReceived,
		CreatedAt: now, UpdatedAt: now, SentAt: at}
	if err := s.store.InsertWhatsAppMessage(ctx, &rec); errors.Is(err, storage.ErrConflict) {
		item.Outcome = OutcomeDuplicate
		if prev, err := s.store.WhatsAppMessageByWAID(ctx, company, m.ID); err == nil {
			item.TicketID = prev.TicketID
		}
		return item, nil
	} else if err != nil {
		return item, fmt.Errorf("whatsapp inbound: %w", err)
	}
	// The contact acts for themselves, as a requester: their message is a
	// public reply, never a first response.
	actor := tenant.Actor{CompanyID: company, ContactID: contact.ID, Role: tenant.RoleRequester}
	// An image or a document is fetched first: when the Cloud API cannot
	// serve it now, the message is given back for its retry.
	staged, refused, err := s.fetchMedia(ctx, actor, m)
	if err != nil {
		if derr := s.store.DeleteWhatsAppMessage(context.WithoutCancel(ctx), company, rec.ID); derr != nil {
			return item, errors.Join(fmt.Errorf("whatsapp inbound: %w", err), derr)
		}
		return item, fmt.Errorf("whatsapp inbound: %w", err)
	}
	ticketID, err := s.store.ActiveTicketOfContact(ctx, company, contact.ID)
	switch {
	case err == nil:
		if _, err = s.tickets.AddComment(ctx, actor, ticketID, rec.Body, false); err == nil {
			item.Outcome = OutcomeCommented
		}
	case errors.Is(err, storage.ErrNotFound):
		var d tickets.Details
		d, err = s.tickets.Create(ctx, actor, tickets.CreateInput{Title: title(rec.Body),
			Description: truncate(rec.Body, tickets.MaxDescriptionLength), Channel: tickets.ChannelWhatsApp,
			RequesterContactID: contact.ID, Tags: []string{"whatsapp"}})
		ticketID = d.Ticket.ID
		if err == nil {
			item.Outcome = OutcomeTicketOpened
		}
	}
	if err != nil {
		// Give the message ID back: a retry of the Cloud API may succeed.
		if derr := s.store.DeleteWhatsAppMessage(context.WithoutCancel(ctx), company, rec.ID); derr != nil {
			return item, errors.Join(fmt.Errorf("whatsapp inbound: %w", err), derr)
		}
		if errors.Is(err, storage.ErrConflict) || errors.Is(err, validation.ErrInvalid) {
			// The company is deactivated, the ticket closed meanwhile, the
			// text refused: retrying cannot help, so report and move on.
			item.Outcome, item.Reason = OutcomeIgnored, truncate(err.Error(), 300)
			return item, nil
		}
		return item, fmt.Errorf("whatsapp inbound: %w", err)
	}
	item.TicketID, rec.TicketID = ticketID, ticketID
	if err := s.store.UpdateWhatsAppMessage(ctx, &rec); err != nil {
		return item, fmt.Errorf("whatsapp inbound: %w", err)
	}
	switch {
	case refused != nil:
		item.Reason = truncate("the file was not kept: "+refused.Error(), 300)
	case len(staged) > 0:
		if _, err := s.files.Attach(ctx, actor, attachments.TicketOwner(ticketID), staged); err != nil {
			// The message is in; its file is reported, not retried (a
			// retry would be a duplicate).
			item.Reason = truncate("the file was not attached: "+err.Error(), 300)
		}
	}
	return item, nil
}

// fetchMedia downloads the image or document of m into the files' store,
// acting as the contact. A file the store refuses (too large, an
// executable, a type not accepted) is reported in refused, and the message
// goes on without it; a failure to reach the Cloud API is err.
func (s *Service) fetchMedia(ctx context.Context, actor tenant.Actor, m InboundMessage) (staged []attachments.Staged, refused, err error) {
	media, name, ok := m.media()
	if !ok || s.files == nil || !s.files.Enabled() {
		return nil, nil, nil
	}
	c, err := s.client(ctx, actor.CompanyID)
	if err != nil {
		return nil, nil, err
	}
	info, err := c.Media(ctx, media.ID)
	if err != nil {
		return nil, nil, err
	}
	body, err := c.OpenMedia(ctx, info)
	if err != nil {
		return nil, nil, err
	}
	defer body.Close()
	st, err := s.files.Stage(ctx, actor, name, body)
	switch {
	case errors.Is(err, attachments.ErrTooLarge), errors.Is(err, attachments.ErrRefusedType), errors.Is(err, validation.ErrInvalid):
		return nil, err, nil
	case err != nil:
		return nil, nil, err
	}
	return []attachments.Staged{st}, nil, nil
}

// title is the first line of body, cut to maxTitleRunes.
func title(body string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(body), "\n")
	line = strings.TrimSpace(line)
	if line == "" {
		line = "WhatsApp message"
	}
	return "WhatsApp: " + truncate(line, maxTitleRunes)
}

// statusUpdate applies a status callback to the recorded message.
func (s *Service) statusUpdate(ctx context.Context, company tenant.CompanyID, st StatusUpdate) (ResultItem, error) {
	item := ResultItem{CompanyID: company, WAMessageID: st.ID}
	m, err := s.store.WhatsAppMessageByWAID(ctx, company, st.ID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && m.Direction != Outbound) {
		item.Outcome, item.Reason = OutcomeIgnored, "no message sent by this company has this ID"
		return item, nil
	} else if err != nil {
		return item, fmt.Errorf("whatsapp status: %w", err)
	}
	item.Outcome, item.TicketID = OutcomeStatus, m.TicketID
	at, _ := unixTime(st.Timestamp)
	next := Status(st.Status)
	switch next {
	case StatusSent:
		m.SentAt = at
	case StatusDelivered:
		m.DeliveredAt = at
	case StatusRead:
		m.ReadAt = at
	case StatusFailed:
		m.FailedAt = at
		if len(st.Errors) > 0 {
			e := st.Errors[0]
			m.Error = truncate(fmt.Sprintf("code %d: %s %s", e.Code, e.Title, e.ErrorData.Details), 500)
		}
	}
	if next.rank() > m.Status.rank() {
		m.Status = next
	}
	m.UpdatedAt = s.clock()
	if err := s.store.UpdateWhatsAppMessage(ctx, &m); err != nil {
		return item, fmt.Errorf("whatsapp status: %w", err)
	}
	return item, nil
}
