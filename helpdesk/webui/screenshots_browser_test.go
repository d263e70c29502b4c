package webui_test

import (
	"flag"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/webui"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/tickets"
)

var updateReadme = flag.Bool("update-readme", false,
	"regenerate the README's pictures, docs/console-dashboard.png and docs/console-ticket.png, from the demo data")

// TestScreenshots regenerates the README's pictures of the console, in
// pt-BR, from the demo data set: it runs "boladao seed --demo" into a
// fresh SQLite database, serves the console over it, signs in as the first
// demo company's admin and photographs the dashboard and a ticket being
// worked. It runs only when asked:
//
//	go test ./helpdesk/webui -run TestScreenshots -update-readme
func TestScreenshots(t *testing.T) {
	if !*updateReadme {
		t.Skip("run with -update-readme to regenerate docs/console-dashboard.png and docs/console-ticket.png")
	}
	ctx := t.Context()
	db := "sqlite:" + filepath.Join(t.TempDir(), "demo.db")
	cmd := exec.CommandContext(ctx, "go", "run", "../../cmd/boladao", "seed", "--demo")
	cmd.Env = append(os.Environ(), "BOLADAO_DATABASE_URL="+db)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "boladao seed --demo: %s", out)
	email, pass := demoAdmin(t, string(out))

	store, err := bunstore.Open(ctx, db)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	desk, err := helpdesk.New(store)
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close() })
	admin, err := desk.Directory.Authenticate(ctx, email, pass)
	require.NoError(t, err)
	ticketID := demoTicket(t, desk, admin)

	h, err := webui.New(desk, webui.Config{})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	b := newBrowser(t)
	tb := b.tab("readme", srv.URL)
	tb.visit("/signin", "signin")
	tb.fill("#email", email)
	tb.fill("#password", pass)
	tb.submit("form[action$='/signin'] button[type=submit]")
	tb.check("signed-in")

	for _, shot := range []struct{ path, file string }{
		{"/dashboard", "console-dashboard.png"},
		{"/tickets/" + itoa(ticketID), "console-ticket.png"},
	} {
		tb.visit(shot.path, shot.file)
		png := get(tb, chromedp.FullScreenshot(100)) // 100: PNG (lower qualities are JPEG)
		dst := filepath.Join("..", "..", "docs", shot.file)
		require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		require.NoError(t, os.WriteFile(dst, png, 0o644))
		t.Logf("wrote %s (%d bytes)", dst, len(png))
	}
}

// demoAdmin finds the first admin's email and password in the seed's
// table (COMPANY ROLE EMAIL PASSWORD).
func demoAdmin(t *testing.T, out string) (string, string) {
	t.Helper()
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) >= 4 && f[len(f)-3] == "admin" {
			return f[len(f)-2], f[len(f)-1]
		}
	}
	t.Fatalf("no admin in the output of boladao seed --demo:\n%s", out)
	return "", ""
}

// demoTicket picks the ticket to photograph: one in progress, with its
// conversation. A demo data set without tickets (seed --demo before it
// seeded them) gets one through the services.
func demoTicket(t *testing.T, desk *helpdesk.Desk, admin directory.User) int64 {
	t.Helper()
	ctx := t.Context()
	actor := admin.Actor()
	for _, s := range []tickets.Status{tickets.StatusInProgress, tickets.StatusOpen, ""} {
		page, err := desk.Tickets.List(ctx, actor, tickets.Filter{Status: s}, storage.PageRequest{Limit: 1})
		require.NoError(t, err)
		if len(page.Items) > 0 {
			return page.Items[0].ID
		}
	}
	d, err := desk.Tickets.Create(ctx, actor, tickets.CreateInput{Title: "Impressora do financeiro não imprime",
		Description: "Desde cedo a impressora do 2º andar não imprime; a fila mostra os trabalhos parados.",
		Priority:    "high", Category: "Hardware", Tags: []string{"impressora"}})
	require.NoError(t, err)
	s := tickets.StatusInProgress
	_, err = desk.Tickets.Update(ctx, actor, d.Ticket.ID, tickets.Patch{Status: &s})
	require.NoError(t, err)
	_, err = desk.Tickets.AddComment(ctx, actor, d.Ticket.ID, "Estamos verificando: o técnico passa aí às 14h.", false)
	require.NoError(t, err)
	_, err = desk.Tickets.AddComment(ctx, actor, d.Ticket.ID, "Toner trocado semana passada; suspeita do fusor.", true)
	require.NoError(t, err)
	return d.Ticket.ID
}
