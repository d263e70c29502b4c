package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
)

func record(t *testing.T, s audit.Store, e audit.Event) audit.Event {
	t.Helper()
	require.NoError(t, s.RecordSecurityEvent(ctx(t), &e))
	require.NotZero(t, e.ID)
	return e
}

func eventIDs(t *testing.T, s audit.Store, q audit.Query) []int64 {
	t.Helper()
	evs, err := s.SecurityEvents(ctx(t), q)
	require.NoError(t, err)
	ids := []int64{}
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	return ids
}

func testAuditRecordAndQuery(t *testing.T, b Backend) {
	s := b.Audit()
	minute := func(n int) time.Time { return at.Add(time.Duration(n) * time.Minute) }
	// Recorded out of time order, with two events at the same instant.
	e1 := record(t, s, audit.Event{At: minute(0), Kind: audit.LoginFailed, IP: "203.0.113.7", Email: "ana@acme.com", CompanyID: 0,
		Detail: "wrong password"})
	e2 := record(t, s, audit.Event{At: minute(10), Kind: audit.LoginSucceeded, IP: "203.0.113.7", Email: "ana@acme.com",
		UserID: 5, CompanyID: 1})
	e3 := record(t, s, audit.Event{At: minute(5), Kind: audit.RateLimited, IP: "198.51.100.1", CompanyID: 2})
	e4 := record(t, s, audit.Event{At: minute(5), Kind: audit.LoginFailed, IP: "198.51.100.1", Email: "bob@beta.com", CompanyID: 2})
	e5 := record(t, s, audit.Event{At: minute(20), Kind: audit.TokenReuse, IP: "2001:db8::1", UserID: 5, CompanyID: 1,
		Detail: "session revoked"})
	require.Less(t, e1.ID, e2.ID)
	require.Less(t, e4.ID, e5.ID, "IDs ascend in recording order")

	all, err := s.SecurityEvents(ctx(t), audit.Query{})
	require.NoError(t, err)
	require.Equal(t, []audit.Event{e5, e2, e4, e3, e1}, all, "newest first; same instant: last recorded first")
	require.Equal(t, time.UTC, all[0].At.Location())

	tests := []struct {
		name string
		q    audit.Query
		want []int64
	}{
		{"kind", audit.Query{Kind: audit.LoginFailed}, []int64{e4.ID, e1.ID}},
		{"ip", audit.Query{IP: "203.0.113.7"}, []int64{e2.ID, e1.ID}},
		{"company", audit.Query{CompanyID: 2}, []int64{e4.ID, e3.ID}},
		{"since is inclusive", audit.Query{Since: minute(5)}, []int64{e5.ID, e2.ID, e4.ID, e3.ID}},
		{"until is exclusive", audit.Query{Until: minute(10)}, []int64{e4.ID, e3.ID, e1.ID}},
		{"window", audit.Query{Since: minute(5), Until: minute(20)}, []int64{e2.ID, e4.ID, e3.ID}},
		{"limit keeps the newest", audit.Query{Limit: 2}, []int64{e5.ID, e2.ID}},
		{"combined", audit.Query{Kind: audit.LoginFailed, IP: "198.51.100.1", CompanyID: 2, Since: minute(1)}, []int64{e4.ID}},
		{"nothing", audit.Query{Kind: audit.IPBlocked}, []int64{}},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, eventIDs(t, s, tc.q), tc.name)
	}
}

func testAuditDefaultLimit(t *testing.T, b Backend) {
	s := b.Audit()
	const n = 105
	var last audit.Event
	for i := range n {
		last = record(t, s, audit.Event{At: at.Add(time.Duration(i) * time.Second), Kind: audit.TokenInvalid,
			IP: fmt.Sprintf("192.0.2.%d", i%200)})
	}
	evs, err := s.SecurityEvents(ctx(t), audit.Query{})
	require.NoError(t, err)
	require.Len(t, evs, 100, "Limit defaults to 100")
	require.Equal(t, last, evs[0])
	evs, err = s.SecurityEvents(ctx(t), audit.Query{Limit: n + 10})
	require.NoError(t, err)
	require.Len(t, evs, n)
}

func testAuditCount(t *testing.T, b Backend) {
	s := b.Audit()
	for i, k := range []audit.Kind{audit.LoginFailed, audit.LoginFailed, audit.RateLimited, audit.LoginFailed, audit.IPBlocked, audit.RateLimited} {
		record(t, s, audit.Event{At: at.Add(time.Duration(i) * time.Hour), Kind: k, CompanyID: 1})
	}
	got, err := s.CountSecurityEvents(ctx(t), at, at.Add(4*time.Hour))
	require.NoError(t, err)
	require.Equal(t, map[audit.Kind]int{audit.LoginFailed: 3, audit.RateLimited: 1}, got, "counts [since, until)")
	got, err = s.CountSecurityEvents(ctx(t), at.Add(time.Hour), at.Add(6*time.Hour))
	require.NoError(t, err)
	require.Equal(t, map[audit.Kind]int{audit.LoginFailed: 2, audit.RateLimited: 2, audit.IPBlocked: 1}, got)
	got, err = s.CountSecurityEvents(ctx(t), at.Add(10*time.Hour), at.Add(11*time.Hour))
	require.NoError(t, err)
	require.Empty(t, got)
}
