package httpapi

import "net/http"

// chain wraps h in middleware, the first one outermost:
// chain(mux, a, b) serves a(b(mux)).
func chain(h http.Handler, middleware ...func(http.Handler) http.Handler) http.Handler {
	for i := len(middleware) - 1; i >= 0; i-- {
		h = middleware[i](h)
	}
	return h
}
