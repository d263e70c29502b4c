// Package loginguard holds the limits every sign-in edge of the helpdesk
// shares: a token-bucket Limiter per account and per client IP, and a
// Blocker that blocks addresses collecting too many strikes (failed
// logins, forged tokens).
//
// One Guard serves the JSON API (POST /auth/login in helpdesk/httpapi) and
// the web console's sign-in form (helpdesk/webui), so that alternating
// between them never doubles an attacker's attempts: the embedder builds
// one Guard and hands it to both edges' Config. An edge given no Guard
// builds its own from its settings.
//
//	guard, err := loginguard.New(loginguard.Config{Now: desk.Now})
//	api, _ := httpapi.New(desk, httpapi.Config{LoginGuard: guard})
//	console, _ := webui.New(desk, webui.Config{LoginGuard: guard})
package loginguard
