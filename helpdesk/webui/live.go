package webui

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// Live updates.
//
// A page that shows tickets (the queue, a ticket) opens one Server-Sent
// Events stream, GET /live (?ticket=ID on a ticket's page), and re-fetches
// its fragments (/tickets/rows, /tickets/{id}/header and
// /tickets/{id}/conversation) when the stream names a changed ticket; the
// fragments go through the same permission checks as the pages, so the
// stream itself carries nothing but ticket IDs and presence.
//
// Each console holds one hub. While at least one stream is open, the hub
// holds one Desk.Watch on "ticket.>" (events.Watcher: with NATS, every
// instance sees every event) and fans each event out to the streams of
// the event's company that may see it: a requester's streams get changes
// of their own tickets only, and never an internal note. A stream whose
// writer falls behind loses nothing: the hub marks what changed (a set of
// ticket IDs per stream) and the writer sends the marks when it can.
//
// Presence: the staff on a ticket's page see who else has it open, on
// every console that shares the database. Each stream of a ticket page is
// a presence record in the store (tickets.Service.Viewing), written when
// the stream opens, refreshed every Config.PresenceRefresh while it stays
// open and deleted when it closes; a record lives for three refreshes (at
// least 5 seconds), so the records of a console that stopped without
// closing its streams lapse. Each console re-reads the records of its open tickets on every
// refresh (and at once when one of its own streams opens or closes) and
// sends a stream its presence sentence when it changed. Across consoles
// presence is therefore at most one refresh late (after a crash, one
// refresh past the record's life); within one console it is immediate.

// DefaultLiveHeartbeat is how often an idle live stream gets a comment line,
// which keeps proxies from closing it and re-checks the session.
const DefaultLiveHeartbeat = 25 * time.Second

// DefaultPresenceRefresh is how often a console refreshes and re-reads
// the presence records of its open ticket pages.
const DefaultPresenceRefresh = 10 * time.Second

// presenceTTLs is how many refreshes a presence record outlives, and
// minPresenceTTL the least it lives, so that a loaded console's late
// refresh does not make its people blink out.
const (
	presenceTTLs   = 3
	minPresenceTTL = 5 * time.Second
)

// presenceTTL is how long the records of this console live.
func (h *hub) presenceTTL() time.Duration {
	return max(presenceTTLs*h.c.cfg.PresenceRefresh, minPresenceTTL)
}

// liveRetry is the reconnection delay the stream asks browsers for.
const liveRetry = 3 * time.Second

// liveInbox bounds the events waiting for the hub's fan-out; when it is
// full, every stream is told to refresh everything.
const liveInbox = 4096

func (c *console) liveRoutes() {
	c.page("GET /live", c.live)
}

// hub fans the bus's ticket events out to the open live streams and
// tracks who has which ticket open.
type hub struct {
	c  *console
	mu sync.Mutex
	// conns are the open streams; viewers the streams of ticket pages, by
	// company and ticket.
	conns   map[*liveConn]struct{}
	viewers map[viewerKey]map[*liveConn]struct{}
	// watch is the running watch, nil while no stream is open.
	watch *liveWatch
	// owners caches the requester of tickets, for requesters' streams.
	owners map[viewerKey]tenant.ContactID
	// kick asks the presence loop for a pass without refreshing records.
	kick chan struct{}
}

// viewerKey names a ticket of a company.
type viewerKey struct {
	company tenant.CompanyID
	ticket  int64
}

// liveWatch is one registration of the hub on the bus.
type liveWatch struct {
	stop     context.CancelFunc
	inbox    chan events.Event
	overflow atomic.Bool
}

func newHub(c *console) *hub {
	return &hub{c: c, conns: map[*liveConn]struct{}{}, viewers: map[viewerKey]map[*liveConn]struct{}{},
		owners: map[viewerKey]tenant.ContactID{}, kick: make(chan struct{}, 1)}
}

