package attachments_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

func ticketInput(requester tenant.ContactID) tickets.CreateInput {
	return tickets.CreateInput{Title: "Impressora travada", Priority: "high", RequesterContactID: requester}
}

func pngBytes(n int) []byte {
	b := make([]byte, n)
	copy(b, "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	for i := 16; i < n; i++ {
		b[i] = byte(i * 7)
	}
	return b
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestUploadCommentDownload(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, attachments.Policy{}, nil)
	img := pngBytes(100 << 10)
	st, err := f.desk.Attachments.Stage(ctx, f.requester, "../../etc/foto.png", bytes.NewReader(img))
	require.NoError(t, err)
	require.Equal(t, attachments.Staged{Name: "foto.png", Size: int64(len(img)), SHA256: sum(img), ContentType: "image/png"}, st)
	// The same bytes again: one blob.
	st2, err := f.desk.Attachments.Stage(ctx, f.requester, "copia.png", bytes.NewReader(img))
	require.NoError(t, err)
	require.Equal(t, st.SHA256, st2.SHA256)
	require.Equal(t, []string{attachments.BlobKey(st.SHA256)}, f.files(t))

	c, added, err := f.desk.CommentWithFiles(ctx, f.requester, f.ticketID, "", false, []attachments.Staged{st, st2})
	require.NoError(t, err)
	require.Len(t, added, 2)
	require.Equal(t, attachments.CommentOwner(f.ticketID, c.ID), added[0].Owner())

	a, r, err := f.desk.Attachments.Open(ctx, f.agent, added[0].ID)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, r.Close())
	require.NoError(t, err)
	require.Equal(t, img, got)
	require.Equal(t, "foto.png", a.Name)

	// The comment's event lists its files; each file has its own event.
	evs, err := f.store.OutboxEvents(ctx, events.OutboxQuery{Type: "ticket.commented"})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Contains(t, string(evs[0].Data), `"attachments":[{"id":`+itoa(added[0].ID)+`,"name":"foto.png","size":102400,"content_type":"image/png","sha256":"`+st.SHA256+`"}`)
	evs, err = f.store.OutboxEvents(ctx, events.OutboxQuery{Type: "attachment.added"})
	require.NoError(t, err)
	require.Len(t, evs, 2)
	require.NotContains(t, string(evs[0].Data), "PNG", "events never carry contents")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestStageRefusesWritingNothing: bad files are refused with a precise
// error and leave nothing in the bucket.
func TestStageRefusesWritingNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, attachments.Policy{MaxFileBytes: 64 << 10, AllowedTypes: []string{"image/*", "application/pdf", "application/zip", "text/plain"}}, nil)
	elf := append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 4096)...)
	for _, tc := range []struct {
		name  string
		data  []byte
		check func(t *testing.T, err error)
	}{
		{"big.png", pngBytes(64<<10 + 1), func(t *testing.T, err error) {
			var le *attachments.LimitError
			require.ErrorAs(t, err, &le)
			require.ErrorIs(t, err, attachments.ErrTooLarge)
			require.EqualValues(t, 64<<10, le.Limit)
		}},
		{"huge.png", pngBytes(1 << 20), func(t *testing.T, err error) { require.ErrorIs(t, err, attachments.ErrTooLarge) }},
		{"invoice.pdf", elf, func(t *testing.T, err error) {
			var te *attachments.TypeError
			require.ErrorAs(t, err, &te)
			require.True(t, te.Executable)
		}},
		{"setup.exe", []byte("just text"), func(t *testing.T, err error) { require.ErrorIs(t, err, attachments.ErrRefusedType) }},
		{"x.txt", []byte("#!/bin/sh\necho hi\n"), func(t *testing.T, err error) { require.ErrorIs(t, err, attachments.ErrRefusedType) }},
		{"page.html", []byte("<html><script>alert(1)</script></html>"), func(t *testing.T, err error) {
			var te *attachments.TypeError
			require.ErrorAs(t, err, &te)
			require.False(t, te.Executable)
			require.Equal(t, "text/html; charset=utf-8", te.ContentType)
		}},
		{"empty.png", nil, func(t *testing.T, err error) { require.ErrorContains(t, err, "is empty") }},
	} {
		_, err := f.desk.Attachments.Stage(ctx, f.agent, tc.name, bytes.NewReader(tc.data))
		require.Error(t, err, tc.name)
		tc.check(t, err)
		require.Empty(t, f.files(t), "%s left a file", tc.name)
	}
	// A viewer uploads nothing.
	_, err := f.desk.Attachments.Stage(ctx, tenant.Actor{CompanyID: f.agent.CompanyID, UserID: 99, Role: tenant.RoleViewer}, "a.png", bytes.NewReader(pngBytes(100)))
	require.ErrorIs(t, err, tenant.ErrForbidden)
	require.Empty(t, f.files(t))
}

