package ai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// Defaults of a Service.
const (
	// DefaultTrainingLimit caps the resolved tickets the builtin
	// classifier reads per company.
	DefaultTrainingLimit = 2000
	// DefaultRetrainInterval is how long a company's builtin model is
	// reused before it is trained again.
	DefaultRetrainInterval = 10 * time.Minute
)

// Service is the AI gateway: per-company settings, classification with the
// company's provider, status, and the Applier. It is safe for concurrent
// use.
type Service struct {
	store      Store
	tickets    *tickets.Service
	now        func() time.Time
	http       *http.Client
	limit      int
	retrain    time.Duration
	minSamples int

	mu     sync.Mutex
	models map[tenant.CompanyID]trained
}

type trained struct {
	model *Builtin
	at    time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithHTTPClient sets the HTTP client of chat-completions calls.
func WithHTTPClient(c *http.Client) Option { return func(s *Service) { s.http = c } }

// WithTraining sets how many resolved tickets the builtin classifier reads
// per company (default DefaultTrainingLimit), how long a model is reused
// (default DefaultRetrainInterval) and the history below which it uses
// keywords (default DefaultMinSamples).
func WithTraining(limit int, retrain time.Duration, minSamples int) Option {
	return func(s *Service) { s.limit, s.retrain, s.minSamples = limit, retrain, minSamples }
}

// NewService returns the gateway over store; the Applier works tickets
// through tk.
func NewService(store Store, tk *tickets.Service, opts ...Option) (*Service, error) {
	if store == nil || tk == nil {
		return nil, errors.New("ai: NewService needs a store and the tickets service")
	}
	s := &Service{store: store, tickets: tk, now: time.Now, limit: DefaultTrainingLimit,
		retrain: DefaultRetrainInterval, minSamples: DefaultMinSamples, models: map[tenant.CompanyID]trained{}}
	for _, o := range opts {
		o(s)
	}
	if s.limit <= 0 || s.limit > 100000 {
		return nil, fmt.Errorf("ai: training limit %d must be between 1 and 100000", s.limit)
	}
	return s, nil
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// settings reads a company's settings, the defaults when it has none.
func (s *Service) settings(ctx context.Context, company tenant.CompanyID) (Settings, error) {
	st, err := s.store.AISettings(ctx, company)
	if errors.Is(err, storage.ErrNotFound) {
		return Settings{CompanyID: company, Provider: ProviderBuiltin, Threshold: DefaultThreshold}, nil
	}
	return st, err
}

// SettingsInput changes a company's settings; nil fields are kept. APIKey
// is write-only. Version, when non-zero, must be the current one.
type SettingsInput struct {
	Enabled   *bool
	Provider  *Provider
	BaseURL   *string
	Model     *string
	APIKey    *string
	Threshold *float64
	Version   int64
}

// View is what an API may show of a company's settings: the key is
// reported only as set or not.
type View struct {
	CompanyID tenant.CompanyID
	Enabled   bool
	Provider  Provider
	BaseURL   string
	Model     string
	APIKeySet bool
	Threshold float64
	Version   int64
	UpdatedAt time.Time
}

func viewOf(st Settings) View {
	return View{CompanyID: st.CompanyID, Enabled: st.Enabled, Provider: st.Provider, BaseURL: st.BaseURL,
		Model: st.Model, APIKeySet: st.APIKey != "", Threshold: st.Threshold, Version: st.Version, UpdatedAt: st.UpdatedAt}
}

// Settings shows the actor's company's settings; it needs
// tenant.PermIntegrationsManage.
func (s *Service) Settings(ctx context.Context, actor tenant.Actor) (View, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return View{}, err
	}
	st, err := s.settings(ctx, actor.CompanyID)
	if err != nil {
		return View{}, fmt.Errorf("ai settings: %w", err)
	}
	return viewOf(st), nil
}

// UpdateSettings changes the actor's company's settings; it needs
// tenant.PermIntegrationsManage. The openai provider needs a base URL, a
// model and a key.
func (s *Service) UpdateSettings(ctx context.Context, actor tenant.Actor, in SettingsInput) (View, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return View{}, err
	}
	st, err := s.settings(ctx, actor.CompanyID)
	if err != nil {
		return View{}, fmt.Errorf("ai settings: %w", err)
	}
	if in.Version != 0 && in.Version != st.Version {
		return View{}, fmt.Errorf("ai settings: expected version %d, current is %d: %w", in.Version, st.Version, storage.ErrStale)
	}
	var b validation.Builder
	if in.Enabled != nil {
		st.Enabled = *in.Enabled
	}
	if in.Provider != nil {
		st.Provider = *in.Provider
		if st.Provider != ProviderBuiltin && st.Provider != ProviderOpenAI {
			b.Add("provider", "must be builtin or openai")
		}
	}
	if in.BaseURL != nil {
		st.BaseURL = strings.TrimRight(strings.TrimSpace(*in.BaseURL), "/")
		if st.BaseURL != "" && checkURL(st.BaseURL) != nil {
			b.Add("base_url", "must be an absolute http(s) URL such as https://api.openai.com/v1")
		}
	}
	if in.Model != nil {
		st.Model = b.Text("model", *in.Model, 0, 200)
	}
	if in.APIKey != nil {
		st.APIKey = strings.TrimSpace(*in.APIKey)
		if len(st.APIKey) > 1024 || strings.ContainsAny(st.APIKey, " \t\r\n") {
			b.Add("api_key", "must be at most 1024 characters without spaces")
		}
	}
	if in.Threshold != nil {
		st.Threshold = *in.Threshold
		if st.Threshold < 0 || st.Threshold > 1 || st.Threshold != st.Threshold {
			b.Add("threshold", "must be between 0 and 1")
		}
	}
	if st.Provider == ProviderOpenAI && (st.BaseURL == "" || st.Model == "" || st.APIKey == "") {
		b.Add("provider", "openai needs base_url, model and api_key")
	}
	if err := b.Err(); err != nil {
		return View{}, err
	}
	now := s.clock()
	if st.Version == 0 {
		st.CreatedAt = now
	}
	st.UpdatedAt = now
	if err := s.store.SaveAISettings(ctx, &st); err != nil {
		return View{}, fmt.Errorf("saving ai settings: %w", err)
	}
	return viewOf(st), nil
}

