package auth

import (
	"fmt"
	"strings"
)

// MaxHeaderBytes is the longest Authorization header [ParseBearer] accepts.
const MaxHeaderBytes = 4096

// ParseBearer extracts the token from an Authorization header value of the
// form "Bearer <token>" (RFC 6750 §2.1). The scheme is matched
// case-insensitively and must be followed by exactly one space; the token
// must be non-empty and made of the RFC 6750 b64token characters
// (A–Z a–z 0–9 - . _ ~ + / followed by optional "="), which covers JWTs
// and Boladão's opaque tokens. Anything else — an empty header, another
// scheme, extra spaces or fields, a header longer than MaxHeaderBytes —
// fails with an error matching [ErrMalformedHeader]; the message never
// echoes the header.
func ParseBearer(header string) (token string, err error) {
	const scheme = "Bearer "
	switch {
	case header == "":
		return "", fmt.Errorf("auth: no Authorization header: %w", ErrMalformedHeader)
	case len(header) > MaxHeaderBytes:
		return "", fmt.Errorf("auth: Authorization header longer than %d bytes: %w", MaxHeaderBytes, ErrMalformedHeader)
	case len(header) < len(scheme) || !strings.EqualFold(header[:len(scheme)], scheme):
		return "", fmt.Errorf("auth: Authorization scheme is not Bearer: %w", ErrMalformedHeader)
	}
	token = header[len(scheme):]
	if !isB64Token(token) {
		return "", fmt.Errorf("auth: bearer token must be one run of token characters after exactly one space: %w", ErrMalformedHeader)
	}
	return token, nil
}

// isB64Token reports whether s matches RFC 6750's
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}
