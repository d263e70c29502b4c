package bunstore

import (
	"strings"
	"testing"
	"unicode"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
)

// ListAssetsSQL renders a query ListAssets runs on the root store (window
// as in listAssetsQuery), for EXPLAIN in the benchmarks.
func (s *Store) ListAssetsSQL(company tenant.CompanyID, f inventory.AssetFilter, p storage.PageRequest, window int) (string, error) {
	var rows []assetRow
	sq, _, err := s.queries.listAssetsQuery(&rows, company, f, p, window)
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
}
