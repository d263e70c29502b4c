package sso_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/sso"
	"github.com/sistemaboladao/boladao/helpdesk/sso/ssotest"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// A company sets up its provider; a person signs in: Begin gives the URL
// to send the browser to and the sealed flow for a cookie, Finish checks
// the provider's answer and says who signed in.
func Example() {
	ctx := context.Background()
	idp, err := ssotest.New(ssotest.Config{ClientID: "helpdesk", ClientSecret: "s3cret"})
	if err != nil {
		panic(err)
	}
	defer idp.Close()
	idp.SetUser(ssotest.User{Subject: "42", Email: "ana@acme.example", EmailVerified: true, Name: "Ana"})

	store := memory.New()
	dir, _ := directory.NewService(store.Directory())
	co, _ := dir.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	svc, _ := sso.NewService(store.SSO(), []byte("0123456789abcdef0123456789abcdef"))
	admin := tenant.Actor{CompanyID: co.ID, UserID: 1, Role: tenant.RoleAdmin}
	on, issuer, client, secret := true, idp.Issuer(), "helpdesk", "s3cret"
	domains := []string{"acme.example"}
	view, err := svc.UpdateSettings(ctx, admin, sso.SettingsInput{Enabled: &on, Issuer: &issuer, ClientID: &client,
		ClientSecret: &secret, AllowedDomains: &domains})
	if err != nil {
		panic(err)
	}
	fmt.Println("secret set:", view.ClientSecretSet)

	company, _ := svc.CompanyForEmail(ctx, "ana@acme.example")
	authURL, sealed, err := svc.Begin(ctx, sso.Start{Company: company, RedirectURL: "https://helpdesk.example/signin/sso/callback"})
	if err != nil {
		panic(err)
	}
	// The browser goes to authURL; the provider sends it back to the
	// redirect URL with a code and the state.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	back, _ := url.Parse(resp.Header.Get("Location"))

	id, err := svc.Finish(ctx, sealed, back.Query())
	if err != nil {
		panic(err)
	}
	fmt.Println(id.Email, id.CompanyID == co.ID)

	// The same answer again is refused: the flow's code is spent.
	_, err = svc.Finish(ctx, sealed, back.Query())
	fmt.Println(err)
	// Output:
	// secret set: true
	// ana@acme.example true
	// single sign-on refused: code_exchange_failed: the token endpoint refused the code: invalid_grant
}
