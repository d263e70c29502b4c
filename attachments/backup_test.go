package attachments_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/attachments"
)

func TestBackupRestoreBlobs(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, attachments.Policy{}, nil)
	a, err := f.desk.Attachments.Stage(ctx, f.agent, "a.png", bytes.NewReader(pngBytes(5000)))
	require.NoError(t, err)
	b, err := f.desk.Attachments.Stage(ctx, f.agent, "b.pdf", bytes.NewReader([]byte("%PDF-1.7\nsigned form\n")))
	require.NoError(t, err)
	src := openDir(t, f.dir)

	var full, manifest bytes.Buffer
	st, err := src.Backup(ctx, &full, true)
	require.NoError(t, err)
	require.Equal(t, 2, st.Blobs)
	require.Equal(t, a.Size+b.Size, st.Bytes)
	_, err = src.Backup(ctx, &manifest, false)
	require.NoError(t, err)
	require.Less(t, manifest.Len(), full.Len())

	// A full backup puts the blobs back, byte for byte.
	dstDir := t.TempDir()
	dst := openDir(t, dstDir)
	st, err = dst.Restore(ctx, bytes.NewReader(full.Bytes()))
	require.NoError(t, err)
	require.Equal(t, 2, st.Blobs)
	require.Empty(t, st.Missing)
	for _, s := range []attachments.Staged{a, b} {
		want, err := os.ReadFile(filepath.Join(f.dir, attachments.BlobKey(s.SHA256)))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dstDir, attachments.BlobKey(s.SHA256)))
		require.NoError(t, err)
		require.Equal(t, want, got)
	}

	// A manifest-only backup restores nothing and names what is missing.
	empty := openDir(t, t.TempDir())
	st, err = empty.Restore(ctx, bytes.NewReader(manifest.Bytes()))
	require.NoError(t, err)
	require.Zero(t, st.Blobs)
	require.ElementsMatch(t, []string{attachments.BlobKey(a.SHA256), attachments.BlobKey(b.SHA256)}, st.Missing)
	st, err = dst.Restore(ctx, bytes.NewReader(manifest.Bytes()))
	require.NoError(t, err)
	require.Empty(t, st.Missing)

	// Damaged bytes are refused and not kept.
	bad := bytes.Clone(full.Bytes())
	i := bytes.Index(bad, []byte("signed form"))
	require.Positive(t, i)
	bad[i] = 'S'
	victim := openDir(t, t.TempDir())
	_, err = victim.Restore(ctx, bytes.NewReader(bad))
	require.ErrorIs(t, err, attachments.ErrCorruptBackup)
	_, err = victim.Restore(ctx, bytes.NewReader([]byte("not a tar")))
	require.ErrorIs(t, err, attachments.ErrCorruptBackup)
}
