package storagetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage"
)

// Own is an embedder's own storage beside a backend: what an embedder
// writes in Boladão's unit of work (bunstore.TxDB's statements,
// memory.OnRollback's undo).
type Own interface {
	// Write stores key inside the unit of work tx; a key written before is
	// an error (a unique violation).
	Write(ctx context.Context, tx any, key string) error
	// Has reports whether key is stored, outside any unit of work.
	Has(ctx context.Context, key string) (bool, error)
}

// RunUnitOfWork shows that an embedder's own writes share the backend's
// units of work: they commit with Boladão's rows and events, a failure of
// the embedder's statement rolls Boladão's back, and a failure of
// Boladão's rolls the embedder's back. own makes the embedder's storage
// beside a fresh backend.
func RunUnitOfWork(t *testing.T, newBackend Factory, own func(t *testing.T, b Backend) Own) {
	t.Helper()
	cases := []struct {
		name string
		// fail says which side fails after both wrote: "" none,
		// "embedder" (its key is written twice), "boladao" (a duplicate
		// company CNPJ).
		fail string
	}{
		{"EmbedderWritesCommitWithTheUnitOfWork", ""},
		{"EmbedderFailureRollsBackBoladao", "embedder"},
		{"BoladaoFailureRollsBackTheEmbedder", "boladao"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t)
			o := own(t, b)
			first := newCompany(t, b.Directory(), "First", "11222333000181")
			var company directory.Company
			err := b.ServiceOrders().InTx(ctx(t), func(ctx context.Context, tx serviceorders.Tx) error {
				company = directory.Company{Name: "Acme", Timezone: "America/Sao_Paulo", Active: true, CreatedAt: at, UpdatedAt: at}
				dt, ok := tx.(directory.Tx)
				require.True(t, ok, "a unit of work spans every domain")
				if err := dt.InsertCompany(ctx, &company); err != nil {
					return err
				}
				ev, err := events.New("company.created", company.ID, "company", company.ID, tenant.System(), at, map[string]any{"name": "Acme"})
				require.NoError(t, err)
				if err := tx.AppendEvents(ctx, ev); err != nil {
					return err
				}
				if err := o.Write(ctx, tx, "acme"); err != nil {
					return err
				}
				switch c.fail {
				case "embedder":
					return o.Write(ctx, tx, "acme")
				case "boladao":
					dup := directory.Company{Name: "Dup", CNPJ: first.CNPJ, Timezone: "America/Sao_Paulo", Active: true, CreatedAt: at, UpdatedAt: at}
					return dt.InsertCompany(ctx, &dup)
				}
				return nil
			})
			has, herr := o.Has(ctx(t), "acme")
			require.NoError(t, herr)
			evs, eerr := b.OutboxEvents(ctx(t), events.OutboxQuery{})
			require.NoError(t, eerr)
			_, cerr := b.Directory().CompanyByID(ctx(t), company.ID)
			if c.fail == "" {
				require.NoError(t, err)
				require.True(t, has, "the embedder's row committed")
				require.Len(t, evs, 1, "the event committed")
				require.NoError(t, cerr, "the company committed")
				return
			}
			require.Error(t, err)
			require.False(t, has, "the embedder's row was rolled back")
			require.Empty(t, evs, "no event of a rolled-back unit of work")
			require.ErrorIs(t, cerr, storage.ErrNotFound, "no company of a rolled-back unit of work")
		})
	}
}
