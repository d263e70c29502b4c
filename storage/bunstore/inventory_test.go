package bunstore

import (
	"strings"
	"testing"
	"unicode"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
)

// ListAssetsSQL renders the first query ListAssets runs on the root store
// (with window > 0 on PostgreSQL, the windowed one; see assetPlan), for
// EXPLAIN in the benchmarks.
func (s *Store) ListAssetsSQL(company tenant.CompanyID, f inventory.AssetFilter, p storage.PageRequest, window int) (string, error) {
	var rows []assetRow
	sq, err := s.queries.listAssetsQuery(&rows, company, f, p, assetPlan{window: window})
	if err != nil {
		return "", err
	}
	return sq.String(), nil
}

// SearchWindow exposes searchWindow to the benchmarks.
const SearchWindow = searchWindow

// FuzzSearchQuery checks that whatever a user types, the FTS5 and tsquery
// texts sent to the database hold only letters, digits and the syntax the
// backend adds itself.
func FuzzSearchQuery(f *testing.F) {
	for _, seed := range []string{"ACME-2026", `"acme"*`, "acme:* & dell | !x", "NOT (a OR b)", `'\%_`, "térm ção", "\x00\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, q string) {
		terms := searchTerms(q)
		for _, term := range terms {
			if term == "" || strings.IndexFunc(term, notWordRune) >= 0 {
				t.Fatalf("term %q of %q holds a character that is not a letter or digit", term, q)
			}
		}
		fts := ftsQuery(terms)
		for _, part := range strings.Split(fts, " AND ") {
			if len(terms) == 0 {
				break
			}
			if !strings.HasPrefix(part, `"`) || !strings.HasSuffix(part, `"*`) || strings.Count(part, `"`) != 2 {
				t.Fatalf("FTS5 query %q of %q has a malformed part %q", fts, q, part)
			}
		}
		ts := tsQuery(terms)
		if strings.IndexFunc(ts, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(":*& ", r)
		}) >= 0 {
			t.Fatalf("tsquery %q of %q holds syntax beyond :* and &", ts, q)
		}
	})
}

func TestSearchTerms(t *testing.T) {
	for q, want := range map[string]string{
		"ACME-2026-000042":    "acme 2026 000042",
		"  --- ":              "",
		`"acme"* OR acme:*`:   "acme or",
		"Impressora TÉRMICA ": "impressora térmica",
		"mob_0001 (x|y)&z":    "mob 0001 x y z",
	} {
		if got := strings.Join(searchTerms(q), " "); got != want {
			t.Errorf("searchTerms(%q) = %q, want %q", q, got, want)
		}
	}
	if got := ftsQuery([]string{"acme", "2026"}); got != `"acme"* AND "2026"*` {
		t.Errorf("ftsQuery = %s", got)
	}
	if got := tsQuery([]string{"acme", "2026"}); got != "acme:* & 2026:*" {
		t.Errorf("tsQuery = %s", got)
	}
	if got, want := ftsCompanyQuery(42, []string{"acme", "2026"}),
		`company : "c42" AND {name serial manufacturer_serial model} : ("acme"* AND "2026"*)`; got != want {
		t.Errorf("ftsCompanyQuery = %s, want %s", got, want)
	}
}

// TestFTSTerms pins how SQLite's search cuts terms to its longest prefix
// index, in characters, not bytes.
func TestFTSTerms(t *testing.T) {
	for q, want := range map[string]string{
		"lat":                "lat",
		"lati":               "lati",
		"latitude 5440":      "lati 5440",
		"latitude latim":     "lati",
		"ergonômica térmica": "ergo térm",
		"ACME-2026-000042":   "acme 2026 0000",
		"çççççç":             "çççç",
		"notebook note":      "note",
	} {
		if got := strings.Join(ftsTerms(searchTerms(q)), " "); got != want {
			t.Errorf("ftsTerms(%q) = %q, want %q", q, got, want)
		}
	}
}

// TestMatchTerms checks the rule SQLite applies to the candidates of cut
// terms: every whole term prefixes a word of a searched field.
func TestMatchTerms(t *testing.T) {
	r := assetRow{Name: "Notebook Dell Latitude 5440", Serial: "ACME-2026-000042", ManufacturerSerial: "CN-0ABC123",
		Model: "Latitude 5440", Manufacturer: "Zebra", Category: "Notebook", Location: "Sede"}
	for q, want := range map[string]bool{
		"latitude":        true,
		"LATITUDE-5440":   true,
		"latitudes":       false,
		"0abc":            true,
		"abc":             false,
		"acme 000042":     true,
		"acme 000043":     false,
		"zebra":           false, // the manufacturer is not searched
		"sede":            false,
		"notebook latitu": true,
	} {
		if got := matchTerms(r, searchTerms(q)); got != want {
			t.Errorf("matchTerms(%q) = %v, want %v", q, got, want)
		}
	}
}
