package whatsapp_test

import (
	"os"
	"testing"

	"github.com/sistemaboladao/boladao/events/whatsapp"
)

func FuzzParseNotification(f *testing.F) {
	for _, name := range []string{"inbound-text.json", "inbound-status.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{}}]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := whatsapp.ParseNotification(body)
		if err != nil {
			return
		}
		for _, id := range n.PhoneNumberIDs() {
			if id == "" {
				t.Fatalf("accepted a change without a business number: %s", body)
			}
		}
		for _, e := range n.Entry {
			for _, c := range e.Changes {
				for _, m := range c.Value.Messages {
					if m.ID == "" || m.From == "" {
						t.Fatalf("accepted a message without id or sender: %s", body)
					}
					_ = m.Body()
				}
			}
		}
		// A signature made with the secret always verifies; another never.
		sig := whatsapp.Sign("secret", body)
		if whatsapp.VerifySignature("secret", body, sig) != nil || whatsapp.VerifySignature("other", body, sig) == nil {
			t.Fatal("signature round trip failed")
		}
	})
}
