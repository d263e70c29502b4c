package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the header that carries an inbound notification's
// signature: "sha256=" + hex(HMAC-SHA256(app secret, raw body)).
const SignatureHeader = "X-Hub-Signature-256"

// Sign returns the X-Hub-Signature-256 value of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks header against body signed with secret, in
// constant time. It returns ErrBadSignature when the header is missing,
// malformed or wrong, or when secret is empty.
func VerifySignature(secret string, body []byte, header string) error {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if secret == "" || !ok {
		return ErrBadSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return ErrBadSignature
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return ErrBadSignature
	}
	return nil
}

// Notification is an inbound webhook notification of the Cloud API:
// entry[].changes[].value with the business number's metadata and either
// messages (with the senders' contacts) or statuses.
type Notification struct {
	Object string  `json:"object"`
	Entry  []Entry `json:"entry"`
}

// Entry is one WhatsApp Business Account's changes.
type Entry struct {
	ID      string   `json:"id"`
	Changes []Change `json:"changes"`
}

// Change is one change notification; Field is "messages" for messages and
// statuses.
type Change struct {
	Field string `json:"field"`
	Value Value  `json:"value"`
}

// Value carries the messages or statuses of one business number.
type Value struct {
	MessagingProduct string `json:"messaging_product"`
	Metadata         struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []struct {
		Profile struct {
			Name string `json:"name"`
		} `json:"profile"`
		WAID string `json:"wa_id"`
	} `json:"contacts"`
	Messages []InboundMessage `json:"messages"`
	Statuses []StatusUpdate   `json:"statuses"`
}

// InboundMessage is a message a WhatsApp user sent to the business number.
type InboundMessage struct {
	From      string `json:"from"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	Text      *struct {
		Body string `json:"body"`
	} `json:"text,omitempty"`
	Button *struct {
		Text string `json:"text"`
	} `json:"button,omitempty"`
	Image    *mediaCaption `json:"image,omitempty"`
	Document *mediaCaption `json:"document,omitempty"`
	Video    *mediaCaption `json:"video,omitempty"`
}

// mediaCaption is an inbound image, document or video: its caption and
// the Cloud API's media ID, which Client.Media resolves.
type mediaCaption struct {
	Caption  string `json:"caption"`
	ID       string `json:"id"`
	MimeType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	Filename string `json:"filename"`
}

// media returns the message's medium (image or document) and a file name
// for it; ok is false for other messages. Videos are not stored.
func (m InboundMessage) media() (c *mediaCaption, name string, ok bool) {
	switch {
	case m.Image != nil && m.Image.ID != "":
		return m.Image, "whatsapp-" + m.Image.ID + extFor(m.Image.MimeType), true
	case m.Document != nil && m.Document.ID != "":
		name := m.Document.Filename
		if strings.TrimSpace(name) == "" {
			name = "whatsapp-" + m.Document.ID + extFor(m.Document.MimeType)
		}
		return m.Document, name, true
	}
	return nil, "", false
}

// extFor is a file extension for a media type the Cloud API reports.
func extFor(mimeType string) string {
	switch strings.TrimSpace(strings.SplitN(mimeType, ";", 2)[0]) {
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/webp":
		return ".webp"
	case "application/pdf":
		return ".pdf"
	}
	return ""
}

// Body is the message's text: the text body, a button's text, a media
// caption, or a placeholder naming the type.
func (m InboundMessage) Body() string {
	switch {
	case m.Text != nil && strings.TrimSpace(m.Text.Body) != "":
		return m.Text.Body
	case m.Button != nil && m.Button.Text != "":
		return m.Button.Text
	}
	for _, c := range []*mediaCaption{m.Image, m.Document, m.Video} {
		if c != nil && strings.TrimSpace(c.Caption) != "" {
			return "[" + m.Type + "] " + c.Caption
		}
	}
	return "[" + m.Type + " message]"
}

// StatusUpdate is a status callback for a message the business sent.
type StatusUpdate struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Timestamp   string `json:"timestamp"`
	RecipientID string `json:"recipient_id"`
	Errors      []struct {
		Code      int    `json:"code"`
		Title     string `json:"title"`
		Message   string `json:"message"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"errors"`
}

// ParseNotification decodes and checks an inbound notification: a
// whatsapp_business_account object whose changes name their business
// number, with messages that have an ID and a sender and statuses that have
// an ID and a known status. Anything else is a *PayloadError.
func ParseNotification(body []byte) (Notification, error) {
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return Notification{}, &PayloadError{Reason: err.Error()}
	}
	if n.Object != "whatsapp_business_account" {
		return Notification{}, &PayloadError{Reason: fmt.Sprintf("object is %q, want whatsapp_business_account", n.Object)}
	}
	if len(n.Entry) == 0 {
		return Notification{}, &PayloadError{Reason: "entry is empty"}
	}
	for i, e := range n.Entry {
		for j, c := range e.Changes {
			where := fmt.Sprintf("entry[%d].changes[%d].value", i, j)
			if c.Field != "messages" {
				continue
			}
			if !digitsPattern.MatchString(c.Value.Metadata.PhoneNumberID) {
				return Notification{}, &PayloadError{Reason: where + ".metadata.phone_number_id is missing"}
			}
			for k, m := range c.Value.Messages {
				if m.ID == "" || !digitsPattern.MatchString(m.From) {
					return Notification{}, &PayloadError{Reason: fmt.Sprintf("%s.messages[%d] needs an id and a from number", where, k)}
				}
				if _, err := unixTime(m.Timestamp); err != nil {
					return Notification{}, &PayloadError{Reason: fmt.Sprintf("%s.messages[%d].timestamp: %v", where, k, err)}
				}
			}
			for k, s := range c.Value.Statuses {
				if s.ID == "" || Status(s.Status).rank() < 2 {
					return Notification{}, &PayloadError{Reason: fmt.Sprintf("%s.statuses[%d] needs an id and a status of sent, delivered, read or failed", where, k)}
				}
				if _, err := unixTime(s.Timestamp); err != nil {
					return Notification{}, &PayloadError{Reason: fmt.Sprintf("%s.statuses[%d].timestamp: %v", where, k, err)}
				}
			}
		}
	}
	return n, nil
}

// PhoneNumberIDs lists the distinct business numbers n has changes for.
func (n Notification) PhoneNumberIDs() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range n.Entry {
		for _, c := range e.Changes {
			id := c.Value.Metadata.PhoneNumberID
			if c.Field == "messages" && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// unixTime parses the Cloud API's timestamps: Unix seconds as a string.
func unixTime(s string) (time.Time, error) {
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil || sec <= 0 {
		return time.Time{}, fmt.Errorf("%q is not Unix seconds", s)
	}
	return time.Unix(sec, 0).UTC(), nil
}