// Builtin returns the company's builtin classifier, trained on at most the
// training limit of its most recently resolved tickets and reused for the
// retrain interval.
func (s *Service) Builtin(ctx context.Context, company tenant.CompanyID) (*Builtin, error) {
	now := s.now()
	s.mu.Lock()
	m, ok := s.models[company]
	s.mu.Unlock()
	if ok && now.Sub(m.at) < s.retrain {
		return m.model, nil
	}
	samples, err := s.store.TrainingSamples(ctx, company, s.limit)
	if err != nil {
		return nil, fmt.Errorf("ai: reading training samples: %w", err)
	}
	model := Train(samples, s.minSamples)
	s.mu.Lock()
	s.models[company] = trained{model: model, at: now}
	s.mu.Unlock()
	return model, nil
}

// classifier returns the company's classifier and settings.
func (s *Service) classifier(ctx context.Context, company tenant.CompanyID) (Classifier, Settings, error) {
	st, err := s.settings(ctx, company)
	if err != nil {
		return nil, Settings{}, err
	}
	b, err := s.Builtin(ctx, company)
	if err != nil {
		return nil, st, err
	}
	if st.Provider != ProviderOpenAI {
		return b, st, nil
	}
	if st.BaseURL == "" || st.Model == "" || st.APIKey == "" {
		return nil, st, ErrNotConfigured
	}
	c, err := NewChatClient(ChatConfig{BaseURL: st.BaseURL, Model: st.Model, APIKey: st.APIKey,
		Categories: b.Categories(), HTTPClient: s.http})
	if err != nil {
		return nil, st, errors.Join(ErrNotConfigured, err)
	}
	return c, st, nil
}

