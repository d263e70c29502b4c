package bunstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

var (
	_ events.RelayStore     = (*Store)(nil)
	_ events.OutboxNotifier = (*Store)(nil)
)

// outboxChannel names the PostgreSQL NOTIFY channel that wakes the relays
// of every process after commits that appended events: boladao_outbox, or
// for a store in a schema of its own (WithSchema) a name derived from the
// schema, since channels are shared by the whole database.
func outboxChannel(schema string) string {
	if schema == "" {
		return "boladao_outbox"
	}
	sum := sha256.Sum256([]byte(schema))
	return "boladao_outbox_" + hex.EncodeToString(sum[:8])
}

// relayHub wakes the relays of this process after commits that appended
// events, tells the other processes on PostgreSQL, and serialises SQLite
// claims. The zero value is ready.
type relayHub struct {
	claim   sync.Mutex
	mu      sync.Mutex
	waiters map[*func()]struct{}
	// channel is the store's outboxChannel (PostgreSQL).
	channel string

	// PostgreSQL: announce sends NOTIFY outboxChannel, one at a time;
	// pending coalesces the commits that come while one is on its way.
	announceOnce sync.Once
	pending      chan struct{}
	stop         context.CancelFunc
	stopped      chan struct{}
	// Tests may set these before the first announce: drained is called
	// when the sender takes the pending announcement, before its NOTIFY;
	// pause replaces the wait of announceInterval after each NOTIFY (it
	// returns false when ctx ended).
	drained func()
	pause   func(ctx context.Context) bool
}

// wait waits announceInterval, or what the test's pause does.
func (h *relayHub) wait(ctx context.Context) bool {
	if h.pause != nil {
		return h.pause(ctx)
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(announceInterval):
		return true
	}
}

func (h *relayHub) add(wake *func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.waiters == nil {
		h.waiters = map[*func()]struct{}{}
	}
	h.waiters[wake] = struct{}{}
}

func (h *relayHub) remove(wake *func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.waiters, wake)
}

func (h *relayHub) notify() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.waiters {
		(*w)()
	}
}

// announceInterval is the least time between two NOTIFYs of one store.
// The first commit after a quiet spell is announced at once; the commits
// that follow within the interval share one NOTIFY at its end. A relay
// that wakes keeps claiming while there are events, so under load the
// other processes lose nothing, and the store sends at most 200 NOTIFYs a
// second instead of one a commit (which cost a tenth of the ticket
// creation rate at 8 clients on PostgreSQL, measured with boladao-bench).
const announceInterval = 5 * time.Millisecond

// announce makes the store send NOTIFY outboxChannel soon, on its own
// connection and outside any unit of work: a transaction that notifies
// holds the server's notification lock through its commit, which would
// make every unit of work with events commit one at a time. The first
// call starts the sender; closeAnnouncer stops it.
func (h *relayHub) announce(db *bun.DB) {
	h.announceOnce.Do(func() {
		ctx, stop := context.WithCancel(context.Background())
		h.pending, h.stop, h.stopped = make(chan struct{}, 1), stop, make(chan struct{})
		go func() {
			defer close(h.stopped)
			for {
				select {
				case <-ctx.Done():
					return
				case <-h.pending:
				}
				if h.drained != nil {
					h.drained()
				}
				// A failed NOTIFY only delays the other relays until
				// their next poll.
				_, _ = db.ExecContext(ctx, "SELECT pg_notify(?, '')", h.channel)
				if !h.wait(ctx) {
					return
				}
			}
		}()
	})
	select {
	case h.pending <- struct{}{}:
	default: // one is pending already: it covers this commit too
	}
}

// closeAnnouncer stops the sender that announce started, if any, after
// the NOTIFY it may be sending.
func (h *relayHub) closeAnnouncer() {
	h.announceOnce.Do(func() {}) // no sender can start after this
	if h.stop != nil {
		h.stop()
		<-h.stopped
	}
}

type outboxRelayRow struct {
	bun.BaseModel `bun:"table:outbox"`
	Seq           int64           `bun:"seq,pk,autoincrement"`
	ID            string          `bun:"id"`
	Type          string          `bun:"type"`
	CompanyID     int64           `bun:"company_id"`
	AggregateType string          `bun:"aggregate_type"`
	AggregateID   string          `bun:"aggregate_id"`
	OccurredAt    time.Time       `bun:"occurred_at"`
	ActorUserID   int64           `bun:"actor_user_id"`
	Data          json.RawMessage `bun:"data,type:jsonb"`
	DeliveredAt   time.Time       `bun:"delivered_at,nullzero"`
	Attempts      int             `bun:"attempts"`
	NextAttemptAt time.Time       `bun:"next_attempt_at,nullzero"`
	LastError     string          `bun:"last_error"`
	DeadAt        time.Time       `bun:"dead_at,nullzero"`
}

