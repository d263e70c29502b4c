package directory_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
)

func TestNormalizeCNPJ(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"11222333000181", "11222333000181", true},
		{"11.222.333/0001-81", "11222333000181", true},
		{"11444777000161", "11444777000161", true},
		{"12ABC34501DE35", "12ABC34501DE35", true},
		{"12.abc.345/01de-35", "12ABC34501DE35", true},
		{"11222333000182", "", false},
		{"12ABC34501DE36", "", false},
		{"12ABC34501DEX5", "", false},
		{"1122233300018", "", false},
		{"112223330001811", "", false},
		{"00000000000000", "", false},
		{"11_222_333_0001_81", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		got, err := directory.NormalizeCNPJ(tc.in)
		if !tc.ok {
			require.Error(t, err, "input %q", tc.in)
			continue
		}
		require.NoError(t, err, "input %q", tc.in)
		require.Equal(t, tc.want, got)
		require.Equal(t, got, mustNormalize(t, directory.FormatCNPJ(got)), "format round-trips")
	}
}

func mustNormalize(t *testing.T, s string) string {
	t.Helper()
	c, err := directory.NormalizeCNPJ(s)
	require.NoError(t, err)
	return c
}

func FuzzNormalizeCNPJ(f *testing.F) {
	for _, s := range []string{"11222333000181", "12.ABC.345/01DE-35", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := directory.NormalizeCNPJ(s)
		if err != nil {
			return
		}
		require.Len(t, c, 14)
		again, err := directory.NormalizeCNPJ(directory.FormatCNPJ(c))
		require.NoError(t, err)
		require.Equal(t, c, again)
	})
}
