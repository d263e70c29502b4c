package inventory

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSerialPatternPreview(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		pattern SerialPattern
		prefix  string
		want    string
		wantErr bool
	}{
		{DefaultSerialPattern, "ACME", "ACME-2026-000001", false},
		{"{PREFIX}/{CAT}/{SEQ:4}", "ACM", "ACM/NOT/0001", false},
		{"X-{YY}-{SEQ}", "", "X-26-000001", false},
		{"NO-SEQUENCE", "ACME", "", true},
		{"{SEQ:2}-{SEQ:2}", "ACME", "", true},
	}
	for _, tt := range tests {
		got, err := tt.pattern.Preview(tt.prefix, "Notebook", at, 1)
		if tt.wantErr {
			require.Error(t, err, tt.pattern)
			continue
		}
		require.NoError(t, err, tt.pattern)
		require.Equal(t, tt.want, got, tt.pattern)
	}
}