// TestZipStoredNotUnpacked: an archive (even one that would expand a lot)
// is stored byte for byte as application/zip.
func TestZipStoredNotUnpacked(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, attachments.Policy{}, nil)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("bomb.txt")
	require.NoError(t, err)
	_, err = w.Write(bytes.Repeat([]byte{0}, 32<<20)) // 32 MiB of zeros, compressed to a few KiB
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	st, err := f.desk.Attachments.Stage(ctx, f.agent, "logs.zip", bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	require.Equal(t, "application/zip", st.ContentType)
	require.EqualValues(t, buf.Len(), st.Size)
	require.Equal(t, []string{attachments.BlobKey(st.SHA256)}, f.files(t))
	raw, err := os.ReadFile(filepath.Join(f.dir, attachments.BlobKey(st.SHA256)))
	require.NoError(t, err)
	require.Equal(t, buf.Bytes(), raw)
}

// TestFailedUnitOfWorkAndGarbage: a unit of work that fails leaves no row;
// the collector removes the orphan blob after the grace period, keeps
// blobs in use and young ones, and removes abandoned staging.
func TestFailedUnitOfWorkAndGarbage(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, attachments.Policy{}, nil)
	kept, err := f.desk.Attachments.Stage(ctx, f.agent, "kept.png", bytes.NewReader(pngBytes(1000)))
	require.NoError(t, err)
	_, err = f.desk.Attachments.Attach(ctx, f.agent, attachments.TicketOwner(f.ticketID), []attachments.Staged{kept})
	require.NoError(t, err)

	orphan, err := f.desk.Attachments.Stage(ctx, f.agent, "orphan.png", bytes.NewReader(pngBytes(2000)))
	require.NoError(t, err)
	// The comment fails (the ticket does not exist): nothing is written.
	_, _, err = f.desk.CommentWithFiles(ctx, f.agent, f.ticketID+99, "x", false, []attachments.Staged{orphan})
	require.ErrorIs(t, err, storage.ErrNotFound)
	// The comment fails after the files were written (a unit of work that
	// returns an error): nothing is left either.
	boom := errors.New("boom")
	var rolledBack int64
	err = f.desk.InTx(ctx, func(ctx context.Context, tx helpdesk.Tx) error {
		as, err := f.desk.Attachments.AttachTx(ctx, tx, f.agent, attachments.TicketOwner(f.ticketID), []attachments.Staged{orphan})
		require.NoError(t, err)
		rolledBack = as[0].ID
		return boom
	})
	require.ErrorIs(t, err, boom)
	_, err = f.desk.Attachments.Get(ctx, f.agent, rolledBack)
	require.ErrorIs(t, err, storage.ErrNotFound)
	list, err := f.desk.Attachments.List(ctx, f.agent, attachments.TicketOwner(f.ticketID))
	require.NoError(t, err)
	require.Len(t, list, 1)

	young, err := f.desk.Attachments.Stage(ctx, f.agent, "young.png", bytes.NewReader(pngBytes(3000)))
	require.NoError(t, err)
	abandoned := filepath.Join(f.dir, "tmp", "deadbeef")
	require.NoError(t, os.MkdirAll(filepath.Dir(abandoned), 0o750))
	require.NoError(t, os.WriteFile(abandoned, []byte("half an upload"), 0o600))

	now := f.clock.now
	age := func(key string, d time.Duration) {
		require.NoError(t, os.Chtimes(filepath.Join(f.dir, key), now.Add(-d), now.Add(-d)))
	}
	age(attachments.BlobKey(kept.SHA256), 3*time.Hour)
	age(attachments.BlobKey(orphan.SHA256), 2*time.Hour)
	age(attachments.BlobKey(young.SHA256), time.Minute)
	age("tmp/deadbeef", 2*time.Hour)

	rep, err := f.desk.Attachments.CollectGarbage(ctx, time.Hour)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Deleted)
	require.ElementsMatch(t, []string{attachments.BlobKey(kept.SHA256), attachments.BlobKey(young.SHA256)}, f.files(t))
}
