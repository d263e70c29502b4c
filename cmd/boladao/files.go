package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // s3:// files URLs

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/storage/bunstore"
)

// filesConfig is where attached files live and what uploads may be.
type filesConfig struct {
	// URL is file://DIR (default ./data/files) or
	// s3://BUCKET?endpoint=...&region=... for S3-compatible storage.
	URL string
	// MaxUpload is the per-file limit in bytes.
	MaxUpload int64
	// Quota is the per-company limit of live files in bytes (negative: none).
	Quota int64
	// AllowedTypes lists the accepted sniffed types (empty: all but
	// executables).
	AllowedTypes []string
	// AllowExecutables accepts programs and scripts.
	AllowExecutables bool
	// temporary is the directory made for an in-memory database's files,
	// removed when the store closes.
	temporary string
}

func fileSettings() []setting {
	size := func(name string, f func(*config) *int64, allowNone bool) func(*config, string) error {
		return func(c *config, v string) error {
			n, err := parseSize(v)
			if err != nil || n == 0 || (n < 0 && !allowNone) {
				return fmt.Errorf("%s %q: use a size such as 25MiB, 5GiB or a number of bytes", name, v)
			}
			*f(c) = n
			return nil
		}
	}
	return []setting{
		{"files-url", "BOLADAO_FILES_URL", "",
			"where attached files live: file://DIR or s3://BUCKET?endpoint=URL&region=R (credentials from the AWS environment); " +
				"default: the directory files next to the SQLite database (file://./data/files with the default database), " +
				"file://./data/files with PostgreSQL, a temporary directory removed at exit with memory:",
			func(c *config, v string) error { c.Files.URL = v; return nil }},
		{"max-upload", "BOLADAO_MAX_UPLOAD", "25MiB", "largest file accepted (413 above)",
			size("max upload", func(c *config) *int64 { return &c.Files.MaxUpload }, false)},
		{"files-quota", "BOLADAO_FILES_QUOTA", "5GiB", "what one company's files may add up to (-1: no quota)",
			size("files quota", func(c *config) *int64 { return &c.Files.Quota }, true)},
		{"files-types", "BOLADAO_FILES_TYPES", "",
			"comma-separated accepted types, sniffed (image/*, application/pdf, ...); empty accepts all but executables",
			func(c *config, v string) error { c.Files.AllowedTypes = splitList(v); return nil }},
		{"files-allow-executables", "BOLADAO_FILES_ALLOW_EXECUTABLES", "false",
			"accept programs and scripts (refused by default)", func(c *config, v string) error {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return fmt.Errorf("%q: use true or false", v)
				}
				c.Files.AllowExecutables = b
				return nil
			}},
	}
}

// parseSize reads "25MiB", "5GiB", "512KiB", "1000" or "-1".
func parseSize(v string) (int64, error) {
	v = strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
		if s, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = strings.TrimSpace(s), u.m
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, err
	}
	return n * mult, nil
}

// filesDir is the directory of a file:// URL ("file://./data/files" is
// relative to the working directory), or "" for other schemes.
func filesDir(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("files URL %q: %w", raw, err)
	}
	if u.Scheme != "file" {
		return "", nil
	}
	p := u.Host + u.Path
	if u.Host == "." || u.Host == ".." {
		p = u.Host + u.Path
	} else if u.Host != "" {
		return "", fmt.Errorf("files URL %q: write file://./relative/dir or file:///absolute/dir", raw)
	}
	if p == "" {
		return "", fmt.Errorf("files URL %q names no directory", raw)
	}
	return filepath.FromSlash(p), nil
}

// resolve fills in the default files URL for the database URL (see the
// files-url setting).
func (f *filesConfig) resolve(databaseURL string) error {
	if f.URL != "" {
		return nil
	}
	switch {
	case isMemory(databaseURL):
		dir, err := os.MkdirTemp("", "boladao-files-")
		if err != nil {
			return fmt.Errorf("creating a temporary files directory: %w", err)
		}
		f.URL, f.temporary = "file://"+filepath.ToSlash(dir), dir
	case strings.HasPrefix(databaseURL, "sqlite:"):
		path, err := bunstore.SQLitePath(databaseURL)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Join(filepath.Dir(path), "files"))
		if !filepath.IsAbs(dir) && !strings.HasPrefix(dir, ".") {
			dir = "./" + dir
		}
		f.URL = "file://" + dir
	default:
		f.URL = "file://./data/files"
	}
	return nil
}

