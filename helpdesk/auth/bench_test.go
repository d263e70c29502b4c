package auth_test

import (
	"testing"

	"github.com/sistemaboladao/boladao/helpdesk/auth"
)

// BenchmarkIssueAccess measures minting one access token.
func BenchmarkIssueAccess(b *testing.B) {
	iss := newIssuer(b, testConfig())
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := iss.IssueAccess(agent, "session-1", ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAccess measures the per-request cost of a JWT: decoding,
// HMAC-SHA256 verification and claim checks.
func BenchmarkParseAccess(b *testing.B) {
	iss := newIssuer(b, testConfig())
	tok, _, err := iss.IssueAccess(agent, "session-1", "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.ParseAccess(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAPITokenDigest measures the per-request cost of an API token
// apart from the store lookup: format check, SHA-256 digest and
// constant-time comparison with the stored digest.
func BenchmarkAPITokenDigest(b *testing.B) {
	plain, _, stored, err := auth.NewAPIToken()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := auth.ParseAPIToken(plain); err != nil {
			b.Fatal(err)
		}
		if !auth.EqualDigest(stored, auth.Digest(plain)) {
			b.Fatal("digest mismatch")
		}
	}
}
