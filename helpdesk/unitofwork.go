package helpdesk

import (
	"context"
	"errors"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/serviceorders"
)

// Tx is one unit of work across every domain: what the services' ...Tx
// methods take (Tickets.CreateTx, Tickets.UpdateTx, ServiceOrders.CreateTx,
// Inventory.ConsumeTx, ...). Its rows and events commit together or not at
// all. An embedder's own statements join it through the backend:
// bunstore.TxDB(tx) is the transaction's bun.IDB; memory.OnRollback(tx, f)
// undoes an in-memory write if the unit of work fails.
type Tx interface {
	directory.Tx
	serviceorders.Tx // which includes tickets.Tx and inventory.Tx
	attachments.Tx
}

// errTxUnsupported is returned by InTx when the store's units of work do
// not span every domain.
var errTxUnsupported = errors.New("helpdesk: the store's units of work do not span every domain (both bunstore and memory do)")

// InTx runs fn as one unit of work of the desk's store: everything written
// through tx, by the services' ...Tx methods and by the embedder's own
// statements, commits when fn returns nil and is rolled back, events
// included, when it returns an error or panics. The services' checks
// (permissions, tenant, validation) run inside their ...Tx methods as they
// do outside.
func (d *Desk) InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	return d.store.ServiceOrders().InTx(ctx, func(ctx context.Context, tx serviceorders.Tx) error {
		all, ok := tx.(Tx)
		if !ok {
			return errTxUnsupported
		}
		return fn(ctx, all)
	})
}