// classify classifies with the company's classifier and records the
// outcome in its status.
func (s *Service) classify(ctx context.Context, company tenant.CompanyID, in Input) (Classification, Settings, error) {
	c, st, err := s.classifier(ctx, company)
	if err != nil {
		return Classification{}, st, err
	}
	out, err := c.Classify(ctx, in)
	if st.Version != 0 {
		msg := ""
		if err != nil {
			msg = err.Error()
			if r := []rune(msg); len(r) > 500 {
				msg = string(r[:500])
			}
		}
		_ = s.store.RecordAIResult(context.WithoutCancel(ctx), company, s.clock(), msg)
	}
	return out, st, err
}

// Analyze classifies a text for the actor's company; it needs
// tenant.PermTicketsRead.
func (s *Service) Analyze(ctx context.Context, actor tenant.Actor, in Input) (Classification, error) {
	if err := actor.RequireIn(tenant.PermTicketsRead); err != nil {
		return Classification{}, err
	}
	var b validation.Builder
	in.Title = b.Text("title", in.Title, 1, tickets.MaxTitleLength)
	in.Description = b.Text("description", in.Description, 0, tickets.MaxDescriptionLength)
	if err := b.Err(); err != nil {
		return Classification{}, err
	}
	out, _, err := s.classify(ctx, actor.CompanyID, in)
	if err != nil {
		return Classification{}, fmt.Errorf("analyzing: %w", err)
	}
	return out, nil
}

// AnalyzeTicket classifies a ticket of the actor's company.
func (s *Service) AnalyzeTicket(ctx context.Context, actor tenant.Actor, id int64) (Classification, error) {
	d, err := s.tickets.Get(ctx, actor, id)
	if err != nil {
		return Classification{}, err
	}
	return s.Analyze(ctx, actor, Input{Title: d.Ticket.Title, Description: d.Ticket.Description})
}

// Report is the gateway's state for status pages.
type Report struct {
	Enabled       bool
	Provider      Provider
	Model         string
	Configured    bool
	Threshold     float64
	LastSuccessAt time.Time
	LastError     string
	LastErrorAt   time.Time
	// Builtin describes the company's builtin classifier.
	BuiltinMode       string
	BuiltinSamples    int
	BuiltinCategories []string
	Evaluation        Evaluation
}

// Status reports the actor's company's gateway; it needs
// tenant.PermTicketsRead.
func (s *Service) Status(ctx context.Context, actor tenant.Actor) (Report, error) {
	if err := actor.RequireIn(tenant.PermTicketsRead); err != nil {
		return Report{}, err
	}
	st, err := s.settings(ctx, actor.CompanyID)
	if err != nil {
		return Report{}, fmt.Errorf("ai status: %w", err)
	}
	b, err := s.Builtin(ctx, actor.CompanyID)
	if err != nil {
		return Report{}, err
	}
	configured := st.Provider != ProviderOpenAI || (st.BaseURL != "" && st.Model != "" && st.APIKey != "")
	return Report{Enabled: st.Enabled, Provider: st.Provider, Model: st.Model, Configured: configured,
		Threshold: st.Threshold, LastSuccessAt: st.LastSuccessAt, LastError: st.LastError, LastErrorAt: st.LastErrorAt,
		BuiltinMode: b.Mode(), BuiltinSamples: b.Samples(), BuiltinCategories: b.Categories(), Evaluation: b.Evaluation()}, nil
}

// NotePrefix starts every internal note the Applier writes.
const NotePrefix = "[AI] "

// Applier classifies new tickets of the companies that enabled the
// gateway. Subscribe Handle to the event bus for ticket.created.
type Applier struct{ s *Service }

// Applier returns the service's event handler.
func (s *Service) Applier() *Applier { return &Applier{s: s} }

