package auth

import "errors"

// ErrTokenExpired is returned by [Issuer.ParseAccess] for an access token
// that is authentic and otherwise valid but past its expiry (plus leeway).
// The client should use its refresh token. It never matches ErrTokenInvalid.
var ErrTokenExpired = errors.New("token expired")

// ErrTokenInvalid is returned for a credential that must not be accepted
// for any reason other than plain expiry: malformed, wrong signature or
// algorithm, unknown key ID, wrong issuer or audience, not yet valid, or
// claims that do not describe a valid actor. [ParseAPIToken] also returns it
// for strings that are not API tokens. It never matches ErrTokenExpired.
var ErrTokenInvalid = errors.New("token invalid")

// ErrMalformedHeader is returned by [ParseBearer] for an Authorization
// header that is empty, uses another scheme, is longer than
// [MaxHeaderBytes], or is not exactly "Bearer <token>".
var ErrMalformedHeader = errors.New(`malformed Authorization header: want "Bearer <token>"`)