func (r outboxRelayRow) record() events.OutboxRecord {
	return events.OutboxRecord{
		Event: events.Event{ID: r.ID, Type: r.Type, CompanyID: tenant.CompanyID(r.CompanyID), AggregateType: r.AggregateType,
			AggregateID: r.AggregateID, OccurredAt: r.OccurredAt.UTC(), ActorUserID: tenant.UserID(r.ActorUserID), Data: r.Data},
		Attempts: r.Attempts, NextAttemptAt: utcOrZero(r.NextAttemptAt), LastError: r.LastError,
		DeliveredAt: utcOrZero(r.DeliveredAt), DeadAt: utcOrZero(r.DeadAt),
	}
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// ClaimOutbox implements events.RelayStore. On PostgreSQL the claimed rows
// are locked FOR UPDATE SKIP LOCKED by a transaction that also records the
// outcomes, so relays in several processes share the outbox. On SQLite one
// claim runs at a time and fn runs outside any transaction, so the single
// writer is not held while events are published.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, limit int,
	fn func(ctx context.Context, recs []events.OutboxRecord) []events.OutboxOutcome) (int, error) {
	if s.dialect == Postgres {
		n := 0
		// The delivered rows are marked with the COMMIT (see withCommit).
		err := s.runTx(ctx, s.delivery, func(ctx context.Context, tx bun.Tx, wc *withCommit) error {
			recs, seqs, err := claimRows(ctx, tx, now, limit, true)
			if err != nil || len(recs) == 0 {
				return err
			}
			n = len(recs)
			return recordOutcomes(ctx, tx, wc, now, seqs, fn(ctx, recs))
		})
		return n, translate(err, "claiming outbox events")
	}
	s.relay.claim.Lock()
	defer s.relay.claim.Unlock()
	recs, seqs, err := claimRows(ctx, s.read, now, limit, false)
	if err != nil || len(recs) == 0 {
		return 0, translate(err, "claiming outbox events")
	}
	outcomes := fn(ctx, recs)
	err = s.write.RunInTx(context.WithoutCancel(ctx), nil, func(ctx context.Context, tx bun.Tx) error {
		return recordOutcomes(ctx, tx, nil, now, seqs, outcomes)
	})
	return len(recs), translate(err, "recording outbox outcomes")
}

// claimRows reads the due pending rows and drops those whose aggregate has
// an earlier pending row outside the batch (not due yet, or locked by
// another relay). It returns the records with their rows' seq by event ID.
func claimRows(ctx context.Context, db bun.IDB, now time.Time, limit int, lock bool) ([]events.OutboxRecord, map[string]int64, error) {
	var rows []outboxRelayRow
	q := db.NewSelect().Model(&rows).
		Where("delivered_at IS NULL").
		Where("(next_attempt_at IS NULL OR next_attempt_at <= ?)", now.UTC()).
		OrderExpr("seq ASC").Limit(int64(limit))
	if lock {
		q = q.For("UPDATE SKIP LOCKED")
	}
	if err := q.Scan(ctx); err != nil || len(rows) == 0 {
		return nil, nil, err
	}
	seqs := make([]int64, len(rows))
	for i, r := range rows {
		seqs[i] = r.Seq
	}
	var earlier []outboxRelayRow
	if err := db.NewSelect().Model(&earlier).Column("company_id", "aggregate_type", "aggregate_id").
		Where("delivered_at IS NULL").Where("seq < ?", rows[len(rows)-1].Seq).Where("seq NOT IN (?)", bun.List(seqs)).
		Scan(ctx); err != nil {
		return nil, nil, err
	}
	type agg struct {
		company int64
		typ, id string
	}
	blocked := make(map[agg]bool, len(earlier))
	for _, e := range earlier {
		blocked[agg{e.CompanyID, e.AggregateType, e.AggregateID}] = true
	}
	recs := make([]events.OutboxRecord, 0, len(rows))
	bySeq := make(map[string]int64, len(rows))
	for _, r := range rows {
		if blocked[agg{r.CompanyID, r.AggregateType, r.AggregateID}] {
			continue
		}
		recs = append(recs, r.record())
		bySeq[r.ID] = r.Seq
	}
	return recs, bySeq, nil
}

