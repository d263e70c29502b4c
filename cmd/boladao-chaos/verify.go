package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/storage/bunstore"
)

// outboxRow is one event of the outbox.
type outboxRow struct {
	seq                     int64
	id, typ, aggType, aggID string
	data                    map[string]any
}

// facts is what the database holds for the scenario's companies, read
// directly from its tables once the servers are stopped (or, for the
// outbox, while they run).
type facts struct {
	tickets    map[int64]string // id → title
	numbers    map[string]int   // "company/number" → rows
	comments   map[int64]string
	stock      map[int64]string
	orders     map[int64]string
	orderSeqs  map[string][]int64 // "company/year" → seqs
	activities map[int64]string
	serials    map[string]int // "company/serial" → rows
	assets     map[int64]bool
	outbox     []outboxRow
	integrity  string // SQLite's integrity_check; "" on PostgreSQL
}

// readFacts reads the rows of companies.
func readFacts(ctx context.Context, db *database, companies ...int64) (*facts, error) {
	st, err := db.open(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	f := &facts{tickets: map[int64]string{}, numbers: map[string]int{}, comments: map[int64]string{},
		stock: map[int64]string{}, orders: map[int64]string{}, orderSeqs: map[string][]int64{},
		activities: map[int64]string{}, serials: map[string]int{}, assets: map[int64]bool{}}
	q := st.DB()
	if db.kind == "sqlite" {
		if err := q.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&f.integrity); err != nil {
			return nil, fmt.Errorf("integrity_check: %w", err)
		}
	}
	for _, co := range companies {
		scan := func(query string, each func(func(...any) error) error) error {
			rows, err := q.QueryContext(ctx, query, co)
			if err != nil {
				return fmt.Errorf("%s: %w", query, err)
			}
			defer rows.Close()
			for rows.Next() {
				if err := each(rows.Scan); err != nil {
					return err
				}
			}
			return rows.Err()
		}
		var id, n int64
		var s string
		steps := []error{
			scan("SELECT id, title, number FROM tickets WHERE company_id = ?", func(sc func(...any) error) error {
				if err := sc(&id, &s, &n); err != nil {
					return err
				}
				f.tickets[id] = s
				f.numbers[fmt.Sprint(co, "/", n)]++
				return nil
			}),
			scan("SELECT id, body FROM ticket_comments WHERE company_id = ?", func(sc func(...any) error) error {
				if err := sc(&id, &s); err != nil {
					return err
				}
				f.comments[id] = s
				return nil
			}),
			scan("SELECT id, name FROM stock_items WHERE company_id = ?", func(sc func(...any) error) error {
				if err := sc(&id, &s); err != nil {
					return err
				}
				f.stock[id] = s
				return nil
			}),
			scan("SELECT id, number, year, seq FROM service_orders WHERE company_id = ?", func(sc func(...any) error) error {
				var year int
				if err := sc(&id, &s, &year, &n); err != nil {
					return err
				}
				f.orders[id] = s
				k := fmt.Sprint(co, "/", year)
				f.orderSeqs[k] = append(f.orderSeqs[k], n)
				return nil
			}),
			scan("SELECT id, description FROM service_order_activities WHERE company_id = ?", func(sc func(...any) error) error {
				if err := sc(&id, &s); err != nil {
					return err
				}
				f.activities[id] = s
				return nil
			}),
			scan("SELECT id, serial FROM assets WHERE company_id = ?", func(sc func(...any) error) error {
				if err := sc(&id, &s); err != nil {
					return err
				}
				f.assets[id] = true
				f.serials[fmt.Sprint(co, "/", s)]++
				return nil
			}),
		}
		for _, err := range steps {
			if err != nil {
				return nil, err
			}
		}
		rows, err := readOutbox(ctx, st, co)
		if err != nil {
			return nil, err
		}
		f.outbox = append(f.outbox, rows...)
	}
	return f, nil
}