// Handle classifies the ticket of a ticket.created event when the company
// enabled the gateway: it sets the category (when the ticket has none) and
// the priority (when it is still the default, medium) only where the
// confidence reaches the company's threshold, and stores the suggestion as
// an internal note. It runs after the ticket was committed, so it never
// holds up its creation. Other events, disabled companies, tickets gone or
// already noted are no-ops. A temporary provider failure (timeout, 429,
// 5xx) is returned so that the bus retries; a permanent one is recorded in
// the status and not retried.
func (a *Applier) Handle(ctx context.Context, e events.Event) error {
	s := a.s
	if e.Type != "ticket.created" {
		return nil
	}
	st, err := s.settings(ctx, e.CompanyID)
	if err != nil {
		return fmt.Errorf("ai applier: %w", err)
	}
	if !st.Enabled {
		return nil
	}
	id, err := strconv.ParseInt(e.AggregateID, 10, 64)
	if err != nil {
		return nil // not a ticket ID: nothing to classify
	}
	actor, _ := tenant.System().InCompany(e.CompanyID) // a platform actor may act in any company
	d, err := s.tickets.Get(ctx, actor, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("ai applier: %w", err)
	}
	t := d.Ticket
	if noted, err := a.noted(ctx, actor, id); err != nil || noted {
		return err
	}
	c, st, err := s.classify(ctx, e.CompanyID, Input{Title: t.Title, Description: t.Description})
	if err != nil {
		var apiErr *APIError
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &apiErr) && apiErr.Temporary()) {
			return fmt.Errorf("ai applier: ticket %d: %w", id, err)
		}
		return nil // recorded in the status; retrying would fail the same way
	}
	var p tickets.Patch
	var applied []string
	if t.Category == "" && c.Category != "" && c.CategoryConfidence >= st.Threshold {
		p.Category = &c.Category
		applied = append(applied, "categoria")
	}
	if t.Priority == sla.PriorityMedium && c.Priority != t.Priority && c.Priority.Valid() && c.PriorityConfidence >= st.Threshold {
		p.Priority = &c.Priority
		applied = append(applied, "prioridade")
	}
	if len(applied) > 0 {
		p.Version = t.Version
		if _, err := s.tickets.Update(ctx, actor, id, p); errors.Is(err, storage.ErrStale) {
			applied = nil // someone changed the ticket meanwhile: their edit wins
		} else if err != nil {
			return fmt.Errorf("ai applier: ticket %d: %w", id, err)
		}
	}
	if _, err := s.tickets.AddComment(ctx, actor, id, note(c, applied, st.Threshold), true); err != nil &&
		!errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("ai applier: ticket %d: %w", id, err)
	}
	return nil
}

// noted reports whether the ticket already has the Applier's note (the
// event was delivered again).
func (a *Applier) noted(ctx context.Context, actor tenant.Actor, id int64) (bool, error) {
	page, err := a.s.tickets.Comments(ctx, actor, id, storage.PageRequest{Limit: 200})
	if err != nil {
		return false, fmt.Errorf("ai applier: %w", err)
	}
	for _, c := range page.Items {
		if c.Internal && c.AuthorUserID == 0 && strings.HasPrefix(c.Body, NotePrefix) {
			return true, nil
		}
	}
	return false, nil
}

// note is the internal note with the suggestion.
func note(c Classification, applied []string, threshold float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%sSugestão (%s, confiança %.0f%%): categoria %q (%.0f%%), prioridade %s (%.0f%%), urgência %s.",
		NotePrefix, c.Source, c.Confidence*100, c.Category, c.CategoryConfidence*100, c.Priority,
		c.PriorityConfidence*100, c.Urgency)
	if len(applied) > 0 {
		fmt.Fprintf(&b, "\nAplicado: %s (confiança ≥ %.0f%%).", strings.Join(applied, " e "), threshold*100)
	} else {
		fmt.Fprintf(&b, "\nNada aplicado (limite de confiança %.0f%%).", threshold*100)
	}
	if c.SuggestedReply != "" {
		b.WriteString("\nResposta sugerida: " + c.SuggestedReply)
	}
	return b.String()
}
