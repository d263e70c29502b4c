package webui_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/webui"
	"github.com/sistemaboladao/boladao/tickets"
)

// runDesk runs the desk's workers (the outbox relay feeds the bus, and so
// the live streams) until the test ends.
func runDesk(t *testing.T, desk *helpdesk.Desk) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- desk.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
}

// sseEvent is one message of a live stream.
type sseEvent struct {
	Event string // "" for a comment line (heartbeat)
	Data  string
}

// stream is an open live stream read in the background.
type stream struct {
	t      testing.TB
	events chan sseEvent
	resp   *http.Response
}

// openStream opens GET path (/live, /live?ticket=ID) with the client's
// cookies and checks the stream's headers.
func (c *client) openStream(path string) *stream {
	c.t.Helper()
	ctx, cancel := context.WithCancel(c.t.Context())
	c.t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.f.srv.URL+path, nil)
	require.NoError(c.t, err)
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	require.Equal(c.t, http.StatusOK, resp.StatusCode)
	require.Equal(c.t, "text/event-stream", resp.Header.Get("Content-Type"))
	s := &stream{t: c.t, events: make(chan sseEvent, 256), resp: resp}
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Event != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ": ping"):
				s.events <- sseEvent{Data: "ping"}
			case strings.HasPrefix(line, "event: "):
				ev.Event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data = strings.TrimPrefix(line, "data: ")
			}
		}
	})
	c.t.Cleanup(func() {
		cancel()
		_ = resp.Body.Close()
		wg.Wait()
	})
	return s
}

// next returns the next message of kind ("ticket", "presence", "" for a
// heartbeat), skipping the others, failing after a generous deadline.
func (s *stream) next(kind string) sseEvent {
	s.t.Helper()
	ev, open := s.await(func(ev sseEvent) bool { return ev.Event == kind })
	require.True(s.t, open, "the stream ended while waiting for a %q message", kind)
	return ev
}

// ended waits until the stream ends, skipping its messages.
func (s *stream) ended(why string) {
	s.t.Helper()
	_, open := s.await(func(sseEvent) bool { return false })
	require.False(s.t, open, why)
}

// await receives the stream's messages until match accepts one (returned
// with true) or the stream ends (false), polling with a deadline.
func (s *stream) await(match func(sseEvent) bool) (sseEvent, bool) {
	s.t.Helper()
	var got sseEvent
	open := true
	require.Eventually(s.t, func() bool {
		for {
			select {
			case ev, ok := <-s.events:
				if !ok {
					open = false
					return true
				}
				if match(ev) {
					got = ev
					return true
				}
			default:
				return false
			}
		}
	}, 10*time.Second, time.Millisecond, "waiting on the stream")
	return got, open
}

func itoa64(n int64) string { return itoa(n) }

// settle waits until the relay has handed every committed event to the
// bus, so that a stream opened afterwards hears only later changes.
func settle(t *testing.T, desk *helpdesk.Desk) {
	t.Helper()
	require.Eventually(t, func() bool {
		pending, err := desk.PendingEvents(t.Context(), events.OutboxQuery{})
		return err == nil && len(pending) == 0
	}, 10*time.Second, 5*time.Millisecond)
}

// until reads ticket messages until one names id, returning the IDs named
// before it.
func (s *stream) until(id int64) []string {
	s.t.Helper()
	var before []string
	for {
		ev := s.next("ticket")
		if ev.Data == itoa64(id) {
			return before
		}
		before = append(before, ev.Data)
	}
}

func TestLiveStreamScopesChangesToWhoMaySeeThem(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	runDesk(t, f.desk)
	ctx := t.Context()
	mk := func(p person, title string) tickets.Details {
		d, err := f.desk.Tickets.Create(ctx, p.actor(), tickets.CreateInput{Title: title, Description: "details"})
		require.NoError(t, err)
		return d
	}
	ritaA, ritaB := mk(f.requester, "Rita's printer"), mk(f.requester, "Rita's mouse")
	ottos := mk(f.requester2, "Otto's screen")
	settle(t, f.desk)

	agent, rita, outsider := f.client(t), f.client(t), f.client(t)
	agent.signIn(f.agent)
	rita.signIn(f.requester)
	outsider.signIn(f.outsider)
	agentQueue := agent.openStream("/live")
	agentTicket := agent.openStream("/live?ticket=" + itoa64(ottos.Ticket.ID))
	ritaQueue := rita.openStream("/live")
	outsiderQueue := outsider.openStream("/live")

	// Changes Rita may not hear of (an internal note on her own ticket,
	// another requester's ticket), then one she may: a public reply on
	// her other ticket. The relay orders events per ticket only: each
	// change is on the bus before the next is made.
	comment := func(d tickets.Details, body string, internal bool) {
		_, err := f.desk.Tickets.AddComment(ctx, f.agent.actor(), d.Ticket.ID, body, internal)
		require.NoError(t, err)
		settle(t, f.desk)
	}
	comment(ritaA, "internal", true)
	comment(ottos, "on Otto's ticket", false)
	comment(ritaB, "public reply", false)

	require.Empty(t, ritaQueue.until(ritaB.Ticket.ID), "Rita hears of the public reply on her ticket only")
	require.ElementsMatch(t, []string{itoa64(ritaA.Ticket.ID), itoa64(ottos.Ticket.ID)}, agentQueue.until(ritaB.Ticket.ID),
		"the agent hears of every change of the company")
	require.Equal(t, itoa64(ottos.Ticket.ID), agentTicket.next("ticket").Data, "a ticket's stream names only its ticket")

	// Another company hears nothing of Acme: its first change is its own.
	other := mk(f.outsider, "Other's")
	require.Empty(t, outsiderQueue.until(other.Ticket.ID))
}