// recordOutcomes writes the outcomes of a claim in tx, finding the rows by
// their primary key (seqs, from claimRows); the marking of the delivered
// rows goes with the COMMIT when wc is not nil.
func recordOutcomes(ctx context.Context, tx bun.Tx, wc *withCommit, now time.Time, seqs map[string]int64,
	outcomes []events.OutboxOutcome) error {
	now = now.UTC()
	var done []int64
	for _, o := range outcomes {
		seq, ok := seqs[o.ID]
		if !ok {
			return fmt.Errorf("an outcome for event %s, which the claim did not hand over", o.ID)
		}
		switch {
		case o.Delivered && !o.Dead:
			done = append(done, seq)
		case o.Dead:
			if _, err := tx.NewUpdate().Table("outbox").Set("delivered_at = ?", now).Set("dead_at = ?", now).
				Set("last_error = ?", o.Err).Where("seq = ?", seq).Exec(ctx); err != nil {
				return err
			}
		default:
			if _, err := tx.NewUpdate().Table("outbox").Set("attempts = attempts + 1").
				Set("next_attempt_at = ?", o.RetryAt.UTC()).Set("last_error = ?", o.Err).
				Where("seq = ?", seq).Exec(ctx); err != nil {
				return err
			}
		}
	}
	if len(done) == 0 {
		return nil
	}
	return execAtCommit(ctx, wc, tx.NewUpdate().Table("outbox").Set("delivered_at = ?", now).Where("seq IN (?)", bun.List(done)))
}

// PendingOutbox implements events.RelayStore.
func (s *Store) PendingOutbox(ctx context.Context, q events.OutboxQuery) ([]events.OutboxRecord, error) {
	var rows []outboxRelayRow
	sq := s.read.NewSelect().Model(&rows).Where("(delivered_at IS NULL OR dead_at IS NOT NULL)")
	if err := outboxQuery(sq, q).Scan(ctx); err != nil {
		return nil, translate(err, "reading pending events")
	}
	out := make([]events.OutboxRecord, len(rows))
	for i, r := range rows {
		out[i] = r.record()
	}
	return out, nil
}

// PruneOutbox implements events.RelayStore.
func (s *Store) PruneOutbox(ctx context.Context, deliveredBefore time.Time) (int, error) {
	res, err := s.write.NewDelete().Table("outbox").
		Where("delivered_at < ?", deliveredBefore.UTC()).Where("dead_at IS NULL").Exec(ctx)
	if err != nil {
		return 0, translate(err, "pruning the outbox")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// OutboxStats implements events.RelayStore with index-only reads: the
// pending events through outbox_pending_idx, the dead letters through
// outbox_dead_idx (partial indexes, as small as what they count).
func (s *Store) OutboxStats(ctx context.Context) (events.OutboxStats, error) {
	var st events.OutboxStats
	var oldest []time.Time
	err := s.read.NewRaw(`SELECT
		(SELECT count(*) FROM outbox WHERE delivered_at IS NULL),
		(SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL)`).Scan(ctx, &st.Pending, &st.DeadLetters)
	if err == nil && st.Pending > 0 {
		err = s.read.NewSelect().Table("outbox").Column("occurred_at").Where("delivered_at IS NULL").
			OrderExpr("seq ASC").Limit(1).Scan(ctx, &oldest)
	}
	if err != nil {
		return events.OutboxStats{}, translate(err, "counting outbox events")
	}
	if len(oldest) > 0 {
		st.OldestPendingAt = oldest[0].UTC()
	}
	return st, nil
}

// ListenOutbox implements events.OutboxNotifier: wake is called after every
// commit of this process that appended events and, on PostgreSQL, after
// every NOTIFY on the outbox channel, which every process sends after such
// commits.
func (s *Store) ListenOutbox(ctx context.Context, wake func()) error {
	s.relay.add(&wake)
	defer s.relay.remove(&wake)
	if s.dialect != Postgres {
		<-ctx.Done()
		return nil
	}
	ln := pgdriver.NewListener(s.write)
	defer ln.Close()
	if err := ln.Listen(ctx, s.relay.channel); err != nil {
		return fmt.Errorf("bunstore: LISTEN %s: %w", s.relay.channel, err)
	}
	ch := ln.Channel() // reconnects and pings by itself
	for {
		select {
		case <-ctx.Done():
			return nil
		case n, ok := <-ch:
			if !ok {
				return fmt.Errorf("bunstore: the %s listener closed", s.relay.channel)
			}
			if n.Channel == s.relay.channel {
				wake()
			}
		}
	}
}
