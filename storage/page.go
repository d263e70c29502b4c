package storage

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// Page sizes applied by Normalize.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// ErrBadCursor is returned (wrapped) when a cursor cannot be decoded. It is a
// client error: the cursor was not produced by this server or was altered.
var ErrBadCursor = fmt.Errorf("invalid cursor")

// PageRequest asks for one page of a keyset-paginated list. Cursor is the
// NextCursor of the previous page, empty for the first page.
type PageRequest struct {
	Limit  int
	Cursor Cursor
}

// Normalize returns the request with Limit clamped to [1, MaxLimit], using
// DefaultLimit when it is zero or negative.
func (p PageRequest) Normalize() PageRequest {
	switch {
	case p.Limit <= 0:
		p.Limit = DefaultLimit
	case p.Limit > MaxLimit:
		p.Limit = MaxLimit
	}
	return p
}

// Page is one page of results. NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T
	NextCursor Cursor
}

// Cursor is an opaque keyset position. Lists are ordered by ascending ID, so
// the cursor carries the last ID returned; a client must treat it as opaque.
type Cursor string

// CursorAfter returns the cursor that resumes a list after the row with the
// given ID.
func CursorAfter(id int64) Cursor {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(id))
	return Cursor(base64.RawURLEncoding.EncodeToString(b[:]))
}

// AfterID decodes the cursor into the ID after which the next page starts;
// the empty cursor decodes to 0 (the start of the list).
func (c Cursor) AfterID() (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(string(c))
	if err != nil || len(b) != 8 {
		return 0, fmt.Errorf("%w: %q", ErrBadCursor, string(c))
	}
	id := int64(binary.BigEndian.Uint64(b))
	if id < 0 {
		return 0, fmt.Errorf("%w: %q", ErrBadCursor, string(c))
	}
	return id, nil
}

// CursorAfterKey returns the cursor that resumes a list ordered by (key,
// ID) after the row with that key and ID, for lists sorted by a text column.
func CursorAfterKey(key string, id int64) Cursor {
	b := make([]byte, 8+len(key))
	binary.BigEndian.PutUint64(b, uint64(id))
	copy(b[8:], key)
	return Cursor(base64.RawURLEncoding.EncodeToString(b))
}

// AfterKey decodes a cursor made by CursorAfterKey (or CursorAfter, whose
// key is empty); the empty cursor decodes to ("", 0).
func (c Cursor) AfterKey() (string, int64, error) {
	if c == "" {
		return "", 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(string(c))
	if err != nil || len(b) < 8 || len(b) > 8+1024 {
		return "", 0, fmt.Errorf("%w: %q", ErrBadCursor, string(c))
	}
	id := int64(binary.BigEndian.Uint64(b))
	if id < 0 {
		return "", 0, fmt.Errorf("%w: %q", ErrBadCursor, string(c))
	}
	return string(b[8:]), id, nil
}

// PageOf builds a page from up to limit+1 rows fetched in ascending ID order:
// when the extra row is present it is dropped and NextCursor points after the
// last row kept.
func PageOf[T any](rows []T, limit int, id func(T) int64) Page[T] {
	if len(rows) <= limit {
		return Page[T]{Items: rows}
	}
	rows = rows[:limit]
	return Page[T]{Items: rows, NextCursor: CursorAfter(id(rows[len(rows)-1]))}
}

// Collect reads every page fetch returns, from the first, and returns
// their items in order; with max > 0 it stops once it holds max items (the
// last page read may take it past max: the extra items are dropped).
func Collect[T any](max int, fetch func(Cursor) (Page[T], error)) ([]T, error) {
	var out []T
	var cursor Cursor
	for {
		page, err := fetch(cursor)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if max > 0 && len(out) >= max {
			return out[:max], nil
		}
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}
