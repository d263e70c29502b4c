// Package ssotest runs an OpenID Connect provider on loopback for tests of
// single sign-on: discovery, a JWKS, an authorization endpoint (with an
// optional login page), a token endpoint that checks the client, the
// redirect URI and the PKCE (S256) verifier, and RS256-signed ID tokens.
//
// Tests choose who signs in (SetUser) and may bend the ID token's claims
// (SetTamper) to play a misbehaving or hostile provider: another client's
// audience, an expired token, a foreign nonce, an unverified email.
package ssotest
