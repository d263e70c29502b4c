package ai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// DefaultChatTimeout bounds one chat-completions call.
const DefaultChatTimeout = 20 * time.Second

// maxReplyRunes bounds the suggested reply taken from a model.
const maxReplyRunes = 2000

// maxChatResponseBytes bounds what the client reads of a response.
const maxChatResponseBytes = 1 << 20

// ChatConfig configures a ChatClient for an OpenAI-compatible
// chat-completions endpoint: POST {BaseURL}/chat/completions.
type ChatConfig struct {
	// BaseURL is the API root, for example https://api.openai.com/v1.
	BaseURL string
	Model   string
	APIKey  string
	// Timeout bounds each call (default DefaultChatTimeout).
	Timeout time.Duration
	// Categories, when set, are the categories the model must choose from.
	Categories []string
	// HTTPClient sends the requests (default: one that follows no
	// redirects).
	HTTPClient *http.Client
}

// Validate reports settings the client cannot work with.
func (c ChatConfig) Validate() error {
	var errs []error
	if err := checkURL(c.BaseURL); err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(c.Model) == "" {
		errs = append(errs, errors.New("ai: the model is empty: name the chat model, for example gpt-4o-mini"))
	}
	if c.APIKey == "" {
		errs = append(errs, errors.New("ai: the API key is empty: set the provider's key"))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("ai: timeout %v must be positive", c.Timeout))
	}
	return errors.Join(errs...)
}

func checkURL(raw string) error {
	if !validation.BaseURL(raw) {
		return fmt.Errorf("ai: base URL %q must be an absolute http(s) URL such as https://api.openai.com/v1", raw)
	}
	return nil
}

// ChatClient classifies through an OpenAI-compatible chat-completions API,
// asking the model for a JSON object. It is safe for concurrent use.
type ChatClient struct {
	cfg  ChatConfig
	http *http.Client
}

// NewChatClient returns a client for cfg, or the errors of cfg.Validate.
func NewChatClient(cfg ChatConfig) (*ChatClient, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultChatTimeout
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &ChatClient{cfg: cfg, http: hc}, nil
}

// APIError is an error answered by the chat-completions API ({"error":
// {"message", "type", "code"}}) or an unexpected HTTP status.
type APIError struct {
	StatusCode int
	Type       string
	Code       string
	Message    string
}

// Error describes the refusal.
func (e *APIError) Error() string {
	msg := fmt.Sprintf("ai: chat completions answered %d", e.StatusCode)
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Temporary reports whether the same request may succeed later.
func (e *APIError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// ErrBadResponse is matched by answers the client cannot use: no choice,
// content that is not the JSON object asked for, an unknown priority.
var ErrBadResponse = errors.New("ai: the model's answer is not the classification asked for")

type (
	chatMessage struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	chatRequest struct {
		Model          string         `json:"model"`
		Messages       []chatMessage  `json:"messages"`
		Temperature    float64        `json:"temperature"`
		ResponseFormat map[string]any `json:"response_format"`
	}
	chatResponse struct {
		Choices []struct {
			Message struct {
				Content *string `json:"content"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	chatError struct {
		Error *struct {
			Message string          `json:"message"`
			Type    string          `json:"type"`
			Code    json.RawMessage `json:"code"`
		} `json:"error"`
	}
	// chatAnswer is the JSON object the model is asked to produce.
	chatAnswer struct {
		Category       string   `json:"category"`
		Priority       string   `json:"priority"`
		Urgency        string   `json:"urgency"`
		SuggestedReply string   `json:"suggested_reply"`
		Confidence     *float64 `json:"confidence"`
	}
)

const systemPrompt = `You classify IT helpdesk tickets of a Brazilian company. Answer with one JSON object only:
{"category": string, "priority": "low"|"medium"|"high"|"critical", "urgency": "low"|"medium"|"high",
"suggested_reply": string (a short first reply to the requester, in Brazilian Portuguese), "confidence": number from 0 to 1}.
Priority weighs the impact: critical when work has stopped for many people, high when one person cannot work,
low for questions and requests. Urgency is how soon the requester needs an answer.`

// Classify implements Classifier.
func (c *ChatClient) Classify(ctx context.Context, in Input) (Classification, error) {
	prompt := systemPrompt
	if len(c.cfg.Categories) > 0 {
		prompt += "\nChoose the category among: " + strings.Join(c.cfg.Categories, ", ") + "."
	}
	body, err := json.Marshal(chatRequest{Model: c.cfg.Model, Temperature: 0,
		ResponseFormat: map[string]any{"type": "json_object"},
		Messages: []chatMessage{{Role: "system", Content: prompt},
			{Role: "user", Content: "Title: " + in.Title + "\nDescription: " + in.Description}}})
	if err != nil {
		return Classification{}, fmt.Errorf("ai: encoding the request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return Classification{}, fmt.Errorf("ai: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	resp, err := c.http.Do(req)
	if err != nil {
		return Classification{}, fmt.Errorf("ai: calling chat completions: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxChatResponseBytes))
	if err != nil {
		return Classification{}, fmt.Errorf("ai: reading the answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		e := &APIError{StatusCode: resp.StatusCode, Message: http.StatusText(resp.StatusCode)}
		var ce chatError
		if json.Unmarshal(data, &ce) == nil && ce.Error != nil {
			e.Type, e.Message = ce.Error.Type, ce.Error.Message
			var code any
			if json.Unmarshal(ce.Error.Code, &code) == nil && code != nil {
				e.Code = fmt.Sprint(code)
			}
		}
		return Classification{}, e
	}
	return c.parse(data)
}

func (c *ChatClient) parse(data []byte) (Classification, error) {
	var r chatResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return Classification{}, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	if len(r.Choices) == 0 || r.Choices[0].Message.Content == nil {
		return Classification{}, fmt.Errorf("%w: no choice with content", ErrBadResponse)
	}
	content := strings.TrimSpace(*r.Choices[0].Message.Content)
	// Some compatible servers wrap the object in a Markdown code fence.
	content = strings.TrimPrefix(content, "```json")
	content = strings.TrimSuffix(strings.TrimPrefix(content, "```"), "```")
	var a chatAnswer
	if err := json.Unmarshal([]byte(strings.TrimSpace(content)), &a); err != nil {
		return Classification{}, fmt.Errorf("%w: content is not a JSON object: %v", ErrBadResponse, err)
	}
	p := sla.Priority(strings.ToLower(strings.TrimSpace(a.Priority)))
	if !p.Valid() {
		return Classification{}, fmt.Errorf("%w: priority %q", ErrBadResponse, a.Priority)
	}
	conf := 0.5
	if a.Confidence != nil {
		conf = *a.Confidence
	}
	cl := Classification{Category: strings.ToLower(strings.TrimSpace(a.Category)), Priority: p,
		Urgency: Urgency(strings.ToLower(a.Urgency)), SuggestedReply: strings.TrimSpace(a.SuggestedReply),
		CategoryConfidence: conf, PriorityConfidence: conf, Source: "openai:" + c.cfg.Model}
	if r := []rune(cl.Category); len(r) > 80 {
		cl.Category = string(r[:80])
	}
	switch cl.Urgency {
	case UrgencyLow, UrgencyMedium, UrgencyHigh:
	default:
		cl.Urgency = urgencyOf(p, nil)
	}
	if r := []rune(cl.SuggestedReply); len(r) > maxReplyRunes {
		cl.SuggestedReply = string(r[:maxReplyRunes])
	}
	if cl.SuggestedReply == "" {
		cl.SuggestedReply = suggestReply(cl.Category, p)
	}
	return finish(cl), nil
}
