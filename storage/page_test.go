package storage_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/storage"
)

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	for _, id := range []int64{0, 1, 42, 1 << 40} {
		got, err := storage.CursorAfter(id).AfterID()
		require.NoError(t, err)
		require.Equal(t, id, got)
	}
	got, err := storage.Cursor("").AfterID()
	require.NoError(t, err)
	require.Zero(t, got)
}

func TestCursorRejectsGarbage(t *testing.T) {
	t.Parallel()
	for _, c := range []storage.Cursor{"!!", "AAAA", "__________8"} {
		_, err := c.AfterID()
		require.True(t, errors.Is(err, storage.ErrBadCursor), "cursor %q: %v", c, err)
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want int }{{0, 50}, {-3, 50}, {1, 1}, {200, 200}, {201, 200}}
	for _, tc := range tests {
		require.Equal(t, tc.want, storage.PageRequest{Limit: tc.in}.Normalize().Limit, "limit %d", tc.in)
	}
}

func TestPageOf(t *testing.T) {
	t.Parallel()
	id := func(v int64) int64 { return v }
	p := storage.PageOf([]int64{1, 2, 3}, 2, id)
	require.Equal(t, []int64{1, 2}, p.Items)
	after, err := p.NextCursor.AfterID()
	require.NoError(t, err)
	require.EqualValues(t, 2, after)

	last := storage.PageOf([]int64{1, 2}, 2, id)
	require.Empty(t, last.NextCursor)
}

func FuzzCursor(f *testing.F) {
	f.Add("")
	f.Add(string(storage.CursorAfter(7)))
	f.Fuzz(func(t *testing.T, s string) {
		id, err := storage.Cursor(s).AfterID()
		if err != nil {
			return
		}
		require.GreaterOrEqual(t, id, int64(0))
	})
}

func TestKeyCursorRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key string
		id  int64
	}{{"", 1}, {"Notebook Dell", 42}, {"ação", 7}} {
		key, id, err := storage.CursorAfterKey(tc.key, tc.id).AfterKey()
		require.NoError(t, err)
		require.Equal(t, tc.key, key)
		require.Equal(t, tc.id, id)
	}
	key, id, err := storage.CursorAfter(9).AfterKey()
	require.NoError(t, err)
	require.Equal(t, "", key)
	require.EqualValues(t, 9, id)
	_, _, err = storage.Cursor("AAAA").AfterKey()
	require.ErrorIs(t, err, storage.ErrBadCursor)
}

func TestCollect(t *testing.T) {
	pages := map[storage.Cursor]storage.Page[int]{"": {Items: []int{1, 2}, NextCursor: "b"}, "b": {Items: []int{3, 4}, NextCursor: "c"}, "c": {Items: []int{5}}}
	fetch := func(c storage.Cursor) (storage.Page[int], error) { return pages[c], nil }
	for _, tc := range []struct {
		max  int
		want []int
	}{{0, []int{1, 2, 3, 4, 5}}, {3, []int{1, 2, 3}}, {4, []int{1, 2, 3, 4}}, {9, []int{1, 2, 3, 4, 5}}} {
		got, err := storage.Collect(tc.max, fetch)
		require.NoError(t, err)
		require.Equal(t, tc.want, got, "max %d", tc.max)
	}
	_, err := storage.Collect(0, func(storage.Cursor) (storage.Page[int], error) { return storage.Page[int]{}, storage.ErrBadCursor })
	require.ErrorIs(t, err, storage.ErrBadCursor)
}