// liveConn is one open stream.
type liveConn struct {
	company tenant.CompanyID
	user    tenant.UserID
	contact tenant.ContactID
	// own is set for those who read only their own tickets (requesters).
	own bool
	// staff see presence.
	staff  bool
	ticket int64
	name   string
	loc    *locale
	// actor is the stream's person; session names its presence record.
	actor   tenant.Actor
	session string
	// sent is the last presence sentence sent (nil: none yet), under mu.
	sent *string

	mu sync.Mutex
	// changed lists the changed tickets in the order they first changed.
	changed  []int64
	all      bool
	presence *string
	notify   chan struct{}
}

// mark records a change for the stream's writer.
func (lc *liveConn) mark(id int64, all bool, presence *string) {
	lc.mu.Lock()
	switch {
	case all:
		lc.all = true
	case id != 0 && !slices.Contains(lc.changed, id):
		lc.changed = append(lc.changed, id)
	}
	if presence != nil {
		lc.presence = presence
	}
	lc.mu.Unlock()
	select {
	case lc.notify <- struct{}{}:
	default:
	}
}

// take returns and clears the marks, as the lines of SSE messages.
func (lc *liveConn) take() []byte {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	var b []byte
	if lc.all {
		b = append(b, "event: ticket\ndata: *\n\n"...)
	} else {
		for _, id := range lc.changed {
			b = append(b, "event: ticket\ndata: "...)
			b = strconv.AppendInt(b, id, 10)
			b = append(b, "\n\n"...)
		}
	}
	if lc.presence != nil {
		b = append(b, "event: presence\ndata: "...)
		b = append(b, strings.NewReplacer("\r", " ", "\n", " ").Replace(*lc.presence)...)
		b = append(b, "\n\n"...)
	}
	lc.all, lc.changed, lc.presence = false, nil, nil
	return b
}

// join registers a stream, starting the watch for the first one, and
// updates the presence of its ticket. The watch is registered before join
// returns: a change made after the stream's headers reach the browser is
// seen.
func (h *hub) join(ctx context.Context, lc *liveConn) {
	h.mu.Lock()
	if h.watch == nil {
		h.start(ctx)
	}
	h.conns[lc] = struct{}{}
	if lc.ticket != 0 {
		k := viewerKey{lc.company, lc.ticket}
		if h.viewers[k] == nil {
			h.viewers[k] = map[*liveConn]struct{}{}
		}
		h.viewers[k][lc] = struct{}{}
	}
	h.mu.Unlock()
	if lc.ticket != 0 {
		// Outside the lock: a store write must not hold the hub.
		h.touch(ctx, lc)
		h.poke()
	}
}

// touch writes or refreshes lc's presence record.
func (h *hub) touch(ctx context.Context, lc *liveConn) {
	err := h.c.desk.Tickets.Viewing(ctx, lc.actor, lc.ticket, lc.session, lc.name, h.presenceTTL())
	if err != nil && ctx.Err() == nil {
		h.c.log.WarnContext(ctx, "webui: recording presence failed", "ticket", lc.ticket, "error", err.Error())
	}
}

