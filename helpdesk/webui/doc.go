// Package webui is Boladão's web console: server-rendered pages for the
// people who work the helpdesk all day, built only from the public API of
// the helpdesk facade (like helpdesk/httpapi) and returned as one
// mountable http.Handler.
//
//	console, err := webui.New(desk, webui.Config{Prefix: "/console"})
//	mux.Handle("/console/", http.StripPrefix("/console", console))
//
// Pages are html/template files embedded in the binary (templates/), with
// one layout and small partials; htmx and Pico CSS are vendored under
// static/vendor/ and served with content-hashed URLs and long cache
// headers, under a Content-Security-Policy that allows scripts and styles
// from the console's own origin only. Every page works without JavaScript;
// htmx only swaps fragments that have routes of their own (the ticket
// queue's rows, a ticket's header and conversation).
//
// People sign in with the same accounts, lockouts and rate limits as the
// API's POST /auth/login (share one loginguard.Guard through
// Config.LoginGuard). The session cookie carries the refresh token of a
// server-side session that the console never rotates: revoking the
// session signs the browser out on its next request. Idle and absolute
// lifetimes are in Config. State-changing requests must be same-origin
// (http.CrossOriginProtection). A company that set up single sign-on
// (helpdesk/sso) lets its people sign in with its OpenID Connect provider
// from the same page; the provider sends them back to
// /signin/sso/callback (Config.PublicURL + Prefix), which opens the same
// session. Company admins edit the settings at /admin/sso.
//
// Texts are translated with go-i18n from the message files in locales/
// (one pair per feature: <feature>.en.toml and <feature>.pt-BR.toml). The
// language is the person's choice (the language switch), else the
// browser's Accept-Language, else pt-BR. Dates are shown in the company's
// timezone, numbers and money in the person's locale.
//
// # Administration, integrations and operations
//
// Company admins manage their company under /admin (users invited for a
// contact with a role and a temporary password shown once, role changes,
// deactivation and password resets; contacts with their WhatsApp
// opt-in; API tokens with scopes, shown once, revocable, with their last
// use; the serial pattern of asset intakes with a live preview, an htmx
// fragment that the Preview button also renders without JavaScript) and
// their integrations under /integrations (webhook endpoints with their
// statistics, held deliveries, delivery log, attempts, test, redelivery,
// skip and secret rotation; WhatsApp settings whose secrets are
// write-only and shown as set or not, notification rules, message log
// and connection status; the AI gateway's status with the built-in
// model's accuracy, its settings and an "analyze this text" box).
// Platform admins also edit a company's details, create and deactivate
// companies (/admin/companies), and see the operations page (/ops): the
// deployment, monitoring and security audit that /api/deployment/status,
// /api/monitoring/status and /api/security/audit report, with an unblock
// button per blocked address and "back up now". What only the program
// that opened the database knows (readiness, schema, backups, warnings)
// comes from Config.Operations; without it the page shows what the
// console knows by itself.
//
// # Adding a page
//
// A feature is a file that registers its routes in a method of console
// and is listed in (*console).features; its templates are
// templates/pages/<name>.html (each defines "title" and "content", plus
// any fragments), rendered with c.render(w, q, status, "<name>", data).
// Handlers take the request's principal and localizer from *request and
// call the facade's services with q.Actor(): permission checks live in the
// services, never in the console.
package webui
