package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// Opaque-token formats. Both are recognisable at a glance (and by secret
// scanners) and never collide: "bld_" is not a prefix of "bldr_".
const (
	// RefreshTokenPrefix starts every refresh token: "bldr_" followed by
	// 43 base64url characters (32 random bytes).
	RefreshTokenPrefix = "bldr_"
	// APITokenPrefix starts every API token: "bld_", an 8-character
	// public lookup ID (lowercase base32: a–z, 2–7), "_", and 43 base64url
	// characters (32 random bytes).
	APITokenPrefix = "bld_"
	// LookupIDLen is the length of an API token's public lookup ID.
	LookupIDLen = 8
	// DigestLen is the length of a [Digest]: hex SHA-256.
	DigestLen = 2 * sha256.Size

	secretBytes    = 32
	secretLen      = 43 // base64url, no padding, of secretBytes
	refreshLen     = len(RefreshTokenPrefix) + secretLen
	apiTokenLen    = len(APITokenPrefix) + LookupIDLen + 1 + secretLen
	lookupIDBytes  = 5 // 40 bits → exactly 8 base32 characters
	lookupAlphabet = "abcdefghijklmnopqrstuvwxyz234567"
)

// NewRefreshToken returns a new refresh token and its digest. Hand plain to
// the client once; store only digest, and find the token again by
// Digest(presented) — the digest of a 256-bit random secret is safe to
// index.
func NewRefreshToken() (plain string, digest string, err error) {
	secret, err := randomSecret()
	if err != nil {
		return "", "", fmt.Errorf("auth: new refresh token: %w", err)
	}
	plain = RefreshTokenPrefix + secret
	return plain, Digest(plain), nil
}

// NewAPIToken returns a new API token, its public lookup ID and its digest.
// Hand plain to the integrator once. Store lookupID (unique index; on a
// collision, draw again) and digest. lookupID is safe to show in lists
// ("bld_" + lookupID + "_…"); it is the value [ParseAPIToken] returns for
// the same token.
func NewAPIToken() (plain, lookupID, digest string, err error) {
	var id [lookupIDBytes]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", "", "", fmt.Errorf("auth: new API token: reading random lookup ID: %w", err)
	}
	lookupID = base32.NewEncoding(lookupAlphabet).EncodeToString(id[:])
	secret, err := randomSecret()
	if err != nil {
		return "", "", "", fmt.Errorf("auth: new API token: %w", err)
	}
	plain = APITokenPrefix + lookupID + "_" + secret
	return plain, lookupID, Digest(plain), nil
}

// randomSecret returns 32 random bytes, base64url without padding.
func randomSecret() (string, error) {
	var b [secretBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// Digest returns the hex SHA-256 of the whole plain token: what the store
// keeps instead of the token. SHA-256, not bcrypt: the token is 256 random
// bits, so a slow hash adds no protection, while bcrypt's ~70 ms per check
// would cap the API at about 25 requests per second on two cores (see the
// package documentation).
func Digest(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// EqualDigest reports whether two digests are equal, in time that does not
// depend on where they differ (crypto/subtle). Digests of different length
// and empty digests are never equal, so a missing stored digest never
// matches.
func EqualDigest(a, b string) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// ParseAPIToken checks that plain has the API-token format and returns its
// public lookup ID. It proves nothing about authenticity: load the stored
// digest by lookup ID and compare it with EqualDigest(stored, Digest(plain)).
// Errors match [ErrTokenInvalid].
func ParseAPIToken(plain string) (lookupID string, err error) {
	rest, ok := strings.CutPrefix(plain, APITokenPrefix)
	if !ok || len(plain) != apiTokenLen || rest[LookupIDLen] != '_' {
		return "", fmt.Errorf("auth: not an API token (want %s<%d-char id>_<%d-char secret>): %w", APITokenPrefix, LookupIDLen, secretLen, ErrTokenInvalid)
	}
	lookupID = rest[:LookupIDLen]
	for i := 0; i < len(lookupID); i++ {
		if strings.IndexByte(lookupAlphabet, lookupID[i]) < 0 {
			return "", fmt.Errorf("auth: API token lookup ID must be lowercase base32 (a-z, 2-7): %w", ErrTokenInvalid)
		}
	}
	if !validSecret(rest[LookupIDLen+1:]) {
		return "", fmt.Errorf("auth: API token secret must be %d base64url characters: %w", secretLen, ErrTokenInvalid)
	}
	return lookupID, nil
}

// validSecret reports whether s is the canonical unpadded base64url
// encoding of 32 bytes.
func validSecret(s string) bool {
	if len(s) != secretLen {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == secretBytes
}