// poke asks the presence loop for a pass.
func (h *hub) poke() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// leave unregisters a stream, stopping the watch after the last one.
func (h *hub) leave(ctx context.Context, lc *liveConn) {
	if lc.ticket != 0 {
		// The request is over: its context is done, its values are not.
		ctx := context.WithoutCancel(ctx)
		if err := h.c.desk.Tickets.StopViewing(ctx, lc.actor, lc.ticket, lc.session); err != nil {
			h.c.log.WarnContext(ctx, "webui: removing presence failed", "ticket", lc.ticket, "error", err.Error())
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns, lc)
	if lc.ticket != 0 {
		k := viewerKey{lc.company, lc.ticket}
		delete(h.viewers[k], lc)
		if len(h.viewers[k]) == 0 {
			delete(h.viewers, k)
		} else {
			h.poke()
		}
	}
	if len(h.conns) == 0 && h.watch != nil {
		h.watch.stop()
		h.watch = nil
		clear(h.owners)
	}
}

// start registers the hub's watch; the caller holds h.mu. The watch lives
// until the last stream leaves (not bound to the request that started it).
func (h *hub) start(ctx context.Context) {
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	w := &liveWatch{stop: stop, inbox: make(chan events.Event, liveInbox)}
	err := h.c.desk.Watch(wctx, "ticket.>", func(ev events.Event) {
		select {
		case w.inbox <- ev:
		default:
			w.overflow.Store(true)
		}
	})
	if err != nil {
		// Streams stay open with heartbeats only; pages still work by
		// reloading.
		level := h.c.log.ErrorContext
		if errors.Is(err, errors.ErrUnsupported) {
			level = h.c.log.WarnContext
		}
		level(ctx, "webui: live updates unavailable", "error", err.Error())
	}
	h.watch = w
	go h.run(wctx, w)
	go h.presenceLoop(wctx)
}

// presenceLoop refreshes the presence records of the hub's ticket streams
// every Config.PresenceRefresh and re-reads the records of their tickets
// then and whenever poked, until the watch stops.
func (h *hub) presenceLoop(ctx context.Context) {
	tick := time.NewTicker(h.c.cfg.PresenceRefresh)
	defer tick.Stop()
	for {
		refresh := false
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			refresh = true
		case <-h.kick:
		}
		h.syncPresence(ctx, refresh)
	}
}

// syncPresence refreshes (when asked) the records of the hub's ticket
// streams, reads each ticket's viewers and sends every staff stream its
// sentence when it changed.
func (h *hub) syncPresence(ctx context.Context, refresh bool) {
	h.mu.Lock()
	byTicket := make(map[viewerKey][]*liveConn, len(h.viewers))
	for k, conns := range h.viewers {
		for lc := range conns {
			byTicket[k] = append(byTicket[k], lc)
		}
	}
	h.mu.Unlock()
	for k, conns := range byTicket {
		if refresh {
			for _, lc := range conns {
				h.touch(ctx, lc)
			}
		}
		var reader *liveConn
		for _, lc := range conns {
			if lc.staff {
				reader = lc
				break
			}
		}
		if reader == nil {
			continue // requesters see no one
		}
		viewers, err := h.c.desk.Tickets.Viewers(ctx, reader.actor, k.ticket)
		if err != nil {
			if ctx.Err() == nil {
				h.c.log.WarnContext(ctx, "webui: reading presence failed", "ticket", k.ticket, "error", err.Error())
			}
			continue
		}
		for _, lc := range conns {
			if !lc.staff {
				continue
			}
			var names []string
			for _, v := range viewers {
				if v.UserID != lc.user && !slices.Contains(names, v.Name) {
					names = append(names, v.Name)
				}
			}
			slices.Sort(names)
			text := ""
			if len(names) > 0 {
				text = lc.loc.T("live.presence", "Names", strings.Join(names, ", "))
			}
			lc.mu.Lock()
			changed := lc.sent == nil || *lc.sent != text
			if changed {
				lc.sent = &text
			}
			lc.mu.Unlock()
			if changed {
				lc.mark(0, false, &text)
			}
		}
	}
}

// run fans out the watch's events until it stops.
func (h *hub) run(ctx context.Context, w *liveWatch) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-w.inbox:
			if w.overflow.Swap(false) {
				h.broadcastAll()
			}
			h.dispatch(ctx, ev)
		}
	}
}

// broadcastAll tells every stream that anything may have changed.
func (h *hub) broadcastAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for lc := range h.conns {
		lc.mark(0, true, nil)
	}
}

// ticketEventData is what the hub reads of a ticket event.
type ticketEventData struct {
	Internal           bool  `json:"internal"`
	RequesterContactID int64 `json:"requester_contact_id"`
}

