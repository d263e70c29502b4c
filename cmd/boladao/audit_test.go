package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAuditSettings(t *testing.T) {
	tests := []struct {
		name      string
		vars      map[string]string
		args      []string
		retention time.Duration
		interval  time.Duration
		err       string
	}{
		{name: "defaults", retention: 365 * 24 * time.Hour, interval: 10 * time.Second},
		{name: "environment", vars: map[string]string{"BOLADAO_AUDIT_RETENTION": "720h", "BOLADAO_SECURITY_EVENT_INTERVAL": "1m"},
			retention: 720 * time.Hour, interval: time.Minute},
		{name: "flags win", vars: map[string]string{"BOLADAO_SECURITY_EVENT_INTERVAL": "1m"}, args: []string{"-security-event-interval", "0s"},
			retention: 365 * 24 * time.Hour, interval: 0},
		{name: "retention too short", vars: map[string]string{"BOLADAO_AUDIT_RETENTION": "5m"}, err: "at least 1h"},
		{name: "retention not a duration", vars: map[string]string{"BOLADAO_AUDIT_RETENTION": "1 year"}, err: "BOLADAO_AUDIT_RETENTION"},
		{name: "negative interval", vars: map[string]string{"BOLADAO_SECURITY_EVENT_INTERVAL": "-1s"}, err: "from 0 to 1h"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig("serve", tc.args, func(k string) string { return tc.vars[k] }, io.Discard)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.retention, c.Audit.Retention)
			require.Equal(t, tc.interval, c.Audit.SecurityInterval)
		})
	}
}
