package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// ticketBody is a typical ticket creation body: a few short fields, a
// paragraph of description with accents, two tags.
var ticketBody = []byte(`{"title":"Impressora do 2º andar não imprime","description":"Desde ontem à tarde a impressora HP do segundo andar ` +
	`mostra \"erro de papel\" e não imprime nada. Já reiniciamos duas vezes e trocamos a bandeja, sem sucesso.\nUrgente: ` +
	`folha de pagamento sai hoje.","priority":"high","category":"hardware","asset_id":42,"requester_contact_id":7,` +
	`"tags":["impressora","2º-andar"],"channel":"web"}`)

// BenchmarkDecodeTicketBody measures the strict decode of a typical
// ticket body beside the plain encoding/json decode it adds to:
//
//	plain        json.Decoder with DisallowUnknownFields, the decode alone
//	strict-check the I-JSON and key-name walk alone (strictCheck)
//	decodeJSON   the whole request path: syntax pass, strict walk, decode
func BenchmarkDecodeTicketBody(b *testing.B) {
	b.Run("plain", func(b *testing.B) {
		b.SetBytes(int64(len(ticketBody)))
		b.ReportAllocs()
		for b.Loop() {
			var in ticketCreateRequest
			dec := json.NewDecoder(bytes.NewReader(ticketBody))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("strict-check", func(b *testing.B) {
		b.SetBytes(int64(len(ticketBody)))
		b.ReportAllocs()
		t := reflect.TypeFor[*ticketCreateRequest]()
		for b.Loop() {
			if err := strictCheck(ticketBody, 0, t); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decodeJSON", func(b *testing.B) {
		b.SetBytes(int64(len(ticketBody)))
		b.ReportAllocs()
		w := httptest.NewRecorder()
		for b.Loop() {
			r := httptest.NewRequest(http.MethodPost, "/x", bytes.NewReader(ticketBody))
			r.Header.Set("Content-Type", "application/json")
			var in ticketCreateRequest
			if err := decodeJSON(w, r, &in, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}
