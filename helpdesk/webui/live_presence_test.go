package webui_test

import (
	"crypto/rand"
	"encoding/hex"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/webui"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
	"github.com/sistemaboladao/boladao/tickets"
)

// TestLivePresenceAcrossConsoles runs two consoles, each with its own desk
// and its own connections to one PostgreSQL database, as two server
// instances do: the people on a ticket's page see each other whichever
// console serves them, someone leaving disappears from the other console,
// and the record of a console that stopped without closing its page
// lapses on its own. Each step waits for its message with a deadline.
func TestLivePresenceAcrossConsoles(t *testing.T) {
	t.Parallel()
	dsn := bunstoretest.PostgresDSN(t)
	b := make([]byte, 6)
	_, err := rand.Read(b)
	require.NoError(t, err)
	schema := "t_" + hex.EncodeToString(b)
	open := func() *bunstore.Store {
		s, err := bunstore.Open(t.Context(), dsn, bunstore.WithSchema(schema), bunstore.WithMaxConns(4))
		require.NoError(t, err)
		return s
	}
	storeA := open()
	storeB := open()
	t.Cleanup(func() {
		_ = storeB.Close()
		// A page's last presence write may still be finishing: retry a
		// drop that deadlocks with it.
		require.Eventually(t, func() bool {
			_, err := storeA.DB().Exec("DROP SCHEMA ? CASCADE", bun.Ident(schema))
			return err == nil
		}, 10*time.Second, 50*time.Millisecond)
		_ = storeA.Close()
	})
	cfg := webui.Config{PresenceRefresh: 50 * time.Millisecond}
	a := newFixture(t, fixtureOptions{store: storeA, cfg: cfg})
	deskB, err := helpdesk.New(storeB, helpdesk.WithBcryptCost(bcrypt.MinCost))
	require.NoError(t, err)
	t.Cleanup(func() { _ = deskB.Close() })
	hB, err := webui.New(deskB, cfg)
	require.NoError(t, err)
	b2 := *a
	b2.desk, b2.srv = deskB, httptest.NewServer(hB)
	t.Cleanup(b2.srv.Close)

	d, err := a.desk.Tickets.Create(t.Context(), a.requester.actor(), tickets.CreateInput{Title: "Shared"})
	require.NoError(t, err)
	path := "/live?ticket=" + itoa64(d.Ticket.ID)
	const also = "Também com este chamado aberto: "

	agent := a.client(t)
	agent.signIn(a.agent)
	agentStream := agent.openStream(path)
	require.Empty(t, agentStream.next("presence").Data, "alone on the ticket")

	admin := b2.client(t)
	admin.signIn(a.admin)
	adminStream := admin.openStream(path)
	require.Equal(t, also+"beto@acme.test", adminStream.next("presence").Data, "console B sees console A's viewer")
	require.Equal(t, also+"ana@acme.test", agentStream.next("presence").Data, "console A sees console B's viewer")

	// Ana closes her page on console B: console A's page loses her.
	require.NoError(t, adminStream.resp.Body.Close())
	require.Empty(t, agentStream.next("presence").Data)

	// A page a stopped console never closed: its record lapses by itself.
	require.NoError(t, deskB.Tickets.Viewing(t.Context(), a.viewer.actor(), d.Ticket.ID, "stopped-console", "vera@acme.test",
		200*time.Millisecond))
	require.Equal(t, also+"vera@acme.test", agentStream.next("presence").Data)
	require.Empty(t, agentStream.next("presence").Data)
}
