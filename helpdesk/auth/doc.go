// Package auth holds Boladão's storage-free credential primitives: the
// pieces the HTTP layer needs to turn an Authorization header into a
// tenant.Actor, and the login and token services need to mint credentials.
//
// It knows three kinds of credentials:
//
//   - Access tokens: short-lived HS256 JWTs for people, minted by
//     [Issuer.IssueAccess] after a login or a refresh and checked on every
//     request by [Issuer.ParseAccess]. They carry the actor (user, company,
//     contact, role) and the session ID ("sid") of the refresh-token family
//     they came from, so revoking the session revokes the family. An access
//     token cannot be revoked before it expires; keep [Config.AccessTTL]
//     short.
//   - Refresh tokens: opaque random strings ("bldr_…") from
//     [NewRefreshToken]. The store keeps only their [Digest].
//   - API tokens: opaque random strings for integrations ("bld_<id>_<secret>")
//     from [NewAPIToken]. The id is public and indexes the stored row;
//     [ParseAPIToken] extracts it, and the caller compares the stored digest
//     with [EqualDigest].
//
// # Why SHA-256 and not bcrypt for tokens
//
// Refresh and API tokens are 32 random bytes (256 bits): nobody can guess
// them or brute-force their digest, so a slow password hash buys nothing.
// It would cost a lot: one bcrypt comparison at cost 10 takes ~70 ms of CPU
// on our two-core reference machine, which caps an API that checks a
// bcrypted secret on every request at roughly 25 requests per second. A
// SHA-256 digest of a token takes well under a microsecond, and comparing
// digests with crypto/subtle does not leak how many bytes matched. Bcrypt
// stays where it belongs — passwords, checked once per login — and lives in
// the directory package, not here.
//
// # Typical use in a handler
//
//	raw, err := auth.ParseBearer(r.Header.Get("Authorization"))
//	if err != nil { /* 401 */ }
//	if strings.HasPrefix(raw, auth.APITokenPrefix) {
//		id, err := auth.ParseAPIToken(raw)           // then load the token row by id
//		ok := auth.EqualDigest(row.Digest, auth.Digest(raw))
//	} else {
//		claims, err := issuer.ParseAccess(raw)      // errors.Is(err, auth.ErrTokenExpired) → refresh
//		actor := claims.Actor()
//	}
//
// The package keeps no package-level mutable state: everything configurable
// lives in a [Config] handed to [NewIssuer], including the clock.
package auth
