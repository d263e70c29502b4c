package whatsapp

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

func TestCheckTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, template, language string
		params                   int
		wantFields               []string
	}{
		{name: "approved name", template: "ticket_opened", language: "pt_BR"},
		{name: "longest name", template: strings.Repeat("a", maxTemplateName), language: "en"},
		{name: "name too long", template: strings.Repeat("a", maxTemplateName+1), language: "en", wantFields: []string{"name"}},
		{name: "upper case", template: "Ticket", language: "en_US", wantFields: []string{"name"}},
		{name: "empty name", template: "", language: "en_US", wantFields: []string{"name"}},
		{name: "bad language", template: "x", language: "pt-BR", wantFields: []string{"language"}},
		{name: "too many parameters", template: "x", language: "pt_BR", params: MaxParameters + 1, wantFields: []string{"parameters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b validation.Builder
			checkTemplate(&b, "", tt.template, tt.language, tt.params)
			err := b.Err()
			if tt.wantFields == nil {
				require.NoError(t, err)
				return
			}
			var verr *validation.Error
			require.ErrorAs(t, err, &verr)
			var got []string
			for _, f := range verr.Fields {
				got = append(got, f.Field)
			}
			require.Equal(t, tt.wantFields, got)
		})
	}
}

func TestRuleCacheReadsOncePerCompanyAndPeriod(t *testing.T) {
	t.Parallel()
	loads := map[tenant.CompanyID]int{}
	load := func(_ context.Context, company tenant.CompanyID, eventType string) ([]Rule, error) {
		require.Empty(t, eventType, "the cache holds every rule of the company")
		loads[company]++
		return []Rule{{ID: int64(loads[company]), CompanyID: company}}, nil
	}
	clock := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) // stepped by the test, not by the machine
	c := ruleCache{ttl: 50 * time.Millisecond, now: func() time.Time { return clock }}
	get := func(company tenant.CompanyID) int64 {
		rules, err := c.get(t.Context(), company, load)
		require.NoError(t, err)
		return rules[0].ID
	}
	require.EqualValues(t, 1, get(1))
	require.EqualValues(t, 1, get(1), "held")
	require.EqualValues(t, 1, get(2), "companies apart")
	c.forget(1)
	require.EqualValues(t, 2, get(1), "read again after a change")
	require.EqualValues(t, 1, get(2))
	clock = clock.Add(49 * time.Millisecond)
	require.EqualValues(t, 1, get(2), "held until the TTL ends")
	clock = clock.Add(time.Millisecond)
	require.EqualValues(t, 2, get(2), "read again once expired")
	require.Equal(t, map[tenant.CompanyID]int{1: 2, 2: 2}, loads)
	c.mu.Lock()
	require.Len(t, c.byCompany, 1, "expired companies are dropped")
	c.mu.Unlock()
}
