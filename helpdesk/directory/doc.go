// Package directory holds the people and organisations of a Boladão
// installation: companies (Empresa, the tenants), their contacts (Contato)
// and the user accounts that log in (UserAuth), with password hashing and
// authentication.
//
// The Service is tenant-scoped: every method takes the acting tenant.Actor,
// checks its permission, and reads or writes only that actor's company. A
// platform admin manages companies and acts in one company at a time.
// Another company's ID behaves exactly like a missing one
// (storage.ErrNotFound).
//
// Storage is reached through Store, the narrow interface this package
// declares; storage/memory and storage/bunstore implement it. Every write
// runs in one unit of work (Store.InTx) together with the domain events it
// emits (company.created, user.created, ...), which land in the outbox
// atomically with the rows.
//
// Two-factor sign-in (TOTP, RFC 6238) lives here too: BeginTwoFactor and
// ConfirmTwoFactor enrol a user (the secret is handed out only while the
// enrolment is pending; confirmation returns RecoveryCodeCount recovery
// codes, kept as digests), StartChallenge and CompleteChallenge are the
// second step of a sign-in (ChallengeTTL, MaxChallengeAttempts per
// challenge, MaxCodeAttempts in a row per user then TwoFactorLockout, a
// code of a step already accepted refused), and TwoFactorPolicy says
// who must use it. Login sessions are described (SessionInfo: device,
// address, when opened and last seen) for ListSessions and the revoke
// methods; SessionSeen notes "last seen" at most once per
// SessionTouchInterval, and FlushUses writes the noted uses of sessions
// and API tokens in batches, off the request path.
//
// Limits: company names up to 120 characters, legal names up to 200,
// contact names up to 120, emails up to 254; passwords from 8 to 72 bytes
// (bcrypt's limit).
package directory