// blobs opens the files' store of the database at databaseURL and returns
// how to close it.
func (f filesConfig) blobs(ctx context.Context, databaseURL string) (*attachments.Blobs, func(), error) {
	if err := f.resolve(databaseURL); err != nil {
		return nil, nil, err
	}
	dir, err := filesDir(f.URL)
	if err != nil {
		return nil, nil, err
	}
	var blobs *attachments.Blobs
	if dir != "" {
		if blobs, err = attachments.OpenDir(dir); err != nil {
			return nil, nil, err
		}
	} else {
		bucket, err := blob.OpenBucket(ctx, f.URL)
		if err != nil {
			return nil, nil, fmt.Errorf("opening the files bucket %s: %w (use file://DIR or s3://BUCKET?endpoint=...&region=...)", redactURL(f.URL), err)
		}
		blobs = attachments.NewBlobs(bucket)
	}
	return blobs, func() {
		_ = blobs.Bucket().Close()
		if f.temporary != "" {
			_ = os.RemoveAll(f.temporary)
		}
	}, nil
}

// options opens the files' store and returns the desk options that give it
// to the desk, and how to close it.
func (f filesConfig) options(ctx context.Context, databaseURL string) ([]helpdesk.Option, func(), error) {
	blobs, closeFiles, err := f.blobs(ctx, databaseURL)
	if err != nil {
		return nil, nil, err
	}
	policy := attachments.Policy{MaxFileBytes: f.MaxUpload, QuotaBytes: f.Quota, AllowedTypes: f.AllowedTypes,
		AllowExecutables: f.AllowExecutables}
	return []helpdesk.Option{helpdesk.WithAttachments(blobs, policy)}, closeFiles, nil
}

// filesBackupSuffix names the files backup written next to a database
// backup: boladao-...db.files.tar.
const filesBackupSuffix = ".files.tar"

// backupFiles writes the files' store next to the database backup at
// dbBackup: every blob for a file:// store, a manifest (the list of blobs)
// for other stores, which keep their own copies. Its SHA-256 goes next to
// it, as for the database backup.
func backupFiles(ctx context.Context, cfg config, dbBackup string, stdout io.Writer) error {
	f := cfg.Files
	if err := f.resolve(cfg.DatabaseURL); err != nil {
		return err
	}
	dir, err := filesDir(f.URL)
	if err != nil {
		return err
	}
	blobs, closeFiles, err := f.blobs(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer closeFiles()
	path := dbBackup + filesBackupSuffix
	partial := path + ".partial"
	out, err := os.OpenFile(partial, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("files backup: %w", err)
	}
	h := sha256.New()
	st, err := blobs.Backup(ctx, io.MultiWriter(out, h), dir != "")
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(partial, path)
	}
	if err != nil {
		_ = os.Remove(partial)
		return fmt.Errorf("files backup: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := os.WriteFile(path+".sha256", []byte(sum+"  "+filepath.Base(path)+"\n"), 0o600); err != nil {
		return fmt.Errorf("files backup: writing the checksum file: %w", err)
	}
	what := "blobs"
	if dir == "" {
		what = "blobs listed (manifest only: the bucket keeps the bytes)"
	}
	_, err = fmt.Fprintf(stdout, "files backup written: %s\nfiles: %d %s, %d bytes\nsha256: %s\n", path, st.Blobs, what, st.Bytes, sum)
	return err
}

// restoreFiles puts back the files backup next to the database backup
// file, when there is one: its checksum is verified, then every blob is
// checked against its SHA-256 and written into the configured store.
func restoreFiles(ctx context.Context, cfg config, dbBackup string, stdout io.Writer) error {
	f := cfg.Files
	if err := f.resolve(cfg.DatabaseURL); err != nil {
		return err
	}
	path := dbBackup + filesBackupSuffix
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		_, err := fmt.Fprintf(stdout, "no files backup next to it (%s): files left as they are\n", path)
		return err
	}
	if want, err := os.ReadFile(path + ".sha256"); err == nil {
		got, err := fileSum(path)
		if err != nil {
			return err
		}
		if fields := strings.Fields(string(want)); len(fields) == 0 || fields[0] != got {
			return fmt.Errorf("files restore: %s does not match its checksum file: the backup is damaged", path)
		}
	}
	blobs, closeFiles, err := f.blobs(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer closeFiles()
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := blobs.Restore(ctx, in)
	if err != nil {
		return fmt.Errorf("files restore: %w", err)
	}
	if _, err := fmt.Fprintf(stdout, "restored %d files (%d bytes) into %s\n", st.Blobs, st.Bytes, redactURL(f.URL)); err != nil {
		return err
	}
	if len(st.Missing) > 0 {
		return fmt.Errorf("files restore: the store lacks %d files the backup lists, such as %s: restore them from the bucket's own copies", len(st.Missing), st.Missing[0])
	}
	return nil
}

func fileSum(path string) (string, error) {
	in, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer in.Close()
	h := sha256.New()
	if _, err := io.Copy(h, in); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
