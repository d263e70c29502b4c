package whatsapp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/sistemaboladao/boladao/events/whatsapp"
)

// A client sends an approved template; a local server stands in for the
// Cloud API here.
func ExampleClient_SendTemplate() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Println(r.Method, r.URL.Path)
		fmt.Println(string(body))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"messaging_product":"whatsapp","contacts":[{"input":"5511987654321","wa_id":"5511987654321"}],"messages":[{"id":"wamid.example"}]}`)
	}))
	defer api.Close()

	c, err := whatsapp.NewClient(whatsapp.ClientConfig{BaseURL: api.URL, Token: "token", PhoneNumberID: "106540352242922"})
	if err != nil {
		panic(err)
	}
	res, err := c.SendTemplate(context.Background(), "+5511987654321",
		whatsapp.Template{Name: "ticket_opened", Language: "pt_BR", Parameters: []string{"Ana", "42"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.MessageID)
	// Output:
	// POST /v21.0/106540352242922/messages
	// {"messaging_product":"whatsapp","recipient_type":"individual","to":"5511987654321","type":"template","template":{"name":"ticket_opened","language":{"code":"pt_BR"},"components":[{"type":"body","parameters":[{"type":"text","text":"Ana"},{"type":"text","text":"42"}]}]}}
	// wamid.example
}

// Inbound notifications are signed with the app secret.
func ExampleVerifySignature() {
	body := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	sig := whatsapp.Sign("app-secret", body)
	fmt.Println(whatsapp.VerifySignature("app-secret", body, sig))
	fmt.Println(whatsapp.VerifySignature("app-secret", body, "sha256=00"))
	// Output:
	// <nil>
	// whatsapp: X-Hub-Signature-256 is missing or does not match the body
}
