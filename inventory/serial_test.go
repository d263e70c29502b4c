package inventory

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSerialPattern(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		pattern  SerialPattern
		category string
		n        int64
		want     string
		key      string
	}{
		{DefaultSerialPattern, "Notebook", 42, "ACME-2026-000042", "ACME-2026-#"},
		{"{PREFIX}/{CAT}/{YY}-{SEQ:4}", "Impressora", 7, "ACME/IMP/26-0007", "ACME/IMP/26-#"},
		{"{SEQ}", "", 1, "000001", "#"},
		{"INV{SEQ:3}X", "x", 12345, "INV12345X", "INV#X"},
		{"{CAT}-{SEQ:8}", "Ação & Cia", 1, "ACA-00000001", "ACA-#"},
	}
	for _, tc := range tests {
		require.NoError(t, tc.pattern.Validate(), tc.pattern)
		sc, err := tc.pattern.scope("ACME", tc.category, at)
		require.NoError(t, err)
		require.Equal(t, tc.want, sc.format(tc.n), tc.pattern)
		require.Equal(t, tc.key, sc.key(), tc.pattern)
	}
}

func TestSerialPatternRejects(t *testing.T) {
	t.Parallel()
	for _, p := range []SerialPattern{
		"", "{PREFIX}-{YYYY}", "{SEQ}-{SEQ}", "{SEQ:0}", "{SEQ:13}", "{SEQ:x}", "{SEQ", "{PREFIX-{SEQ}",
		"{FOO}-{SEQ}", "{SEQ}-{BAR}", SerialPattern(string(make([]byte, 70))) + "{SEQ}",
	} {
		require.Error(t, p.Validate(), "pattern %q", p)
	}
}

func TestCodes(t *testing.T) {
	t.Parallel()
	require.Equal(t, "NOT", CategoryCode("Notebook"))
	require.Equal(t, "MON", CategoryCode("  monitor 24\""))
	require.Equal(t, "GEN", CategoryCode("--"))
	require.Equal(t, "ACME", DefaultPrefix("Acme Informática", 1))
	require.Equal(t, "SAO", DefaultPrefix("São Paulo TI", 1), "first word only")
	require.Equal(t, "CO7", DefaultPrefix("!!!", 7))
}

func TestLifecycleTable(t *testing.T) {
	t.Parallel()
	m, err := newMachine()
	require.NoError(t, err)
	require.True(t, m.Final(StatusRetired))
	for _, s := range Statuses() {
		if s != StatusRetired {
			require.False(t, m.Final(s), s)
		}
	}
}
