// Package sso signs people in with their company's identity provider over
// OpenID Connect (Microsoft Entra ID, Google Workspace, Keycloak and any
// other OIDC issuer).
//
// Each company has its own Settings: the issuer URL, the client ID and
// secret registered with the provider (the secret is write-only: a View
// reports it only as set), the email domains allowed to sign in, the role
// of users created on their first sign-in, whether first sign-in may
// create users, and whether the company's users may still sign in with a
// password.
//
// A sign-in is two calls on Service, made by an edge (the JSON API or the
// web console) around a browser redirect:
//
//   - Begin discovers the issuer (cached per issuer), draws a state, a
//     nonce and a PKCE verifier, and returns the provider's authorization
//     URL (authorization code flow, S256 challenge) with the flow sealed
//     (AES-GCM under the service's key) for a short-lived, HttpOnly,
//     SameSite=Lax cookie.
//   - Finish opens that sealed flow on the callback, checks the state,
//     exchanges the code with the verifier, verifies the ID token
//     (signature, issuer, audience = client ID, expiry, nonce), requires a
//     verified email of an allowed domain and returns the Identity.
//
// Matching the Identity to a user (or creating one) and opening the
// session is the facade's work (helpdesk.Desk.SignInSSO), so this package
// depends on no directory. Every refusal is a *FlowError naming its
// Reason; its message never carries a secret or a token.
package sso
