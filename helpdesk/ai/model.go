package ai

import (
	"context"
	"errors"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// Provider names the classifier a company uses.
type Provider string

// The providers.
const (
	// ProviderBuiltin is the offline classifier trained on the company's
	// own resolved tickets.
	ProviderBuiltin Provider = "builtin"
	// ProviderOpenAI is any OpenAI-compatible chat-completions endpoint.
	ProviderOpenAI Provider = "openai"
)

// DefaultThreshold is the confidence from which the Applier sets a
// ticket's category and priority.
const DefaultThreshold = 0.7

// ErrNotConfigured means the company's provider lacks what it needs (an
// OpenAI-compatible provider without base URL, model or key).
var ErrNotConfigured = errors.New("ai provider is not configured: set the base URL, model and API key, or use the builtin provider")

// Settings are a company's AI gateway settings. APIKey is write-only:
// services never hand it back through an API.
type Settings struct {
	CompanyID tenant.CompanyID
	// Enabled makes the Applier classify new tickets.
	Enabled  bool
	Provider Provider
	BaseURL  string
	Model    string
	APIKey   string
	// Threshold is the confidence (0–1) from which the Applier sets
	// category and priority.
	Threshold     float64
	LastSuccessAt time.Time
	LastError     string
	LastErrorAt   time.Time
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Sample is one resolved ticket the builtin classifier learns from.
type Sample struct {
	Title       string
	Description string
	Category    string
	Priority    sla.Priority
}

// Store is what the AI gateway needs from a storage backend; writes are
// single statements outside units of work.
type Store interface {
	// AISettings reads a company's settings (storage.ErrNotFound when it
	// has none).
	AISettings(ctx context.Context, company tenant.CompanyID) (Settings, error)
	// SaveAISettings inserts s when s.Version is zero (storage.ErrConflict
	// when the company has settings) and otherwise updates the row of that
	// version (storage.ErrStale); Version is then incremented. The last
	// success and error are not written.
	SaveAISettings(ctx context.Context, s *Settings) error
	// RecordAIResult records the outcome of a classification: success
	// when errMsg is empty. The version does not change.
	RecordAIResult(ctx context.Context, company tenant.CompanyID, at time.Time, errMsg string) error
	// TrainingSamples returns up to limit of the company's tickets that
	// have been resolved, most recently resolved first.
	TrainingSamples(ctx context.Context, company tenant.CompanyID, limit int) ([]Sample, error)
}
