package sla

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidPolicy is wrapped by every error Policy.Validate returns.
var ErrInvalidPolicy = errors.New("sla: invalid policy")

// Priority is a ticket priority.
type Priority string

// The ticket priorities, from least to most urgent.
const (
	PriorityLow      Priority = "low"
	PriorityMedium   Priority = "medium"
	PriorityHigh     Priority = "high"
	PriorityCritical Priority = "critical"
)

// Priorities returns every priority, from least to most urgent.
func Priorities() []Priority {
	return []Priority{PriorityLow, PriorityMedium, PriorityHigh, PriorityCritical}
}

// Valid reports whether p is one of the four priorities.
func (p Priority) Valid() bool {
	switch p {
	case PriorityLow, PriorityMedium, PriorityHigh, PriorityCritical:
		return true
	}
	return false
}

// ParsePriority returns the Priority named s ("low", "medium", "high",
// "critical").
func ParsePriority(s string) (Priority, error) {
	if p := Priority(s); p.Valid() {
		return p, nil
	}
	return "", fmt.Errorf("sla: unknown priority %q: use low, medium, high or critical", s)
}

// Targets are the SLA targets of one priority, both counted in business
// time (see Calendar) from the ticket's creation, pauses excluded.
type Targets struct {
	// FirstResponse is the business time allowed until the first response.
	FirstResponse time.Duration
	// Resolution is the business time allowed until the ticket is resolved.
	Resolution time.Duration
}

// Policy holds the targets of each priority. Companies override the
// defaults field by field and call Validate before storing the result.
type Policy struct {
	Low      Targets
	Medium   Targets
	High     Targets
	Critical Targets
}

// DefaultPolicy returns the default targets (first response / resolution):
// critical 1h / 4h, high 4h / 24h, medium 8h / 72h, low 48h / 168h.
func DefaultPolicy() Policy {
	return Policy{
		Critical: Targets{FirstResponse: 1 * time.Hour, Resolution: 4 * time.Hour},
		High:     Targets{FirstResponse: 4 * time.Hour, Resolution: 24 * time.Hour},
		Medium:   Targets{FirstResponse: 8 * time.Hour, Resolution: 72 * time.Hour},
		Low:      Targets{FirstResponse: 48 * time.Hour, Resolution: 168 * time.Hour},
	}
}

// For returns the targets of priority pr; ok is false for an unknown
// priority.
func (p Policy) For(pr Priority) (t Targets, ok bool) {
	switch pr {
	case PriorityLow:
		return p.Low, true
	case PriorityMedium:
		return p.Medium, true
	case PriorityHigh:
		return p.High, true
	case PriorityCritical:
		return p.Critical, true
	}
	return Targets{}, false
}

// Validate reports every problem in p: each target must be positive and a
// first-response target may not exceed the resolution target of the same
// priority. The error wraps ErrInvalidPolicy and says how to fix each field.
func (p Policy) Validate() error {
	var errs []error
	for _, pr := range Priorities() {
		t, _ := p.For(pr)
		if t.FirstResponse <= 0 {
			errs = append(errs, fmt.Errorf("%s first-response target is %v: set a positive business duration, e.g. %v", pr, t.FirstResponse, def(pr).FirstResponse))
		}
		if t.Resolution <= 0 {
			errs = append(errs, fmt.Errorf("%s resolution target is %v: set a positive business duration, e.g. %v", pr, t.Resolution, def(pr).Resolution))
		}
		if t.FirstResponse > 0 && t.Resolution > 0 && t.FirstResponse > t.Resolution {
			errs = append(errs, fmt.Errorf("%s first-response target %v exceeds its resolution target %v: lower the first-response target or raise the resolution target", pr, t.FirstResponse, t.Resolution))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidPolicy, errors.Join(errs...))
	}
	return nil
}

func def(pr Priority) Targets {
	t, _ := DefaultPolicy().For(pr)
	return t
}
