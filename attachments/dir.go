package attachments

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"gocloud.dev/blob/fileblob"
)

// OpenDir opens a local directory (created if missing) as the files'
// store: blobs are plain files under dir ("sha256/ab/abcdef..."), written
// next to their final place and moved there with os.Rename, without
// sidecar metadata files. Close the returned Blobs' bucket when done.
func OpenDir(dir string) (*Blobs, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("attachments: files directory %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("attachments: creating the files directory: %w", err)
	}
	bucket, err := fileblob.OpenBucket(abs, &fileblob.Options{NoTempDir: true, Metadata: fileblob.MetadataDontWrite,
		DirFileMode: 0o750})
	if err != nil {
		return nil, fmt.Errorf("attachments: opening the files directory %s: %w", abs, err)
	}
	return NewBlobs(bucket, WithRename(func(_ context.Context, from, to string) error {
		dst := filepath.Join(abs, filepath.FromSlash(to))
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return err
		}
		return os.Rename(filepath.Join(abs, filepath.FromSlash(from)), dst)
	})), nil
}
