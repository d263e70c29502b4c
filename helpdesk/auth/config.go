package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Defaults applied by [NewIssuer] (and assumed by [Config.Validate]) to
// zero-valued Config fields.
const (
	// DefaultIssuer is the default "iss" claim.
	DefaultIssuer = "boladao"
	// DefaultAudience is the default "aud" claim.
	DefaultAudience = "boladao-api"
	// DefaultAccessTTL is the default access-token lifetime.
	DefaultAccessTTL = 15 * time.Minute
	// DefaultLeeway is the default clock-skew allowance.
	DefaultLeeway = 30 * time.Second
)

// Limits enforced by [Config.Validate].
const (
	// MinSecretBytes is the shortest HS256 secret accepted: 32 bytes, the
	// size of the SHA-256 output (RFC 7518 §3.2).
	MinSecretBytes = 32
	// MaxAccessTTL is the longest access-token lifetime accepted. Access
	// tokens cannot be revoked before they expire; long sessions belong to
	// refresh tokens.
	MaxAccessTTL = 24 * time.Hour
	// MaxLeeway is the largest clock-skew allowance accepted.
	MaxLeeway = 5 * time.Minute
	// maxKeyIDLen bounds the kid header.
	maxKeyIDLen = 64
)

// Config configures an [Issuer]. Zero-valued fields take the defaults
// documented on each field.
type Config struct {
	// Secret is the HS256 signing key, at least MinSecretBytes long. Use
	// random bytes (e.g. `openssl rand -base64 48`, decoded), not a
	// password. NewIssuer copies it.
	Secret []byte
	// KeyID is written into every token's "kid" header and required on
	// every token parsed, so a rotated secret gives a clean "wrong key"
	// refusal. Default: the first 8 hex characters of SHA-256(Secret).
	KeyID string
	// Issuer is the "iss" claim written and required. Default "boladao".
	Issuer string
	// Audience is the "aud" claim written and required. Default
	// "boladao-api".
	Audience string
	// AccessTTL is how long an access token lives. Default 15 minutes; at
	// most MaxAccessTTL.
	AccessTTL time.Duration
	// Leeway is the clock skew tolerated on exp, nbf and iat. Default 30
	// seconds (zero means the default); at most MaxLeeway and less than
	// AccessTTL.
	Leeway time.Duration
	// Now is the clock. Default time.Now; tests inject a fixed clock.
	Now func() time.Time
}

// withDefaults returns c with every zero-valued field set to its default.
func (c Config) withDefaults() Config {
	if c.KeyID == "" && len(c.Secret) > 0 {
		sum := sha256.Sum256(c.Secret)
		c.KeyID = hex.EncodeToString(sum[:])[:8]
	}
	if c.Issuer == "" {
		c.Issuer = DefaultIssuer
	}
	if c.Audience == "" {
		c.Audience = DefaultAudience
	}
	if c.AccessTTL == 0 {
		c.AccessTTL = DefaultAccessTTL
	}
	if c.Leeway == 0 {
		c.Leeway = DefaultLeeway
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports every problem of the configuration as [NewIssuer] would
// use it (zero-valued fields replaced by their defaults). The messages say
// how to fix each problem.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if len(c.Secret) < MinSecretBytes {
		errs = append(errs, fmt.Errorf("auth: Secret is %d bytes: use at least %d random bytes (e.g. decode the output of `openssl rand -base64 48`)", len(c.Secret), MinSecretBytes))
	}
	if c.KeyID != "" && (len(c.KeyID) > maxKeyIDLen || !printableASCII(c.KeyID)) { // empty only when Secret is, reported above
		errs = append(errs, fmt.Errorf("auth: KeyID must be 1 to %d printable ASCII characters: leave it empty to derive it from the secret", maxKeyIDLen))
	}
	if !printableASCII(c.Issuer) {
		errs = append(errs, errors.New("auth: Issuer must be printable ASCII: leave it empty for the default \""+DefaultIssuer+"\""))
	}
	if !printableASCII(c.Audience) {
		errs = append(errs, errors.New("auth: Audience must be printable ASCII: leave it empty for the default \""+DefaultAudience+"\""))
	}
	switch {
	case c.AccessTTL < time.Second:
		errs = append(errs, fmt.Errorf("auth: AccessTTL %s is too short: use at least one second, or zero for the default %s", c.AccessTTL, DefaultAccessTTL))
	case c.AccessTTL > MaxAccessTTL:
		errs = append(errs, fmt.Errorf("auth: AccessTTL %s exceeds %s: access tokens cannot be revoked before they expire, so keep them short and use refresh tokens for long sessions", c.AccessTTL, MaxAccessTTL))
	}
	switch {
	case c.Leeway < 0:
		errs = append(errs, fmt.Errorf("auth: Leeway %s is negative: use zero for the default %s", c.Leeway, DefaultLeeway))
	case c.Leeway > MaxLeeway:
		errs = append(errs, fmt.Errorf("auth: Leeway %s exceeds %s: synchronise the servers' clocks (NTP) instead of widening the window", c.Leeway, MaxLeeway))
	case c.AccessTTL >= time.Second && c.Leeway >= c.AccessTTL:
		errs = append(errs, fmt.Errorf("auth: Leeway %s must be shorter than AccessTTL %s: lower Leeway or raise AccessTTL", c.Leeway, c.AccessTTL))
	}
	return errors.Join(errs...)
}

// printableASCII reports whether s is non-empty and made only of printable
// ASCII characters (no spaces or control characters).
func printableASCII(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
