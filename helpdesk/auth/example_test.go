package auth_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/auth"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// A login mints an access token; a later request presents it in the
// Authorization header, and the HTTP layer turns it back into the actor.
func Example() {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	issuer, err := auth.NewIssuer(auth.Config{
		Secret: []byte("use 32+ random bytes in production"),
		Now:    func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}

	actor := tenant.Actor{CompanyID: 42, UserID: 7, ContactID: 99, Role: tenant.RoleAgent}
	token, expiresAt, err := issuer.IssueAccess(actor, "session-1", "")
	if err != nil {
		panic(err)
	}
	fmt.Println("expires at:", expiresAt.Format(time.RFC3339))

	raw, err := auth.ParseBearer("Bearer " + token)
	if err != nil {
		panic(err)
	}
	claims, err := issuer.ParseAccess(raw)
	if err != nil {
		panic(err)
	}
	fmt.Printf("actor: %+v, session %s\n", claims.Actor(), claims.SessionID)

	// Twenty minutes later the token has expired: the client must refresh.
	now = now.Add(20 * time.Minute)
	_, err = issuer.ParseAccess(raw)
	fmt.Println("expired:", errors.Is(err, auth.ErrTokenExpired))

	// Output:
	// expires at: 2026-03-10T12:15:00Z
	// actor: {CompanyID:42 UserID:7 ContactID:99 Role:agent Scopes:[]}, session session-1
	// expired: true
}

// An integration's API token: the store keeps the lookup ID and the digest,
// never the token.
func ExampleNewAPIToken() {
	plain, lookupID, digest, err := auth.NewAPIToken()
	if err != nil {
		panic(err)
	}
	stored := map[string]string{lookupID: digest} // stands in for the token table

	// On a request:
	id, err := auth.ParseAPIToken(plain)
	if err != nil {
		panic(err)
	}
	fmt.Println("prefix:", strings.HasPrefix(plain, auth.APITokenPrefix+id+"_"))
	fmt.Println("length:", len(plain))
	fmt.Println("valid:", auth.EqualDigest(stored[id], auth.Digest(plain)))
	fmt.Println("forged:", auth.EqualDigest(stored[id], auth.Digest(plain+"x")))

	// Output:
	// prefix: true
	// length: 56
	// valid: true
	// forged: false
}

func ExampleParseBearer() {
	for _, h := range []string{"Bearer abc.def.ghi", "bearer bld_x", "Basic dXNlcjpwYXNz", "Bearer  two  spaces"} {
		tok, err := auth.ParseBearer(h)
		fmt.Printf("%q → %q, malformed: %t\n", h, tok, errors.Is(err, auth.ErrMalformedHeader))
	}
	// Output:
	// "Bearer abc.def.ghi" → "abc.def.ghi", malformed: false
	// "bearer bld_x" → "bld_x", malformed: false
	// "Basic dXNlcjpwYXNz" → "", malformed: true
	// "Bearer  two  spaces" → "", malformed: true
}
