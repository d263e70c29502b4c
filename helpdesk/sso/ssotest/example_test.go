package ssotest_test

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/sistemaboladao/boladao/helpdesk/sso/ssotest"
)

// The provider serves a real discovery document on loopback.
func Example() {
	idp, err := ssotest.New(ssotest.Config{ClientID: "helpdesk", ClientSecret: "s3cret"})
	if err != nil {
		panic(err)
	}
	defer idp.Close()
	resp, err := http.Get(idp.Issuer() + "/.well-known/openid-configuration")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Issuer  string   `json:"issuer"`
		Methods []string `json:"code_challenge_methods_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		panic(err)
	}
	fmt.Println(doc.Issuer == idp.Issuer(), doc.Methods)
	// Output: true [S256]
}
