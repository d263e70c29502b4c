package memory_test

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/storage/memory"
)

func TestSettingGetOrCreate(t *testing.T) {
	t.Parallel()
	s := memory.New()
	v, err := s.Setting(t.Context(), "jwt_secret", func() (string, error) { return "first", nil })
	require.NoError(t, err)
	require.Equal(t, "first", v)
	v, err = s.Setting(t.Context(), "jwt_secret", func() (string, error) { return "second", nil })
	require.NoError(t, err)
	require.Equal(t, "first", v, "an existing setting is kept")

	boom := errors.New("boom")
	_, err = s.Setting(t.Context(), "other", func() (string, error) { return "", boom })
	require.ErrorIs(t, err, boom)
	_, err = s.Setting(t.Context(), "", func() (string, error) { return "x", nil })
	require.Error(t, err)

	var n atomic.Int64
	var wg sync.WaitGroup
	got := make([]string, 16)
	for i := range got {
		wg.Go(func() {
			got[i], _ = s.Setting(t.Context(), "race", func() (string, error) { return strconv.FormatInt(n.Add(1), 10), nil })
		})
	}
	wg.Wait()
	for _, v := range got {
		require.Equal(t, got[0], v, "concurrent callers agree on the value stored first")
	}
}
