package sla_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/tickets/sla"
)

func TestEaster(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		year  int
		month time.Month
		day   int
	}{
		{2024, time.March, 31},
		{2025, time.April, 20},
		{2026, time.April, 5},
		{2027, time.March, 28},
		{2000, time.April, 23},
		{2008, time.March, 23}, // early
		{2011, time.April, 24}, // late: Good Friday after Tiradentes
		{2018, time.April, 1},
		{2019, time.April, 21},
		{2038, time.April, 25}, // latest possible
		{2285, time.March, 22}, // earliest possible
	} {
		require.Equal(t, sla.Date{Year: tt.year, Month: tt.month, Day: tt.day}, sla.Easter(tt.year), "Easter %d", tt.year)
	}
	for y := 1900; y <= 2200; y++ {
		e := sla.Easter(y)
		require.Equal(t, time.Sunday, e.Weekday(), "Easter %d", y)
		require.True(t, e.IsValid())
	}
}

func TestBrazilHolidays(t *testing.T) {
	t.Parallel()
	names := func(hs []sla.Holiday) map[string]sla.Holiday {
		m := map[string]sla.Holiday{}
		for _, h := range hs {
			m[h.Date.String()] = h
		}
		return m
	}
	tests := []struct {
		name    string
		year    int
		opts    []sla.BrazilOption
		present []string
		absent  []string
		count   int
	}{
		{
			name: "2026 national", year: 2026, count: 10,
			present: []string{"2026-01-01", "2026-04-03", "2026-04-21", "2026-05-01", "2026-09-07", "2026-10-12", "2026-11-02", "2026-11-15", "2026-11-20", "2026-12-25"},
			absent:  []string{"2026-02-16", "2026-02-17", "2026-02-18", "2026-06-04"},
		},
		{name: "2023 without Consciência Negra", year: 2023, count: 9, present: []string{"2023-04-07"}, absent: []string{"2023-11-20"}},
		{name: "2024 first Consciência Negra", year: 2024, count: 10, present: []string{"2024-11-20", "2024-03-29"}},
		{
			name: "2026 carnival", year: 2026, opts: []sla.BrazilOption{sla.WithCarnival()}, count: 12,
			present: []string{"2026-02-16", "2026-02-17"}, absent: []string{"2026-02-18", "2026-06-04"},
		},
		{name: "2026 ash wednesday", year: 2026, opts: []sla.BrazilOption{sla.WithAshWednesdayMorning()}, count: 11, present: []string{"2026-02-18"}},
		{name: "2026 corpus christi", year: 2026, opts: []sla.BrazilOption{sla.WithCorpusChristi()}, count: 11, present: []string{"2026-06-04"}},
		{
			name: "2025 all optional days", year: 2025, opts: []sla.BrazilOption{sla.WithAllOptionalDays()}, count: 14,
			present: []string{"2025-03-03", "2025-03-04", "2025-03-05", "2025-04-18", "2025-06-19"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hs := sla.BrazilHolidays(tt.year, tt.opts...)
			require.Len(t, hs, tt.count)
			m := names(hs)
			for _, d := range tt.present {
				require.Contains(t, m, d)
			}
			for _, d := range tt.absent {
				require.NotContains(t, m, d)
			}
			if h, ok := m[sla.Easter(tt.year).AddDays(-46).String()]; ok {
				require.Equal(t, sla.At(14, 0), h.ClosedUntil, "Ash Wednesday is closed only until 14:00")
			}
		})
	}

	// Structural properties over two centuries.
	for y := 1950; y <= 2150; y++ {
		hs := sla.BrazilHolidays(y, sla.WithAllOptionalDays())
		m := names(hs)
		e := sla.Easter(y)
		require.Equal(t, time.Monday, e.AddDays(-48).Weekday())
		require.Equal(t, time.Tuesday, e.AddDays(-47).Weekday())
		require.Equal(t, time.Friday, e.AddDays(-2).Weekday())
		require.Equal(t, time.Thursday, e.AddDays(60).Weekday())
		for _, d := range []sla.Date{e.AddDays(-48), e.AddDays(-47), e.AddDays(-46), e.AddDays(-2), e.AddDays(60)} {
			require.Contains(t, m, d.String())
		}
		for i := 1; i < len(hs); i++ {
			a, b := hs[i-1].Date, hs[i].Date
			require.False(t, time.Date(b.Year, b.Month, b.Day, 0, 0, 0, 0, time.UTC).Before(time.Date(a.Year, a.Month, a.Day, 0, 0, 0, 0, time.UTC)), "%d: sorted", y)
		}
		for _, h := range hs {
			require.NotEmpty(t, h.Name)
			require.Equal(t, y, h.Date.Year)
		}
	}
	require.Len(t, sla.BrazilHolidaysBetween(2023, 2026), 9+10+10+10)
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	p := sla.DefaultPolicy()
	require.NoError(t, p.Validate())
	want := map[sla.Priority][2]time.Duration{
		sla.PriorityCritical: {time.Hour, 4 * time.Hour},
		sla.PriorityHigh:     {4 * time.Hour, 24 * time.Hour},
		sla.PriorityMedium:   {8 * time.Hour, 72 * time.Hour},
		sla.PriorityLow:      {48 * time.Hour, 168 * time.Hour},
	}
	for _, pr := range sla.Priorities() {
		tg, ok := p.For(pr)
		require.True(t, ok)
		require.Equal(t, want[pr][0], tg.FirstResponse, pr)
		require.Equal(t, want[pr][1], tg.Resolution, pr)
		parsed, err := sla.ParsePriority(string(pr))
		require.NoError(t, err)
		require.Equal(t, pr, parsed)
	}
	_, ok := p.For("urgent")
	require.False(t, ok)
	_, err := sla.ParsePriority("urgent")
	require.ErrorContains(t, err, "use low, medium, high or critical")

	tests := []struct {
		name  string
		edit  func(*sla.Policy)
		hints []string
	}{
		{"zero policy", func(p *sla.Policy) { *p = sla.Policy{} }, []string{"low first-response target is 0s: set a positive business duration, e.g. 48h0m0s", "critical resolution target is 0s"}},
		{"negative", func(p *sla.Policy) { p.High.Resolution = -time.Hour }, []string{"high resolution target is -1h0m0s"}},
		{"first response above resolution", func(p *sla.Policy) { p.Medium.FirstResponse = 100 * time.Hour }, []string{"medium first-response target 100h0m0s exceeds its resolution target 72h0m0s: lower the first-response target or raise the resolution target"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := sla.DefaultPolicy()
			tt.edit(&p)
			err := p.Validate()
			require.True(t, errors.Is(err, sla.ErrInvalidPolicy))
			for _, h := range tt.hints {
				require.ErrorContains(t, err, h)
			}
		})
	}
}
