package httpapi

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/tickets"
)

// jsonFuzz makes random values of the response shapes, strings included
// that need every kind of escape.
type jsonFuzz struct{ rng *rand.Rand }

func (f jsonFuzz) str() string {
	pieces := []string{"", "a", "Olá, mundo", `"quoted"`, `back\slash`, "<b>&amp;</b>", "\n\r\t\b\f", "\x00\x01\x1f",
		"\u2028\u2029", "\xff\xfe", "日本語", "emoji 🎉", "é", "\x7f", "/"}
	var b []byte
	for range f.rng.IntN(4) {
		b = append(b, pieces[f.rng.IntN(len(pieces))]...)
	}
	return string(b)
}

func (f jsonFuzz) id() int64 {
	if f.rng.IntN(3) == 0 {
		return 0
	}
	return f.rng.Int64N(1 << 40)
}

func (f jsonFuzz) time() timeJSON {
	if f.rng.IntN(3) == 0 {
		return timeJSON{}
	}
	t := time.Unix(f.rng.Int64N(4_000_000_000), 0).UTC()
	if f.rng.IntN(2) == 0 {
		t = t.Add(time.Duration(f.rng.Int64N(1e9)))
	}
	return timeJSON(t)
}

func (f jsonFuzz) strs() []string {
	if f.rng.IntN(4) == 0 {
		return nil
	}
	out := make([]string, f.rng.IntN(3))
	for i := range out {
		out[i] = f.str()
	}
	return out
}

func (f jsonFuzz) seconds() *int64 {
	if f.rng.IntN(2) == 0 {
		return nil
	}
	v := f.rng.Int64N(1 << 20)
	return &v
}

func (f jsonFuzz) target() slaTargetJSON {
	return slaTargetJSON{State: f.str(), TargetSeconds: f.seconds(), ElapsedSeconds: f.seconds(), DueAt: f.time(), BreachedAt: f.time()}
}

func (f jsonFuzz) ticket() ticketJSON {
	t := ticketJSON{ID: f.id(), CompanyID: f.id(), Number: f.id(), Title: f.str(), Description: f.str(), Priority: f.str(),
		Category: f.str(), Channel: f.str(), Tags: f.strs(), RequesterContactID: f.id(), AssigneeUserID: f.id(), AssetID: f.id(),
		Status: f.str(), ResolutionNote: f.str(), CancelReason: f.str(), ReopenCount: f.rng.IntN(3),
		FirstResponseAt: f.time(), ResolvedAt: f.time(), ClosedAt: f.time(),
		SLA:     slaJSON{State: f.str(), FirstResponse: f.target(), Resolution: f.target(), Paused: f.rng.IntN(2) == 0},
		Version: f.id(), CreatedAt: f.time(), UpdatedAt: f.time()}
	switch f.rng.IntN(3) {
	case 0: // a list item: no next actions
	case 1:
		var none []nextActionJSON
		t.NextActions = &none
	default:
		next := make([]nextActionJSON, f.rng.IntN(3))
		for i := range next {
			next[i] = nextActionJSON{Name: f.str(), Status: f.str(), Required: f.strs()}
		}
		t.NextActions = &next
	}
	return t
}

func (f jsonFuzz) asset() assetJSON {
	return assetJSON{ID: f.id(), CompanyID: f.id(), StockItemID: f.id(), Serial: f.str(), ManufacturerSerial: f.str(),
		Name: f.str(), Category: f.str(), Manufacturer: f.str(), Model: f.str(), Status: f.str(), AssigneeContactID: f.id(),
		Location: f.str(), WarrantyUntil: f.time(), RetiredReason: f.str(), AllowedTransitions: f.strs(), Version: f.id(),
		CreatedAt: f.time(), UpdatedAt: f.time()}
}

// encoded is what writeJSON's fallback, json.Encoder, writes for v.
func encoded(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, json.NewEncoder(&buf).Encode(v))
	return buf.String()
}

// written is what writeJSON writes for v.
func written(v any) string {
	rec := httptest.NewRecorder()
	writeJSON(rec, 200, v)
	return rec.Body.String()
}

