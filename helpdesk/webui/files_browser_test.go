package webui_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/tickets"
)

// TestBrowserTicketFiles: an agent replies with a file through the plain
// multipart form, the conversation lists it, and the download gives the
// same bytes as an attachment; the requester downloads it too; a script is
// refused with a field error and nothing is attached.
func TestBrowserTicketFiles(t *testing.T) {
	blobs, err := attachments.OpenDir(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = blobs.Bucket().Close() })
	f := newFixture(t, fixtureOptions{desk: []helpdesk.Option{helpdesk.WithAttachments(blobs, attachments.Policy{})}})
	d, err := f.desk.Tickets.Create(t.Context(), f.agent.actor(), tickets.CreateInput{Title: "Nota fiscal ilegível",
		Priority: "medium", RequesterContactID: f.requester.Contact.ID})
	require.NoError(t, err)
	ticketPath := "/tickets/" + itoa(d.Ticket.ID)

	dir := t.TempDir()
	report := filepath.Join(dir, "relatório março.txt")
	content := "linha 1: impressora\nlinha 2: toner\n"
	require.NoError(t, os.WriteFile(report, []byte(content), 0o600))
	script := filepath.Join(dir, "limpa.sh")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\nrm -rf /\n"), 0o600))

	b := newBrowser(t)
	agent := b.tab("agent", f.srv.URL)
	agent.signIn(f.agent)
	agent.visit(ticketPath, "ticket-files")
	agent.fill("#reply-body", "Segue o relatório.")
	agent.do(chromedp.SetUploadFiles(chromedp.CSS("#reply-files"), []string{report}))
	agent.submit("[data-testid=send-reply]")
	agent.check("replied-with-file")
	require.Contains(t, agent.text("[data-testid=reply]"), "Segue o relatório.")
	require.Contains(t, agent.text("[data-testid=reply] [data-testid=files]"), "relatório março.txt")

	// The link downloads the same bytes, as an attachment.
	download := func(tb *tab) (string, string) {
		href := get(tb, chromedp.Evaluate[string](`document.querySelector("[data-testid=file-link]").href`))
		body := get(tb, chromedp.Evaluate[string](`fetch(document.querySelector("[data-testid=file-link]").href).then(r => r.text())`,
			chromedp.EvalAwaitPromise))
		disposition := get(tb, chromedp.Evaluate[string](`fetch(document.querySelector("[data-testid=file-link]").href).then(r => r.headers.get("content-disposition") + "|" + r.headers.get("x-content-type-options"))`,
			chromedp.EvalAwaitPromise))
		require.Contains(t, href, "/files/")
		return body, disposition
	}
	body, disposition := download(agent)
	require.Equal(t, content, body)
	require.Contains(t, disposition, "attachment; filename=")
	require.Contains(t, disposition, "filename*=UTF-8''relat%C3%B3rio%20mar%C3%A7o.txt")
	require.Contains(t, disposition, "|nosniff")

	// A script is refused with a field error; nothing is attached.
	agent.fill("#reply-body", "E o script.")
	agent.do(chromedp.SetUploadFiles(chromedp.CSS("#reply-files"), []string{script}))
	agent.submit("[data-testid=send-reply]")
	agent.check("file-refused")
	require.Contains(t, agent.text("#file-error"), "limpa.sh")
	list, err := f.desk.Attachments.List(t.Context(), f.agent.actor(), attachments.TicketOwner(d.Ticket.ID))
	require.NoError(t, err)
	require.Len(t, list, 1)

	// An asset's page lists its files and takes new ones.
	_, assets, err := f.desk.Inventory.Intake(t.Context(), f.admin.actor(), inventory.IntakeInput{Name: "Notebook", Category: "Notebook",
		Quantity: 1, ReceivedAt: time.Now()})
	require.NoError(t, err)
	agent.visit("/assets/"+itoa(assets[0].ID), "asset-files")
	require.Contains(t, agent.text("#files"), "Nenhum arquivo")
	agent.do(chromedp.SetUploadFiles(chromedp.CSS("#owner-files"), []string{report}))
	agent.submit("[data-testid=upload-files]")
	agent.check("asset-file-uploaded")
	require.Contains(t, agent.text("#files"), "relatório março.txt")
	body, _ = download(agent)
	require.Equal(t, content, body)

	// The requester sees and downloads the reply's file.
	requester := b.tab("requester", f.srv.URL)
	requester.signIn(f.requester)
	requester.visit(ticketPath, "requester-ticket-files")
	body, _ = download(requester)
	require.Equal(t, content, body)
}
