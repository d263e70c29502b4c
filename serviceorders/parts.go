package serviceorders

import (
	"context"
	"fmt"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// AddPart consumes quantity units of a stock item for an order that is not
// completed, invoiced or cancelled, and lists them on the order at the
// item's unit cost. The stock's available count goes down in the same unit
// of work (inventory.stock_consumed); insufficient stock fails with
// inventory.ErrInsufficientStock and writes nothing. It needs
// tenant.PermOrdersManage and emits service_order.part_added.
func (s *Service) AddPart(ctx context.Context, actor tenant.Actor, orderID, stockItemID int64, quantity int) (Part, error) {
	if err := actor.RequireIn(tenant.PermOrdersManage); err != nil {
		return Part{}, err
	}
	var p Part
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		o, err := orderInWork(ctx, tx, actor.CompanyID, orderID)
		if err != nil {
			return err
		}
		st, err := s.inventory.ConsumeTx(ctx, tx, actor, stockItemID, quantity)
		if err != nil {
			return err
		}
		now := s.clock()
		p = Part{CompanyID: o.CompanyID, OrderID: o.ID, StockItemID: st.ID, Name: st.Name, Quantity: quantity,
			UnitCostCents: st.UnitCostCents, CreatedBy: actor.UserID, CreatedAt: now}
		if err := tx.InsertPart(ctx, &p); err != nil {
			return err
		}
		return emit(ctx, tx, actor, "service_order.part_added", o, now, map[string]any{"service_order_id": o.ID,
			"number": o.Number, "part_id": p.ID, "stock_item_id": st.ID, "name": st.Name, "quantity": quantity,
			"unit_cost_cents": st.UnitCostCents, "available": st.Available})
	})
	if err != nil {
		return Part{}, fmt.Errorf("adding a part to service order %d: %w", orderID, err)
	}
	return p, nil
}
