package attachments

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/gabriel-vasile/mimetype"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

// Key prefixes in the bucket.
const (
	// contentPrefix holds the content-addressed blobs.
	contentPrefix = "sha256/"
	// stagingPrefix holds the blobs being written.
	stagingPrefix = "tmp/"
)

// BlobKey is the bucket key of the contents with this SHA-256 (hex).
func BlobKey(sha256Hex string) string {
	return contentPrefix + sha256Hex[:2] + "/" + sha256Hex
}

// Blobs is the bucket that holds the files' bytes. It is safe for
// concurrent use.
type Blobs struct {
	bucket *blob.Bucket
	rename func(ctx context.Context, from, to string) error
	// bufs recycles the pairs of copy buffers of uploads.
	bufs sync.Pool
}

// BlobsOption configures NewBlobs.
type BlobsOption func(*Blobs)

// WithRename gives Blobs a cheap way to move a blob from one key to
// another in its bucket (os.Rename for a local directory). Without it a
// staged blob is copied to its content-addressed key and then deleted.
func WithRename(rename func(ctx context.Context, from, to string) error) BlobsOption {
	return func(b *Blobs) { b.rename = rename }
}

// NewBlobs returns the files' store over bucket, which the caller opens
// (blob.OpenBucket, fileblob.OpenBucket, s3blob.OpenBucket) and closes.
func NewBlobs(bucket *blob.Bucket, opts ...BlobsOption) *Blobs {
	b := &Blobs{bucket: bucket}
	b.bufs.New = func() any { return &[2][]byte{make([]byte, copyChunk), make([]byte, copyChunk)} }
	for _, o := range opts {
		o(b)
	}
	return b
}

// Bucket returns the underlying bucket.
func (b *Blobs) Bucket() *blob.Bucket { return b.bucket }

// put streams r into the bucket under its content-addressed key and
// describes it. It reads the first bytes to sniff the type and refuses
// what p does not accept before writing anything; past p's size limit it
// stops, deletes what it wrote and returns a *LimitError.
func (b *Blobs) put(ctx context.Context, name string, r io.Reader, p Policy) (Staged, error) {
	head := make([]byte, sniffBytes)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return Staged{}, fmt.Errorf("reading %q: %w", name, err)
	}
	head = head[:n]
	if n == 0 {
		return Staged{}, validation.Field("file", "%q is empty: attach a file with contents", name)
	}
	contentType := mimetype.Detect(head).String()
	if !p.AllowExecutables && Executable(name, head) {
		return Staged{}, &TypeError{Name: name, ContentType: contentType, Executable: true}
	}
	if !p.allowed(contentType) {
		return Staged{}, &TypeError{Name: name, ContentType: contentType}
	}
	limit := p.maxFile()
	if int64(n) > limit {
		return Staged{}, &LimitError{Err: ErrTooLarge, Limit: limit}
	}

	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	tmp := stagingPrefix + hex.EncodeToString(rnd[:])
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.bucket.NewWriter(wctx, tmp, &blob.WriterOptions{ContentType: "application/octet-stream",
		DisableContentTypeDetection: true})
	if err != nil {
		return Staged{}, fmt.Errorf("storing %q: %w", name, err)
	}
	bufs := b.bufs.Get().(*[2][]byte)
	defer b.bufs.Put(bufs)
	size, sum, err := copyHashing(w, io.MultiReader(bytes.NewReader(head), r), limit, bufs)
	if err != nil {
		cancel() // aborts the write: nothing is committed to the bucket
		_ = w.Close()
		b.discard(ctx, tmp)
		var le *LimitError
		if errors.As(err, &le) {
			return Staged{}, err
		}
		return Staged{}, fmt.Errorf("storing %q: %w", name, err)
	}
	if err := w.Close(); err != nil {
		b.discard(ctx, tmp)
		return Staged{}, fmt.Errorf("storing %q: %w", name, err)
	}
	// Always move the new bytes over the key, even when it exists: the
	// move refreshes its modification time, so that the collector's grace
	// period protects an orphan blob that a new upload now needs.
	if err := b.promote(ctx, tmp, BlobKey(sum)); err != nil {
		b.discard(ctx, tmp)
		return Staged{}, fmt.Errorf("storing %q: %w", name, err)
	}
	return Staged{Name: name, Size: size, SHA256: sum, ContentType: contentType}, nil
}

func (b *Blobs) promote(ctx context.Context, from, to string) error {
	if b.rename != nil {
		return b.rename(ctx, from, to)
	}
	if err := b.bucket.Copy(ctx, to, from, nil); err != nil {
		return err
	}
	return b.bucket.Delete(ctx, from)
}

// discard deletes a staged blob, even when ctx is cancelled; a blob it
// misses is collected later.
func (b *Blobs) discard(ctx context.Context, key string) {
	_ = b.bucket.Delete(context.WithoutCancel(ctx), key)
}

// open returns a reader of the contents with this SHA-256; it supports
// Seek, for range requests.
func (b *Blobs) open(ctx context.Context, sha256Hex string) (*blob.Reader, error) {
	if len(sha256Hex) != 64 || strings.Trim(sha256Hex, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("attachments: bad SHA-256 %q", sha256Hex)
	}
	r, err := b.bucket.NewReader(ctx, BlobKey(sha256Hex), nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, fmt.Errorf("attachments: the blob %s is missing from the bucket (restore it from a backup): %w", sha256Hex, err)
		}
		return nil, err
	}
	return r, nil
}

func gcerrorsNotFound(err error) bool { return gcerrors.Code(err) == gcerrors.NotFound }

// copyChunk is the size of each of an upload's two copy buffers.
const copyChunk = 512 << 10

// copyHashing copies src to w and returns the size and the SHA-256 (hex)
// of what it copied. It hashes a chunk while writing it, and reads the
// next chunk while the last one is still being hashed, on two buffers, so
// that hashing costs little more than the copy on a machine with two
// cores. Past limit bytes it stops with a *LimitError.
func copyHashing(w io.Writer, src io.Reader, limit int64, bufs *[2][]byte) (int64, string, error) {
	h := sha256.New()
	hashed := make(chan struct{}, 1)
	hashed <- struct{}{}
	var size int64
	for cur := 0; ; cur = 1 - cur {
		n, rerr := io.ReadFull(src, bufs[cur])
		size += int64(n)
		if size > limit {
			<-hashed
			return size, "", &LimitError{Err: ErrTooLarge, Limit: limit}
		}
		if n > 0 {
			<-hashed // the other buffer is hashed: the hasher is free
			chunk := bufs[cur][:n]
			go func() { h.Write(chunk); hashed <- struct{}{} }()
			if _, err := w.Write(chunk); err != nil {
				<-hashed
				return size, "", err
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			<-hashed
			return size, hex.EncodeToString(h.Sum(nil)), nil
		}
		if rerr != nil {
			<-hashed
			return size, "", rerr
		}
	}
}
