package attachments

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"gocloud.dev/blob"
)

// ManifestName is the tar entry of a files backup that lists the blobs.
const ManifestName = "manifest.jsonl"

// ErrCorruptBackup means a files backup does not hold what it says: a
// blob whose bytes do not match its SHA-256, or an entry that is not a
// blob.
var ErrCorruptBackup = errors.New("attachments: the files backup is damaged")

// BackupStats counts the blobs of a files backup or restore.
type BackupStats struct {
	Blobs int
	Bytes int64
	// Missing lists, on a restore of a manifest-only backup, the blobs the
	// bucket lacks.
	Missing []string
}

// manifestLine is one blob of the manifest.
type manifestLine struct {
	Key  string `json:"key"`
	Size int64  `json:"size"`
}

// Backup writes the bucket's content blobs to w as a tar archive: first
// ManifestName (one JSON line per blob: key and size), then, when contents
// is true, each blob under its key ("sha256/ab/abcdef..."). Take it after
// the database backup: rows are never removed, only marked deleted, so
// every blob a row of that backup refers to is still in the bucket.
// Staging blobs are left out. Without contents (a bucket that keeps its
// own copies, such as S3 with versioning) the manifest lets a restore
// check that the bucket still holds every blob.
func (b *Blobs) Backup(ctx context.Context, w io.Writer, contents bool) (BackupStats, error) {
	var keys []manifestLine
	it := b.bucket.List(&blob.ListOptions{Prefix: contentPrefix})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return BackupStats{}, fmt.Errorf("attachments: backup: listing blobs: %w", err)
		}
		if !obj.IsDir {
			keys = append(keys, manifestLine{Key: obj.Key, Size: obj.Size})
		}
	}
	tw := tar.NewWriter(w)
	var manifest strings.Builder
	var st BackupStats
	for _, k := range keys {
		line, _ := json.Marshal(k)
		manifest.Write(line)
		manifest.WriteByte('\n')
		st.Blobs++
		st.Bytes += k.Size
	}
	now := time.Now().UTC()
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o600, Size: int64(manifest.Len()), ModTime: now}); err != nil {
		return st, err
	}
	if _, err := io.WriteString(tw, manifest.String()); err != nil {
		return st, err
	}
	if contents {
		for _, k := range keys {
			if err := b.backupOne(ctx, tw, k, now); err != nil {
				return st, err
			}
		}
	}
	return st, tw.Close()
}

func (b *Blobs) backupOne(ctx context.Context, tw *tar.Writer, k manifestLine, now time.Time) error {
	r, err := b.bucket.NewReader(ctx, k.Key, nil)
	if err != nil {
		return fmt.Errorf("attachments: backup: reading %s: %w", k.Key, err)
	}
	defer r.Close()
	if err := tw.WriteHeader(&tar.Header{Name: k.Key, Mode: 0o600, Size: r.Size(), ModTime: now}); err != nil {
		return err
	}
	if _, err := io.Copy(tw, r); err != nil {
		return fmt.Errorf("attachments: backup: copying %s: %w", k.Key, err)
	}
	return nil
}

// Restore puts the blobs of a files backup (see Backup) back into the
// bucket. Each blob's bytes are checked against the SHA-256 its key names
// before it is kept; a mismatch stops the restore with ErrCorruptBackup
// (blobs already restored stay: they are correct). A manifest-only backup
// restores nothing and reports the blobs the bucket lacks.
func (b *Blobs) Restore(ctx context.Context, r io.Reader) (BackupStats, error) {
	tr := tar.NewReader(bufio.NewReaderSize(r, 1<<20))
	var st BackupStats
	var listed []manifestLine
	restored := map[string]bool{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return st, fmt.Errorf("%w: %v", ErrCorruptBackup, err)
		}
		if h.Name == ManifestName {
			sc := bufio.NewScanner(tr)
			for sc.Scan() {
				var m manifestLine
				if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
					return st, fmt.Errorf("%w: manifest: %v", ErrCorruptBackup, err)
				}
				listed = append(listed, m)
			}
			if err := sc.Err(); err != nil {
				return st, fmt.Errorf("%w: manifest: %v", ErrCorruptBackup, err)
			}
			continue
		}
		sum := strings.TrimPrefix(h.Name, contentPrefix)
		if i := strings.IndexByte(sum, '/'); i == 2 {
			sum = sum[3:]
		}
		if h.Typeflag != tar.TypeReg || len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" || BlobKey(sum) != h.Name {
			return st, fmt.Errorf("%w: unexpected entry %q", ErrCorruptBackup, h.Name)
		}
		if err := b.restoreOne(ctx, tr, sum); err != nil {
			return st, err
		}
		restored[h.Name] = true
		st.Blobs++
		st.Bytes += h.Size
	}
	for _, m := range listed {
		if restored[m.Key] {
			continue
		}
		ok, err := b.bucket.Exists(ctx, m.Key)
		if err != nil {
			return st, err
		}
		if !ok {
			st.Missing = append(st.Missing, m.Key)
		}
	}
	return st, nil
}

func (b *Blobs) restoreOne(ctx context.Context, r io.Reader, sum string) error {
	tmp := stagingPrefix + "restore-" + sum
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.bucket.NewWriter(wctx, tmp, &blob.WriterOptions{ContentType: "application/octet-stream", DisableContentTypeDetection: true})
	if err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(w, h), r); err != nil {
		cancel()
		_ = w.Close()
		return fmt.Errorf("attachments: restoring %s: %w", sum, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		cancel()
		_ = w.Close()
		return fmt.Errorf("%w: the bytes of %s hash to %s", ErrCorruptBackup, sum, got)
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := b.promote(ctx, tmp, BlobKey(sum)); err != nil {
		b.discard(ctx, tmp)
		return err
	}
	return nil
}
