package httpapi

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// TestRoutePermissionsMatchDocument holds the permission table the
// handlers check first and the x-permissions the OpenAPI document shows
// equal, and requires every authenticated operation to be in the table
// (GET /auth/me needs only authentication).
func TestRoutePermissionsMatchDocument(t *testing.T) {
	t.Parallel()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(openAPIJSON, &doc))
	table := routePermissions()
	exempt := map[string]bool{"GET /auth/me": true}
	// A person's own two-factor sign-in and sessions need only
	// authentication; the handlers refuse API tokens.
	for _, k := range []string{"GET /auth/2fa", "POST /auth/2fa/enrolment", "POST /auth/2fa/enrolment/confirm",
		"POST /auth/2fa/recovery-codes", "POST /auth/2fa/disable", "GET /auth/sessions", "DELETE /auth/sessions/{id}",
		"POST /auth/sessions/revoke-others", "GET /api/security/two-factor-policy"} {
		exempt[k] = true
	}
	seen := map[string]bool{}
	var known []tenant.Permission
	for _, ps := range tenant.Permissions() {
		known = append(known, ps...)
	}
	for path, item := range doc.Paths {
		for method, raw := range item {
			if method == "parameters" {
				continue
			}
			var op struct {
				Security    []map[string][]string `json:"security"`
				Permissions []tenant.Permission   `json:"x-permissions"`
			}
			require.NoError(t, json.Unmarshal(raw, &op))
			key := strings.ToUpper(method) + " " + path
			want, inTable := table[key]
			if !inTable {
				require.Empty(t, op.Permissions, "%s lists x-permissions but the handlers check none", key)
				if len(op.Security) > 0 {
					require.True(t, exempt[key], "%s is authenticated but has no entry in routePermissions", key)
				}
				continue
			}
			seen[key] = true
			require.Equal(t, want, op.Permissions, "%s: x-permissions differ from routePermissions", key)
			for _, p := range want {
				require.True(t, p == permPlatformOps || slices.Contains(known, p), "%s: unknown permission %q", key, p)
			}
		}
	}
	for key := range table {
		require.True(t, seen[key], "routePermissions has %s, which the OpenAPI document does not list", key)
	}
}
