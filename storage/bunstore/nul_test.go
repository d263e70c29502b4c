package bunstore_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/bunstore"
)

// TestNULNeverReachesAStatement pins what the storage layer guarantees on
// its own about a string holding a NUL byte, which SQLite would take as the
// end of the statement: bun never writes the NUL into the SQL text (it
// writes an error marker, so the statement fails whole), and a list with
// such a filter fails rather than matching anything. The services refuse
// these values first with a validation error naming the field; this is the
// layer under them.
func TestNULNeverReachesAStatement(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, s *bunstore.Store) {
		company := insertCompany(t, s, "Acme")
		seedContacts(t, s, company, 0, 3)
		const evil = "x\x00' OR '1'='1"
		q := s.DB().NewSelect().TableExpr("contacts").Where("name = ?", evil).String()
		require.NotContains(t, q, "\x00", "no NUL in the SQL text")
		require.NotContains(t, q, "OR '1'='1'", "nothing after the NUL is read as SQL")

		for _, f := range []directory.ContactFilter{{Search: evil}, {Email: evil}} {
			page, err := s.Directory().ListContacts(t.Context(), company, f, storage.PageRequest{})
			require.Error(t, err)
			require.Empty(t, page.Items)
			require.False(t, strings.Contains(err.Error(), "\x00"))
		}
		// The same list without the NUL answers.
		page, err := s.Directory().ListContacts(t.Context(), company, directory.ContactFilter{}, storage.PageRequest{})
		require.NoError(t, err)
		require.Len(t, page.Items, 3)
	})
}