func TestJSONAppendersMatchEncodingJSON(t *testing.T) {
	t.Parallel()
	// Every field of every shape must be set by some generated value, so
	// that a field added to a shape and not to its appendJSON fails here.
	set := map[string]bool{}
	seen := func(t *testing.T, v any) {
		t.Helper()
		rv := reflect.ValueOf(v)
		for i := range rv.NumField() {
			if !rv.Field(i).IsZero() {
				set[rv.Type().Name()+"."+rv.Type().Field(i).Name] = true
			}
		}
	}
	defer func() {
		for _, shape := range []any{ticketJSON{}, assetJSON{}} {
			rt := reflect.TypeOf(shape)
			for i := range rt.NumField() {
				require.True(t, set[rt.Name()+"."+rt.Field(i).Name], "the fuzzer never sets %s.%s", rt.Name(), rt.Field(i).Name)
			}
		}
	}()
	f := jsonFuzz{rand.New(rand.NewPCG(7, 11))}
	for range 3000 {
		tk, as := f.ticket(), f.asset()
		require.Equal(t, encoded(t, tk), string(tk.appendJSON(nil))+"\n")
		require.Equal(t, encoded(t, as), string(as.appendJSON(nil))+"\n")
		seen(t, tk)
		seen(t, as)
	}
	for range 200 {
		tp := listPage[ticketJSON]{NextCursor: f.str()}
		ap := listPage[assetJSON]{NextCursor: f.str()}
		if f.rng.IntN(5) > 0 {
			tp.Items, ap.Items = make([]ticketJSON, f.rng.IntN(4)), make([]assetJSON, f.rng.IntN(4))
		}
		for i := range tp.Items {
			tp.Items[i] = f.ticket()
		}
		for i := range ap.Items {
			ap.Items[i] = f.asset()
		}
		require.Equal(t, encoded(t, tp), written(tp))
		require.Equal(t, encoded(t, ap), written(ap))
	}
	// A page of items without their own encoder goes through encoding/json.
	other := listPage[historyJSON]{Items: []historyJSON{{ID: 1, At: f.time()}}, NextCursor: "c"}
	require.Equal(t, encoded(t, other), written(other))
	// Every rune of the Basic Multilingual Plane, and a few beyond.
	var all []rune
	for r := rune(0); r < 0x10000; r++ {
		all = append(all, r)
	}
	all = append(all, 0x1F389, 0x10FFFF)
	// Times of other zones and years take AppendFormat.
	for _, at := range []time.Time{time.Date(2026, 7, 1, 9, 0, 0, 5, time.FixedZone("BRT", -3*3600)),
		time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9, 1, 2, 3, 4, 5, 600_000_000, time.UTC)} {
		require.Equal(t, at.Format(time.RFC3339Nano), string(appendRFC3339Nano(nil, at)))
	}
	require.Equal(t, encoded(t, string(all)), string(appendJSONString(nil, string(all)))+"\n")
}

func BenchmarkTicketPageJSON(b *testing.B) {
	now := time.Date(2026, 7, 1, 12, 0, 0, 123456000, time.UTC)
	page := listPage[ticketJSON]{Items: make([]ticketJSON, 50), NextCursor: "abc"}
	for i := range page.Items {
		page.Items[i] = ticketOf(tickets.Ticket{ID: int64(i), Number: int64(i), Title: "Impressora não imprime",
			Description: "A impressora do financeiro parou de imprimir", Priority: "high", Category: "Hardware", Channel: "api",
			Tags: []string{"printer"}, Status: "closed", CreatedAt: now, UpdatedAt: now, ResolvedAt: now, ClosedAt: now,
			FirstResponseAt: now, ResponseDueAt: now, ResolutionDueAt: now})
	}
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			_ = json.NewEncoder(&bytes.Buffer{}).Encode(page)
		}
	})
	b.Run("appendJSON", func(b *testing.B) {
		for b.Loop() {
			_ = page.appendJSON(make([]byte, 0, 8<<10))
		}
	})
}