// readOutbox reads company's events in outbox order.
func readOutbox(ctx context.Context, st *bunstore.Store, company int64) ([]outboxRow, error) {
	rows, err := st.DB().QueryContext(ctx,
		"SELECT seq, id, type, aggregate_type, aggregate_id, data FROM outbox WHERE company_id = ? ORDER BY seq", company)
	if err != nil {
		return nil, fmt.Errorf("reading the outbox: %w", err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		var data []byte
		if err := rows.Scan(&r.seq, &r.id, &r.typ, &r.aggType, &r.aggID, &data); err != nil {
			return nil, err
		}
		_ = json.Unmarshal(data, &r.data)
		out = append(out, r)
	}
	return out, rows.Err()
}

// outboxOf reads the events of company matching the endpoints' patterns,
// from a running database.
func outboxOf(ctx context.Context, db *database, company int64) ([]outboxRow, error) {
	st, err := db.open(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	all, err := readOutbox(ctx, st, company)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, r := range all {
		if events.MatchAny(loadEvents(), r.typ) {
			out = append(out, r)
		}
	}
	return out, nil
}

// storeChecks are the invariants of the stored data.
type storeChecks struct {
	acked      int // acknowledged writes
	lost       int // acknowledged and missing
	changed    int // acknowledged and different
	duplicates int // ticket numbers, serials or order seqs held twice
	gaps       int // order seqs missing in 1..max
	phantom    int // events whose write does not exist
	noEvent    int // acknowledged writes without their event
	integrity  string
}

// check compares the ledger with the facts.
func check(l *ledger, f *facts) storeChecks {
	l.mu.Lock()
	defer l.mu.Unlock()
	var c storeChecks
	c.integrity = f.integrity
	cmp := func(acked, stored map[int64]string) {
		for id, want := range acked {
			c.acked++
			got, ok := stored[id]
			switch {
			case !ok:
				c.lost++
			case got != want:
				c.changed++
			}
		}
	}
	cmp(l.tickets, f.tickets)
	cmp(l.comments, f.comments)
	cmp(l.stock, f.stock)
	cmp(l.orders, f.orders)
	cmp(l.activities, f.activities)
	for _, n := range f.numbers {
		c.duplicates += n - 1
	}
	for _, n := range f.serials {
		c.duplicates += n - 1
	}
	for _, seqs := range f.orderSeqs {
		sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
		seen := map[int64]bool{}
		for _, s := range seqs {
			if seen[s] {
				c.duplicates++
			}
			seen[s] = true
		}
		if len(seqs) > 0 {
			c.gaps += int(seqs[len(seqs)-1]) - len(seen)
		}
	}
	// Every event's write exists, and every acknowledged write has its
	// event.
	has := func(m map[int64]string, v any) bool {
		id, err := strconv.ParseInt(fmt.Sprint(v), 10, 64)
		_, ok := m[id]
		return err == nil && ok
	}
	created := map[string]bool{}
	for _, e := range f.outbox {
		exists := true
		switch e.aggType {
		case "ticket":
			exists = has(f.tickets, e.aggID)
			if e.typ == "ticket.commented" {
				exists = exists && has(f.comments, jsonNumber(e.data["comment_id"]))
				created[fmt.Sprint("comment/", jsonNumber(e.data["comment_id"]))] = true
			}
		case "service_order":
			exists = has(f.orders, e.aggID)
			if id, ok := e.data["activity_id"]; ok {
				exists = exists && has(f.activities, jsonNumber(id))
				created[fmt.Sprint("activity/", jsonNumber(id))] = true
			}
		case "stock_item":
			exists = has(f.stock, e.aggID)
		case "asset":
			id, _ := strconv.ParseInt(e.aggID, 10, 64)
			exists = f.assets[id]
		}
		if !exists {
			c.phantom++
		}
		created[e.aggType+"/"+e.aggID] = true
	}
	missing := func(kind string, m map[int64]string) {
		for id := range m {
			if !created[fmt.Sprint(kind, "/", id)] {
				c.noEvent++
			}
		}
	}
	missing("ticket", l.tickets)
	missing("comment", l.comments)
	missing("stock_item", l.stock)
	missing("service_order", l.orders)
	missing("activity", l.activities)
	return c
}

// jsonNumber renders a decoded JSON number as an integer string.
func jsonNumber(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatInt(int64(f), 10)
	}
	return fmt.Sprint(v)
}

// deliveryChecks compares what a webhook endpoint accepted with the
// events it should get.
type deliveryChecks struct {
	expected, delivered int
	duplicates          int // events accepted more than once
	extra               int // accepted events that are not expected
	outOfOrder          int // aggregates whose events arrived out of order
	// example describes the first aggregate out of order.
	example string
}

// checkDeliveries compares accepted and order (see receiver.snapshot) with
// the expected events; known are every event ID of the company, so that an
// accepted event that is not expected but exists is not called a phantom.
func checkDeliveries(expected []outboxRow, accepted map[string]int, order map[string][]string) deliveryChecks {
	var c deliveryChecks
	want := map[string]int64{}
	for _, e := range expected {
		want[e.id] = e.seq
		c.expected++
		if accepted[e.id] > 0 {
			c.delivered++
		}
	}
	for id, n := range accepted {
		if n > 1 {
			c.duplicates += n - 1
		}
		if _, ok := want[id]; !ok {
			c.extra++
		}
	}
	types := map[string]string{}
	for _, e := range expected {
		types[e.id] = e.typ
	}
	aggs := make([]string, 0, len(order))
	for agg := range order {
		aggs = append(aggs, agg)
	}
	sort.Strings(aggs)
	for _, agg := range aggs {
		last := int64(-1)
		for _, id := range order[agg] {
			seq, ok := want[id]
			if !ok {
				continue
			}
			if seq < last {
				c.outOfOrder++
				if c.example == "" {
					var got []string
					for _, id := range order[agg] {
						got = append(got, fmt.Sprintf("%s(seq %d)", types[id], want[id]))
					}
					c.example = agg + " accepted " + strings.Join(got, ", ")
				}
				break
			}
			last = seq
		}
	}
	return c
}
