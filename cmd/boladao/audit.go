package main

import (
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
)

// auditConfig is the audit part of the configuration: how long the trail
// of changes is kept, and how bulk security events are gathered.
type auditConfig struct {
	Retention time.Duration
	// SecurityInterval is how long refused requests and other bulk
	// security events gather per source before they are written as one
	// row; zero writes each one.
	SecurityInterval time.Duration
}

// auditSettings are the configuration entries of the audit.
func auditSettings() []setting {
	return []setting{
		{"audit-retention", "BOLADAO_AUDIT_RETENTION", "8760h",
			"how long the audit trail of changes is kept (8760h: 365 days)", func(c *config, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d < time.Hour {
					return fmt.Errorf("audit retention %q: use a duration of at least 1h, such as 8760h (365 days)", v)
				}
				c.Audit.Retention = d
				return nil
			}},
		{"security-event-interval", "BOLADAO_SECURITY_EVENT_INTERVAL", audit.DefaultAggregateInterval.String(),
			"refused requests, invalid tokens and blocked addresses are counted per source over this interval and written as one row (0: a row each)",
			func(c *config, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d < 0 || d > time.Hour {
					return fmt.Errorf("security event interval %q: use a duration from 0 to 1h, such as 10s", v)
				}
				c.Audit.SecurityInterval = d
				return nil
			}},
	}
}

// auditOptions are the desk's options for the audit settings.
func auditOptions(a auditConfig) []helpdesk.Option {
	return []helpdesk.Option{helpdesk.WithAuditRetention(a.Retention), helpdesk.WithSecurityEventInterval(a.SecurityInterval)}
}
