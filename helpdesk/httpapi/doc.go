// Package httpapi is Boladão's JSON API as one mountable http.Handler, built
// only from the public API of the helpdesk facade.
//
//	mux := http.NewServeMux()
//	mux.Handle("/helpdesk/", http.StripPrefix("/helpdesk", httpapi.New(desk)))
//
// Errors are RFC 9457 application/problem+json documents; mapping domain
// errors to HTTP status codes happens in this package and nowhere else.
package httpapi
