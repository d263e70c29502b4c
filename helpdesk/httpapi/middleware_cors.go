package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// corsConfig configures cors. Only AllowedOrigins is required; the other
// fields have defaults.
type corsConfig struct {
	// AllowedOrigins are exact origins ("https://app.example.com",
	// "http://localhost:5173"). "*" allows any origin and is refused with
	// AllowCredentials.
	AllowedOrigins []string
	// AllowCredentials sends Access-Control-Allow-Credentials: true.
	AllowCredentials bool
	// AllowedMethods defaults to GET, HEAD, POST, PUT, DELETE: the methods
	// the API's operations use (no operation takes PATCH).
	AllowedMethods []string
	// AllowedHeaders defaults to Authorization, Content-Type,
	// Idempotency-Key, If-Match, If-None-Match, X-Company-ID, X-Request-ID.
	AllowedHeaders []string
	// ExposedHeaders defaults to ETag, Location, Retry-After, X-Request-ID.
	ExposedHeaders []string
	// MaxAge is how long browsers may cache a preflight; default 10 minutes.
	MaxAge time.Duration
}

// cors answers CORS for the origins in cfg.AllowedOrigins. A preflight
// (OPTIONS with Access-Control-Request-Method) from an allowed origin is
// answered 204 with the allowed methods and headers, and one from another
// origin 403 origin-not-allowed; neither reaches next. Other requests from
// an allowed origin get Access-Control-Allow-Origin and
// Access-Control-Expose-Headers; from another origin they pass without CORS
// headers, so the browser hides the response. Every response varies on
// Origin. It fails on a malformed origin or "*" with credentials.
func cors(cfg corsConfig) (func(http.Handler) http.Handler, error) {
	allowed := make(map[string]bool, len(cfg.AllowedOrigins))
	anyOrigin := false
	for _, o := range cfg.AllowedOrigins {
		if o == "*" {
			anyOrigin = true
			continue
		}
		norm, err := normaliseOrigin(o)
		if err != nil {
			return nil, err
		}
		allowed[norm] = true
	}
	if anyOrigin && cfg.AllowCredentials {
		return nil, errors.New(`httpapi: CORS origin "*" cannot be combined with credentials: list the exact origins instead`)
	}
	methods := strings.Join(orDefault(cfg.AllowedMethods, []string{"GET", "HEAD", "POST", "PUT", "DELETE"}), ", ")
	headers := strings.Join(orDefault(cfg.AllowedHeaders, []string{"Authorization", "Content-Type", "Idempotency-Key", "If-Match", "If-None-Match", "X-Company-ID", "X-Request-ID"}), ", ")
	exposed := strings.Join(orDefault(cfg.ExposedHeaders, []string{"ETag", "Location", "Retry-After", "X-Request-ID"}), ", ")
	maxAge := cfg.MaxAge
	if maxAge <= 0 {
		maxAge = 10 * time.Minute
	}
	maxAgeSecs := strconv.FormatInt(int64(maxAge/time.Second), 10)

	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			origin := r.Header.Get("Origin")
			preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
			h.Add("Vary", "Origin")
			if preflight {
				h.Add("Vary", "Access-Control-Request-Method")
				h.Add("Vary", "Access-Control-Request-Headers")
			}
			if origin == "" {
				next.ServeHTTP(w, r)
				return
			}
			if !anyOrigin && !allowed[origin] {
				if preflight {
					writeError(w, r, ErrOriginNotAllowed)
					return
				}
				next.ServeHTTP(w, r)
				return
			}
			if anyOrigin {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
			}
			if cfg.AllowCredentials {
				h.Set("Access-Control-Allow-Credentials", "true")
			}
			if preflight {
				h.Set("Access-Control-Allow-Methods", methods)
				h.Set("Access-Control-Allow-Headers", headers)
				h.Set("Access-Control-Max-Age", maxAgeSecs)
				w.WriteHeader(http.StatusNoContent)
				return
			}
			h.Set("Access-Control-Expose-Headers", exposed)
			next.ServeHTTP(w, r)
		})
	}, nil
}

// normaliseOrigin checks o is scheme://host[:port] and returns it with a
// lower-case scheme and host and no trailing slash, as browsers send it.
func normaliseOrigin(o string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(o, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("httpapi: CORS origin %q: want scheme://host[:port] such as \"https://app.example.com\", with no path", o)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

func orDefault(v, def []string) []string {
	if len(v) == 0 {
		return def
	}
	return v
}