func TestLiveStreamRefusesForeignTickets(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	ctx := t.Context()
	ottos, err := f.desk.Tickets.Create(ctx, f.requester2.actor(), tickets.CreateInput{Title: "Otto's", Description: "x"})
	require.NoError(t, err)
	tests := []struct {
		name string
		who  person
		path string
		want int
	}{
		{"another requester's ticket", f.requester, "/live?ticket=" + itoa64(ottos.Ticket.ID), http.StatusNotFound},
		{"another company's ticket", f.outsider, "/live?ticket=" + itoa64(ottos.Ticket.ID), http.StatusNotFound},
		{"not an ID", f.agent, "/live?ticket=abc", http.StatusNotFound},
		{"a platform admin with no company", f.root, "/live", http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := f.client(t)
			cl.signIn(tt.who)
			resp := cl.get(tt.path)
			require.Equal(t, tt.want, resp.StatusCode)
			require.NotEqual(t, "text/event-stream", resp.Header.Get("Content-Type"))
		})
	}
	resp := f.client(t).get("/live")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "visitors are sent to the sign-in page")
}

func TestLivePresence(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	d, err := f.desk.Tickets.Create(t.Context(), f.requester.actor(), tickets.CreateInput{Title: "Shared", Description: "x"})
	require.NoError(t, err)
	path := "/live?ticket=" + itoa64(d.Ticket.ID)

	agent, admin, rita := f.client(t), f.client(t), f.client(t)
	agent.signIn(f.agent)
	admin.signIn(f.admin)
	rita.signIn(f.requester)
	agentStream := agent.openStream(path)
	require.Empty(t, agentStream.next("presence").Data, "alone on the ticket")

	adminStream := admin.openStream(path)
	require.Equal(t, "Também com este chamado aberto: beto@acme.test", adminStream.next("presence").Data)
	require.Equal(t, "Também com este chamado aberto: ana@acme.test", agentStream.next("presence").Data)

	ritaStream := rita.openStream(path)
	require.Equal(t, "Também com este chamado aberto: ana@acme.test, rita@acme.test", agentStream.next("presence").Data)

	// The admin leaves: the agent's list loses her.
	adminStream.resp.Body.Close()
	require.Equal(t, "Também com este chamado aberto: rita@acme.test", agentStream.next("presence").Data)

	// A requester is counted but sees no one (names of staff are not hers
	// to read): her stream carries no presence.
	_, err = f.desk.Tickets.AddComment(t.Context(), f.agent.actor(), d.Ticket.ID, "hello", false)
	require.NoError(t, err)
	runDesk(t, f.desk)
	require.Equal(t, itoa64(d.Ticket.ID), ritaStream.next("ticket").Data)
	for {
		select {
		case ev := <-ritaStream.events:
			require.NotEqual(t, "presence", ev.Event)
			continue
		default:
		}
		break
	}
}

func TestLiveStreamOutlivesTheServerTimeouts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	// A server with the reference server's deadlines, shrunk, and quick
	// heartbeats.
	h, err := webui.New(f.desk, webui.Config{LiveHeartbeat: 50 * time.Millisecond})
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.WriteTimeout = time.Second
	srv.Config.ReadTimeout = time.Second
	srv.Start()
	t.Cleanup(srv.Close)
	timed := *f
	timed.srv = srv
	cl := timed.client(t)
	cl.signIn(f.agent)
	s := cl.openStream("/live")
	start := time.Now()
	beats := 0
	for time.Since(start) < 3*time.Second { // three times the deadlines
		s.next("")
		beats++
	}
	require.Positive(t, beats)

	// Revoking the session ends the stream at the next heartbeat.
	revokeAll(t, f, cl)
	s.ended("the stream ends with its session")
}

func TestLiveStreamsEndWithTheConsoleContext(t *testing.T) {
	t.Parallel()
	ctx, shutdown := context.WithCancel(t.Context())
	f := newFixture(t, fixtureOptions{cfg: webui.Config{Context: ctx}})
	cl := f.client(t)
	cl.signIn(f.agent)
	s := cl.openStream("/live")
	shutdown() // as the server begins a graceful shutdown
	s.ended("the stream ends with the console's context")
}
