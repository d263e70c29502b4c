// Package httpapi is Boladão's JSON API as one mountable http.Handler, built
// only from the public API of the helpdesk facade.
//
//	api, err := httpapi.New(desk, httpapi.Config{Logger: logger})
//	if err != nil {
//		return err
//	}
//	mux := http.NewServeMux()
//	mux.Handle("/helpdesk/", http.StripPrefix("/helpdesk", api))
//
// Errors are RFC 9457 application/problem+json documents; mapping domain
// errors to HTTP status codes happens in this package and nowhere else.
//
// Every authenticated request is checked in this order: credentials, rate
// limit, the route's permission (routePermissions, shown in the OpenAPI
// document as x-permissions), the query parameters (no control
// characters), then the handler with its body (I-JSON with exact key
// names, strictjson.go) and the service's own validation. A path served
// for other methods only is 405 with Allow (routing.go).
//
// Single sign-on (sso.go): GET /auth/sso/{company}/start sends a client to
// its company's OpenID Connect provider, and GET /auth/sso/callback
// answers the tokens POST /auth/login gives; Config.PublicURL is the base
// of the redirect URI to register.
package httpapi
