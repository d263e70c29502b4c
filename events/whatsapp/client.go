package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

// Cloud API defaults.
const (
	DefaultBaseURL    = "https://graph.facebook.com"
	DefaultAPIVersion = "v21.0"
	// DefaultTimeout bounds one call to the Cloud API.
	DefaultTimeout = 15 * time.Second
	// maxResponseBytes bounds what the client reads of a response.
	maxResponseBytes = 1 << 20
)

// Error codes of the Cloud API that callers commonly handle.
const (
	CodeReEngagement     = 131047 // more than 24 hours since the customer last replied: send a template
	CodeTemplateParams   = 132000 // wrong number of template parameters
	CodeTemplateMissing  = 132001 // the template does not exist in that language
	CodeThroughputLimit  = 130429 // throughput limit reached: retry later
	CodeRateLimitPerPair = 131056 // too many messages to this recipient: retry later
)

// ClientConfig configures a Client. BaseURL and APIVersion default to the
// public Cloud API; Token and PhoneNumberID are required.
type ClientConfig struct {
	BaseURL       string
	APIVersion    string
	Token         string
	PhoneNumberID string
	// HTTPClient sends the requests (default: a client with DefaultTimeout
	// that follows no redirects).
	HTTPClient *http.Client
}

var (
	versionPattern = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]{1,3}$`)
	digitsPattern  = regexp.MustCompile(`^[0-9]{1,32}$`)
)

// Validate reports settings the client cannot work with.
func (c ClientConfig) Validate() error {
	var errs []error
	if c.Token == "" {
		errs = append(errs, errors.New("whatsapp: the access token is empty: set the Cloud API access token"))
	}
	if !digitsPattern.MatchString(c.PhoneNumberID) {
		errs = append(errs, fmt.Errorf("whatsapp: phone number ID %q must be the numeric ID Meta shows for the number", c.PhoneNumberID))
	}
	if c.APIVersion != "" && !versionPattern.MatchString(c.APIVersion) {
		errs = append(errs, fmt.Errorf("whatsapp: API version %q must look like %s", c.APIVersion, DefaultAPIVersion))
	}
	if c.BaseURL != "" {
		if err := checkBaseURL(c.BaseURL); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkBaseURL accepts an absolute http or https URL without query.
func checkBaseURL(raw string) error {
	if !validation.BaseURL(raw) {
		return fmt.Errorf("whatsapp: base URL %q must be an absolute http(s) URL such as %s", raw, DefaultBaseURL)
	}
	return nil
}

// Client sends messages through the WhatsApp Cloud API:
// POST {BaseURL}/{APIVersion}/{PhoneNumberID}/messages. It is safe for
// concurrent use.
type Client struct {
	cfg  ClientConfig
	http *http.Client
}

// NewClient returns a client for cfg, or the errors of cfg.Validate.
func NewClient(cfg ClientConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = DefaultAPIVersion
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &Client{cfg: cfg, http: hc}, nil
}

// Template is an approved message template with its body parameters, in
// order ({{1}}, {{2}}, ...).
type Template struct {
	Name       string
	Language   string
	Parameters []string
}

// SendResult is the Cloud API's answer to an accepted message.
type SendResult struct {
	// MessageID is the message's ID ("wamid...."), which status callbacks
	// refer to.
	MessageID string
	// WAID is the recipient's WhatsApp ID as the API resolved it.
	WAID string
}

// The request shapes of POST /{version}/{phone-number-id}/messages.
type (
	sendRequest struct {
		MessagingProduct string        `json:"messaging_product"`
		RecipientType    string        `json:"recipient_type"`
		To               string        `json:"to"`
		Type             string        `json:"type"`
		Text             *textBody     `json:"text,omitempty"`
		Template         *templateBody `json:"template,omitempty"`
	}
	textBody struct {
		PreviewURL bool   `json:"preview_url"`
		Body       string `json:"body"`
	}
	templateBody struct {
		Name       string              `json:"name"`
		Language   templateLanguage    `json:"language"`
		Components []templateComponent `json:"components,omitempty"`
	}
	templateLanguage struct {
		Code string `json:"code"`
	}
	templateComponent struct {
		Type       string              `json:"type"`
		Parameters []templateParameter `json:"parameters"`
	}
	templateParameter struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	sendResponse struct {
		MessagingProduct string `json:"messaging_product"`
		Contacts         []struct {
			Input string `json:"input"`
			WAID  string `json:"wa_id"`
		} `json:"contacts"`
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	errorResponse struct {
		Error *struct {
			Message   string `json:"message"`
			Type      string `json:"type"`
			Code      int    `json:"code"`
			ErrorData struct {
				Details string `json:"details"`
			} `json:"error_data"`
			FBTraceID string `json:"fbtrace_id"`
		} `json:"error"`
	}
)

// APIError is an error answered by the Cloud API, in its error shape
// ({"error": {"message", "type", "code", "error_data": {"details"},
// "fbtrace_id"}}), or an unexpected HTTP status.
type APIError struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Code is the Cloud API error code (131047, 132001, ...); zero when
	// the body did not carry one.
	Code      int
	Type      string
	Message   string
	Details   string
	FBTraceID string
}

// Error describes the refusal with Meta's code and details.
func (e *APIError) Error() string {
	msg := fmt.Sprintf("whatsapp: Cloud API answered %d", e.StatusCode)
	if e.Code != 0 {
		msg += fmt.Sprintf(" (code %d)", e.Code)
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Details != "" {
		msg += ": " + e.Details
	}
	return msg
}

// Temporary reports whether the same request may succeed later: throughput
// limits, rate limits and server errors.
func (e *APIError) Temporary() bool {
	return e.Code == CodeThroughputLimit || e.Code == CodeRateLimitPerPair ||
		e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// SendText sends a free-form text message to the WhatsApp number to (E.164,
// with or without "+"). The Cloud API accepts it only within 24 hours of
// the customer's last message (otherwise *APIError with CodeReEngagement).
func (c *Client) SendText(ctx context.Context, to, body string) (SendResult, error) {
	if strings.TrimSpace(body) == "" {
		return SendResult{}, errors.New("whatsapp: the text body is empty")
	}
	return c.send(ctx, sendRequest{MessagingProduct: "whatsapp", RecipientType: "individual", To: recipient(to),
		Type: "text", Text: &textBody{Body: body}})
}

// SendTemplate sends an approved template message to the WhatsApp number
// to, with t's parameters as the body's text parameters.
func (c *Client) SendTemplate(ctx context.Context, to string, t Template) (SendResult, error) {
	if t.Name == "" || t.Language == "" {
		return SendResult{}, errors.New("whatsapp: a template needs a name and a language code")
	}
	tb := &templateBody{Name: t.Name, Language: templateLanguage{Code: t.Language}}
	if len(t.Parameters) > 0 {
		comp := templateComponent{Type: "body", Parameters: make([]templateParameter, len(t.Parameters))}
		for i, p := range t.Parameters {
			comp.Parameters[i] = templateParameter{Type: "text", Text: p}
		}
		tb.Components = []templateComponent{comp}
	}
	return c.send(ctx, sendRequest{MessagingProduct: "whatsapp", RecipientType: "individual", To: recipient(to),
		Type: "template", Template: tb})
}

// recipient strips the "+" of an E.164 number: the Cloud API takes digits.
func recipient(to string) string { return strings.TrimPrefix(strings.TrimSpace(to), "+") }

func (c *Client) send(ctx context.Context, body sendRequest) (SendResult, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return SendResult{}, fmt.Errorf("whatsapp: encoding the message: %w", err)
	}
	endpoint := c.cfg.BaseURL + "/" + c.cfg.APIVersion + "/" + c.cfg.PhoneNumberID + "/messages"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(raw))
	if err != nil {
		return SendResult{}, fmt.Errorf("whatsapp: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	resp, err := c.http.Do(req)
	if err != nil {
		return SendResult{}, fmt.Errorf("whatsapp: sending the message: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return SendResult{}, fmt.Errorf("whatsapp: reading the Cloud API's answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return SendResult{}, apiError(resp.StatusCode, data)
	}
	var out sendResponse
	if err := json.Unmarshal(data, &out); err != nil || len(out.Messages) == 0 || out.Messages[0].ID == "" {
		return SendResult{}, &APIError{StatusCode: resp.StatusCode, Message: "the answer carries no message ID"}
	}
	res := SendResult{MessageID: out.Messages[0].ID}
	if len(out.Contacts) > 0 {
		res.WAID = out.Contacts[0].WAID
	}
	return res, nil
}

// apiError decodes the Cloud API's error shape, falling back to the status.
func apiError(status int, data []byte) *APIError {
	e := &APIError{StatusCode: status}
	var er errorResponse
	if json.Unmarshal(data, &er) == nil && er.Error != nil {
		e.Code, e.Type, e.Message = er.Error.Code, er.Error.Type, er.Error.Message
		e.Details, e.FBTraceID = er.Error.ErrorData.Details, er.Error.FBTraceID
	} else {
		e.Message = http.StatusText(status)
	}
	return e
}
