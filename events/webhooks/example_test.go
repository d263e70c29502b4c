package webhooks_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/events/webhooks"
)

// A receiver checks each request the way the Standard Webhooks libraries
// do: the signature over "id.timestamp.body" under the endpoint's secret
// (shown once when the endpoint is created), and the timestamp's age. It
// deduplicates on webhook-id, the event's ID.
func ExampleVerify() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // the endpoint's secret
	body := []byte(`{"sequence":1,"id":"evt_0197e1c4","type":"ticket.created","company_id":7,"data":{"number":1}}`)
	sent := time.Date(2026, 7, 6, 13, 0, 0, 0, time.UTC)

	receiver := func(now time.Time) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get("webhook-id")
			ts, err := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
			if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute {
				http.Error(w, "stale or missing timestamp", http.StatusBadRequest)
				return
			}
			if err := webhooks.Verify(secret, id, ts, body, r.Header.Get("webhook-signature")); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}
	}
	send := func(signature string, at time.Time) {
		r := httptest.NewRequest(http.MethodPost, "/hooks", strings.NewReader(string(body)))
		r.Header.Set("webhook-id", "evt_0197e1c4")
		r.Header.Set("webhook-timestamp", strconv.FormatInt(sent.Unix(), 10))
		r.Header.Set("webhook-signature", signature)
		w := httptest.NewRecorder()
		receiver(at).ServeHTTP(w, r)
		fmt.Println(strings.TrimSpace(fmt.Sprint(w.Code, " ", w.Body.String())))
	}

	sig, err := webhooks.Sign(secret, "evt_0197e1c4", sent.Unix(), body)
	if err != nil {
		panic(err)
	}
	fmt.Println(sig)
	send(sig, sent.Add(2*time.Second))
	// During a secret rotation requests carry both signatures; either one
	// passes.
	send("v1,bm90IHRoZSByaWdodCBzaWduYXR1cmU= "+sig, sent.Add(2*time.Second))
	send("v1,bm90IHRoZSByaWdodCBzaWduYXR1cmU=", sent.Add(2*time.Second))
	send(sig, sent.Add(time.Hour)) // a replay an hour later
	// Output:
	// v1,+0CGPeVl1k3tBUhsXELGVeOi+cidA67gPSy8OlQ6dTA=
	// 204
	// 204
	// 401 webhooks: no matching v1 signature for message evt_0197e1c4
	// 400 stale or missing timestamp
}
