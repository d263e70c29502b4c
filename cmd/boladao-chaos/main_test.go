package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{args: nil},
		{args: []string{"-run", "kill9,sigterm", "-db", "sqlite", "-soak", "2m"}},
		{args: []string{"-run", "nope"}, err: `unknown scenario "nope"`},
		{args: []string{"-db", "mysql"}, err: `"mysql": use sqlite, postgres or both`},
		{args: []string{"-run", ","}, err: "name at least one scenario"},
		{args: []string{"-kills", "0"}, err: "at least 1"},
		{args: []string{"-soak", "30s"}, err: "-soak at least 1m"},
		{args: []string{"extra"}, err: "unexpected arguments"},
	} {
		c, err := parseFlags(tc.args, io.Discard)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.args)
			continue
		}
		require.NoError(t, err, tc.args)
		require.NotEmpty(t, c.run)
		require.NotEmpty(t, c.dbs)
	}
	c, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, scenarioNames(), c.run)
	require.Equal(t, 5*time.Minute, c.soak, "the 5-minute soak is the default")
}

// TestCheck shows that each invariant of the stored data can fail.
func TestCheck(t *testing.T) {
	t.Parallel()
	good := func() (*ledger, *facts) {
		l := newLedger()
		l.tickets[1] = "t1"
		l.comments[10] = "c10"
		l.stock[20] = "s20"
		l.orders[30] = "OS-1-2026-000001"
		l.activities[40] = "a40"
		f := &facts{
			tickets: map[int64]string{1: "t1"}, numbers: map[string]int{"1/1": 1},
			comments: map[int64]string{10: "c10"}, stock: map[int64]string{20: "s20"},
			orders: map[int64]string{30: "OS-1-2026-000001"}, orderSeqs: map[string][]int64{"1/2026": {1}},
			activities: map[int64]string{40: "a40"}, serials: map[string]int{"1/A1": 1}, assets: map[int64]bool{50: true},
			integrity: "ok",
			outbox: []outboxRow{
				{seq: 1, id: "e1", typ: "ticket.created", aggType: "ticket", aggID: "1"},
				{seq: 2, id: "e2", typ: "ticket.commented", aggType: "ticket", aggID: "1", data: map[string]any{"comment_id": float64(10)}},
				{seq: 3, id: "e3", typ: "inventory.intake_received", aggType: "stock_item", aggID: "20"},
				{seq: 4, id: "e4", typ: "asset.created", aggType: "asset", aggID: "50"},
				{seq: 5, id: "e5", typ: "service_order.created", aggType: "service_order", aggID: "30"},
				{seq: 6, id: "e6", typ: "service_order.activity_logged", aggType: "service_order", aggID: "30", data: map[string]any{"activity_id": float64(40)}},
			},
		}
		return l, f
	}
	for _, tc := range []struct {
		name  string
		spoil func(*ledger, *facts)
		want  func(storeChecks) int
	}{
		{"nothing broken", func(*ledger, *facts) {}, func(c storeChecks) int { return 1 - c.lost - c.changed - c.duplicates - c.gaps - c.phantom - c.noEvent }},
		{"lost ticket", func(_ *ledger, f *facts) { delete(f.tickets, 1) }, func(c storeChecks) int { return c.lost }},
		{"changed comment", func(_ *ledger, f *facts) { f.comments[10] = "other" }, func(c storeChecks) int { return c.changed }},
		{"duplicate number", func(_ *ledger, f *facts) { f.numbers["1/1"] = 2 }, func(c storeChecks) int { return c.duplicates }},
		{"duplicate serial", func(_ *ledger, f *facts) { f.serials["1/A1"] = 3 }, func(c storeChecks) int { return c.duplicates - 1 }},
		{"gap in order numbers", func(_ *ledger, f *facts) { f.orderSeqs["1/2026"] = []int64{1, 3} }, func(c storeChecks) int { return c.gaps }},
		{"phantom event", func(_ *ledger, f *facts) {
			f.outbox = append(f.outbox, outboxRow{id: "e9", typ: "ticket.created", aggType: "ticket", aggID: "99"})
		}, func(c storeChecks) int { return c.phantom }},
		{"phantom comment event", func(_ *ledger, f *facts) { f.outbox[1].data["comment_id"] = float64(11) }, func(c storeChecks) int { return c.phantom }},
		{"acknowledged activity without event", func(_ *ledger, f *facts) { f.outbox = f.outbox[:5] }, func(c storeChecks) int { return c.noEvent }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, f := good()
			tc.spoil(l, f)
			c := check(l, f)
			require.Equal(t, 5, c.acked)
			require.Equal(t, 1, tc.want(c), "%+v", c)
		})
	}
}

// TestCheckDeliveries shows that missing, repeated and reordered
// deliveries are counted.
func TestCheckDeliveries(t *testing.T) {
	t.Parallel()
	evs := []outboxRow{{seq: 1, id: "a", typ: "ticket.created"}, {seq: 2, id: "b", typ: "ticket.commented"}, {seq: 3, id: "c", typ: "ticket.created"}}
	d := checkDeliveries(evs, map[string]int{"a": 1, "b": 2, "x": 1}, map[string][]string{"ticket/1": {"b", "a"}, "ticket/2": {"c"}})
	require.Equal(t, deliveryChecks{expected: 3, delivered: 2, duplicates: 1, extra: 1, outOfOrder: 1,
		example: "ticket/1 accepted ticket.commented(seq 2), ticket.created(seq 1)"}, d)
	d = checkDeliveries(evs, map[string]int{"a": 1, "b": 1, "c": 1}, map[string][]string{"ticket/1": {"a", "b"}, "ticket/2": {"c"}})
	require.Equal(t, deliveryChecks{expected: 3, delivered: 3}, d)
	require.Equal(t, 1, phantomDeliveries(map[string]int{"a": 1, "zz": 1}, evs))
	require.Equal(t, []outboxRow{evs[2]}, expectedAfter(evs, 2))
}

// TestResultLine shows that a broken invariant fails the line.
func TestResultLine(t *testing.T) {
	t.Parallel()
	r := result{name: "kill9/sqlite", expected: -1}
	require.True(t, r.ok())
	require.Contains(t, r.line(), "PASS")
	require.Contains(t, r.line(), "delivered=n/a")
	r.applyStore(storeChecks{acked: 3, lost: 1, integrity: "ok"})
	require.False(t, r.ok())
	require.Contains(t, r.line(), "FAIL  acked=3 lost=1")
	require.Contains(t, r.line(), "violated: 1 acknowledged writes missing")
	r = result{name: "webhooks/sqlite", expected: -1}
	r.applyDeliveries("a", deliveryChecks{expected: 4, delivered: 4, duplicates: 2}, false)
	require.True(t, r.ok(), "at least once: a redelivery is no violation")
	r.applyDeliveries("b", deliveryChecks{expected: 4, delivered: 4, duplicates: 1}, true)
	require.False(t, r.ok(), "once per endpoint")
	require.Contains(t, r.line(), "delivered=8/8")
}
