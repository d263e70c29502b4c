package webui

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/events/whatsapp"
	"github.com/sistemaboladao/boladao/helpdesk/ai"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

// errorPackages are the folders (from the repository's root) whose
// exported errors can reach a console page.
var errorPackages = []string{"inventory", "serviceorders", "tickets", "helpdesk/directory", "helpdesk/workflow",
	"helpdesk/tenant", "helpdesk/ai", "events/webhooks", "events/whatsapp", "storage"}

// exportedErrors lists the exported error variables (Err...) and error
// types (...Error) declared in a package folder, as "pkg.Name".
func exportedErrors(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", dir, "*.go"))
	require.NoError(t, err)
	require.NotEmpty(t, files, dir)
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, decl := range file.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, spec := range g.Specs {
				switch s := spec.(type) {
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() && strings.HasPrefix(n.Name, "Err") {
							out = append(out, file.Name.Name+"."+n.Name)
						}
					}
				case *ast.TypeSpec:
					if s.Name.IsExported() && strings.HasSuffix(s.Name.Name, "Error") {
						out = append(out, file.Name.Name+"."+s.Name.Name)
					}
				}
			}
		}
	}
	return out
}

// TestDomainErrorsTranslated walks every exported error of the domain
// packages: each one that can reach a page must be explained in pt-BR
// and in English by its kind (wrapped, as the services return it), and
// each one that cannot says why. A new domain error fails the test until
// it is placed in one of the two lists.
func TestDomainErrorsTranslated(t *testing.T) {
	shown := map[string]error{
		"inventory.ErrInsufficientStock": inventory.ErrInsufficientStock,
		"inventory.ErrSerialExhausted":   inventory.ErrSerialExhausted,
		"serviceorders.ErrOverlap":       serviceorders.ErrOverlap,
		"workflow.ErrIllegalTransition":  workflow.ErrIllegalTransition,
		"tickets.ErrReopenWindowPassed": &workflow.TransitionError{Machine: "ticket", From: "resolved", To: "open",
			Allowed: []string{"closed"}, Err: tickets.ErrReopenWindowPassed},
		"workflow.TransitionError":        &workflow.TransitionError{Machine: "service order", From: "draft", To: "invoiced", Allowed: []string{}},
		"tenant.ErrForbidden":             tenant.ErrForbidden,
		"tenant.ForbiddenError":           &tenant.ForbiddenError{Role: tenant.RoleViewer, Permission: tenant.PermOrdersManage},
		"tenant.ErrNoCompany":             tenant.ErrNoCompany,
		"storage.ErrNotFound":             storage.ErrNotFound,
		"storage.ErrConflict":             storage.ErrConflict,
		"storage.ErrStale":                storage.ErrStale,
		"storage.ErrUnavailable":          storage.ErrUnavailable,
		"storage.ErrBadCursor":            storage.ErrBadCursor,
		"webhooks.ErrAddressRefused":      fmt.Errorf("%w: 10.0.0.1 is in 10.0.0.0/8", webhooks.ErrAddressRefused),
		"whatsapp.ErrNotConfigured":       whatsapp.ErrNotConfigured,
		"whatsapp.APIError":               &whatsapp.APIError{StatusCode: 401, Message: "Invalid OAuth access token"},
		"ai.ErrNotConfigured":             ai.ErrNotConfigured,
		"ai.ErrBadResponse":               ai.ErrBadResponse,
		"ai.APIError":                     &ai.APIError{StatusCode: 429, Message: "Rate limit reached"},
		"directory.ErrAccountDisabled":    directory.ErrAccountDisabled,
		"directory.ErrInvalidCredentials": directory.ErrInvalidCredentials,
		"directory.FieldConflictError":    &directory.FieldConflictError{Field: "email", Message: "is already in use", Err: storage.ErrConflict},
	}
	// Errors that never reach a page, and why.
	unseen := map[string]string{
		"directory.ErrRefreshTokenInvalid": "a revoked or expired session sends the browser to the sign-in page",
		"directory.ErrRefreshTokenReused":  "the console never rotates its session's token",
		"directory.ErrAPITokenInvalid":     "API tokens authenticate the JSON API, not the console",
		"workflow.ErrInvalidDeclaration":   "a wrong state machine stops the program at start",
		"whatsapp.ErrBadSignature":         "the inbound webhook answers Meta, not a person",
		"whatsapp.ErrBadVerifyToken":       "the inbound webhook answers Meta, not a person",
		"whatsapp.ErrMalformedPayload":     "the inbound webhook answers Meta, not a person",
		"whatsapp.PayloadError":            "the inbound webhook answers Meta, not a person",
		// Two-factor sign-in: its pages handle each of them with a message of their own.
		"directory.ErrChallengeInvalid":    "the second sign-in step sends the person back to the sign-in page (twofactor.expired)",
		"directory.ErrTwoFactorCode":       "the second sign-in step says the code is wrong (twofactor.wrong_code); enrolment turns it into a field error",
		"directory.ErrTwoFactorLocked":     "the two-factor pages say how long to wait (twofactor.locked)",
		"directory.TwoFactorLockedError":   "the two-factor pages say how long to wait (twofactor.locked)",
		"directory.ErrTwoFactorEnabled":    "the enrolment page shows the enabled state instead",
		"directory.ErrTwoFactorNotEnabled": "the enrolment page shows how to start instead",
	}
	var declared []string
	for _, dir := range errorPackages {
		declared = append(declared, exportedErrors(t, dir)...)
	}
	require.NotEmpty(t, declared)
	for _, name := range declared {
		_, isShown := shown[name]
		_, isUnseen := unseen[name]
		require.True(t, isShown || isUnseen, "%s is a domain error the console does not know: explain it in errors.go "+
			"and list it here, or say here why no page shows it", name)
	}

	c := &console{domainErrors: domainErrors()}
	var err error
	c.i18n, err = newBundle()
	require.NoError(t, err)
	for name, sample := range shown {
		t.Run(name, func(t *testing.T) {
			wrapped := fmt.Errorf("a service: %w", sample)
			texts := map[string]string{}
			for _, lang := range []string{langPT, langEN} {
				q := &request{locale: c.locale(lang, nil), c: c}
				s, ok := q.domainMessage(wrapped)
				require.True(t, ok, "%s has no %s message", name, lang)
				require.NotContains(t, s, missingMessage, "%s: its %s message is missing", name, lang)
				if lang == langPT {
					require.NotContains(t, s, sample.Error(), "%s: the domain's English text is shown", name)
				}
				texts[lang] = s
				// As a field's cause (a validation error made from it), the
				// field shows the same message.
				var b validation.Builder
				b.Add("url", "%v", wrapped)
				require.Equal(t, s, fieldErrors(q, b.Err())["url"])
			}
			require.NotEqual(t, texts[langEN], texts[langPT], "%s: pt-BR shows the English text", name)
		})
	}
}