// dispatch marks the ticket of ev changed on the streams that may see it.
func (h *hub) dispatch(ctx context.Context, ev events.Event) {
	if ev.AggregateType != "ticket" {
		return
	}
	id, err := strconv.ParseInt(ev.AggregateID, 10, 64)
	if err != nil || id <= 0 {
		return
	}
	var data ticketEventData
	_ = json.Unmarshal(ev.Data, &data)
	k := viewerKey{ev.CompanyID, id}
	var own []*liveConn
	h.mu.Lock()
	if data.RequesterContactID != 0 {
		h.remember(k, tenant.ContactID(data.RequesterContactID))
	}
	for lc := range h.conns {
		if lc.company != ev.CompanyID || (lc.ticket != 0 && lc.ticket != id) {
			continue
		}
		if lc.own {
			if !data.Internal {
				own = append(own, lc)
			}
			continue
		}
		lc.mark(id, false, nil)
	}
	owner, known := h.owners[k]
	h.mu.Unlock()
	if len(own) == 0 {
		return
	}
	if !known {
		owner = h.lookupOwner(ctx, k)
	}
	for _, lc := range own {
		if owner != 0 && lc.contact == owner {
			lc.mark(id, false, nil)
		}
	}
}

// remember caches a ticket's requester; the caller holds h.mu.
func (h *hub) remember(k viewerKey, owner tenant.ContactID) {
	if len(h.owners) >= 100_000 {
		clear(h.owners)
	}
	h.owners[k] = owner
}

// lookupOwner reads the requester of a ticket as the system.
func (h *hub) lookupOwner(ctx context.Context, k viewerKey) tenant.ContactID {
	actor, err := tenant.System().InCompany(k.company)
	if err != nil {
		return 0
	}
	d, err := h.c.desk.Tickets.Get(ctx, actor, k.ticket)
	if err != nil {
		return 0
	}
	h.mu.Lock()
	h.remember(k, d.Ticket.RequesterContactID)
	h.mu.Unlock()
	return d.Ticket.RequesterContactID
}

// live streams the changes a page shows, as Server-Sent Events: "ticket"
// events carry the ID of a changed ticket ("*": anything may have
// changed), "presence" events the sentence naming who else has the ticket
// open.
func (c *console) live(w http.ResponseWriter, r *http.Request, q *request) error {
	if q.actor.CompanyID == 0 {
		w.WriteHeader(http.StatusNoContent) // EventSource does not reconnect
		return nil
	}
	lc := &liveConn{company: q.actor.CompanyID, user: q.actor.UserID, contact: q.actor.ContactID,
		own:     !q.actor.Can(tenant.PermTicketsRead),
		staff:   q.actor.Can(tenant.PermTicketsRead),
		name:    q.Email(),
		loc:     q.locale,
		actor:   q.actor,
		session: rand.Text(),
		notify:  make(chan struct{}, 1)}
	if s := r.URL.Query().Get("ticket"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return errNotFound
		}
		if _, err := c.desk.Tickets.Get(r.Context(), q.actor, id); err != nil {
			if errors.Is(err, tenant.ErrForbidden) {
				return errNotFound
			}
			return err
		}
		lc.ticket = id
	}
	// The server's read and write timeouts must not cut the stream.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Time{})

	c.hub.join(r.Context(), lc)
	defer c.hub.leave(r.Context(), lc)

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte("retry: " + strconv.FormatInt(liveRetry.Milliseconds(), 10) + "\n: connected\n\n")); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	beat := time.NewTicker(c.cfg.LiveHeartbeat)
	defer beat.Stop()
	var closing <-chan struct{}
	if c.cfg.Context != nil {
		closing = c.cfg.Context.Done()
	}
	for {
		var msg []byte
		select {
		case <-r.Context().Done():
			return nil
		case <-closing:
			return nil // the server is shutting down
		case <-lc.notify:
			msg = lc.take()
		case <-beat.C:
			if _, ok := c.session(w, r); !ok {
				return nil // signed out, revoked or idle: the stream ends
			}
			msg = []byte(": ping\n\n")
		}
		if len(msg) == 0 {
			continue
		}
		if _, err := w.Write(msg); err != nil {
			return nil
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}
