package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/storage"
)

// readScope checks that the actor may read assets and tells whether it is
// limited to those assigned to its own contact (requesters).
func readScope(actor tenant.Actor) (ownOnly bool, err error) {
	err = actor.RequireIn(tenant.PermAssetsRead)
	if err == nil || errors.Is(err, tenant.ErrNoCompany) {
		return false, err
	}
	if err := actor.RequireIn(tenant.PermAssetsReadOwn); err != nil {
		return false, err
	}
	return true, nil
}

// visible hides an asset from a requester it is not assigned to, exactly as
// if it did not exist.
func visible(a Asset, actor tenant.Actor, ownOnly bool) error {
	if ownOnly && (actor.ContactID == 0 || a.AssigneeContactID != actor.ContactID) {
		return fmt.Errorf("asset %d: %w", a.ID, storage.ErrNotFound)
	}
	return nil
}

// GetAsset reads an asset of the actor's company.
func (s *Service) GetAsset(ctx context.Context, actor tenant.Actor, id int64) (Asset, error) {
	own, err := readScope(actor)
	if err != nil {
		return Asset{}, err
	}
	a, err := s.store.AssetByID(ctx, actor.CompanyID, id)
	if err != nil {
		return Asset{}, fmt.Errorf("asset %d: %w", id, err)
	}
	return a, visible(a, actor, own)
}

// GetAssetBySerial reads an asset of the actor's company by its serial.
func (s *Service) GetAssetBySerial(ctx context.Context, actor tenant.Actor, serial string) (Asset, error) {
	own, err := readScope(actor)
	if err != nil {
		return Asset{}, err
	}
	var b validation.Builder
	if serial == "" {
		b.Add("serial", "is required: the asset's serial, such as ACME-2026-000001")
	}
	b.Filter("serial", serial)
	if err := b.Err(); err != nil {
		return Asset{}, err
	}
	a, err := s.store.AssetBySerial(ctx, actor.CompanyID, serial)
	if err != nil {
		return Asset{}, fmt.Errorf("asset %q: %w", serial, err)
	}
	return a, visible(a, actor, own)
}

// ListAssets lists the assets of the actor's company; a requester sees only
// those assigned to it.
func (s *Service) ListAssets(ctx context.Context, actor tenant.Actor, f AssetFilter, p storage.PageRequest) (storage.Page[Asset], error) {
	own, err := readScope(actor)
	if err != nil {
		return storage.Page[Asset]{}, err
	}
	var b validation.Builder
	if f.Status != "" && !s.machine.Valid(f.Status) {
		b.Add("status", "must be one of in_stock, assigned, in_use, in_repair, retired, lost")
	}
	b.Filter("category", f.Category)
	b.Filter("location", f.Location)
	b.Search("q", f.Search)
	switch f.Sort {
	case "", SortCreated, SortName:
	default:
		b.Add("sort", "must be created or name")
	}
	if !f.WarrantyFrom.IsZero() && !f.WarrantyTo.IsZero() && !f.WarrantyTo.After(f.WarrantyFrom) {
		b.Add("warranty_to", "must be after warranty_from")
	}
	if err := b.Err(); err != nil {
		return storage.Page[Asset]{}, err
	}
	if own {
		if actor.ContactID == 0 {
			return storage.Page[Asset]{Items: []Asset{}}, nil
		}
		f.AssigneeContactID = actor.ContactID
	}
	return s.store.ListAssets(ctx, actor.CompanyID, f, p.Normalize())
}

// History lists an asset's recorded changes, oldest first.
func (s *Service) History(ctx context.Context, actor tenant.Actor, id int64, p storage.PageRequest) (storage.Page[HistoryEntry], error) {
	if _, err := s.GetAsset(ctx, actor, id); err != nil {
		return storage.Page[HistoryEntry]{}, err
	}
	return s.store.AssetHistory(ctx, actor.CompanyID, id, p.Normalize())
}

// AssetPatch holds the asset fields to change; nil fields are kept. A
// Status change goes through the lifecycle's transition table, with Reason
// for retiring or losing and AssigneeContactID for assigning. Version, when
// non-zero, must equal the current version (If-Match).
type AssetPatch struct {
	Name               *string
	Location           *string
	ManufacturerSerial *string
	Status             *Status
	// AssigneeContactID assigns (non-zero) or unassigns (zero) the asset.
	AssigneeContactID *tenant.ContactID
	Reason            string
	Version           int64
}

// UpdateAsset changes an asset of the actor's company, records every change
// in its history and emits events (asset.updated, asset.moved,
// asset.assigned, asset.unassigned, asset.status_changed, asset.retired).
func (s *Service) UpdateAsset(ctx context.Context, actor tenant.Actor, id int64, p AssetPatch) (Asset, error) {
	if err := actor.RequireIn(tenant.PermAssetsManage); err != nil {
		return Asset{}, err
	}
	var out Asset
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		a, err := tx.AssetByID(ctx, actor.CompanyID, id)
		if err != nil {
			return err
		}
		if p.Version != 0 && p.Version != a.Version {
			return fmt.Errorf("expected version %d, current is %d: %w", p.Version, a.Version, storage.ErrStale)
		}
		c := change{s: s, tx: tx, actor: actor, before: a, after: a}
		if err := c.apply(ctx, p); err != nil {
			return err
		}
		if len(c.entries) == 0 {
			out = a
			return nil
		}
		c.after.UpdatedAt = c.now
		if err := tx.UpdateAsset(ctx, &c.after); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return validation.Field("manufacturer_serial", "is already registered for this manufacturer")
			}
			return err
		}
		if err := tx.AppendAssetHistory(ctx, c.entries...); err != nil {
			return err
		}
		for _, typ := range c.events {
			if err := emit(ctx, tx, actor, typ, a.CompanyID, "asset", a.ID, c.now, assetData(c.after)); err != nil {
				return err
			}
		}
		out = c.after
		return nil
	})
	if err != nil {
		return Asset{}, fmt.Errorf("updating asset %d: %w", id, err)
	}
	return out, nil
}

// Assign assigns an asset to a contact of the actor's company (moving it to
// assigned when it was in stock or in repair).
func (s *Service) Assign(ctx context.Context, actor tenant.Actor, id int64, contact tenant.ContactID, version int64) (Asset, error) {
	if err := actor.RequireIn(tenant.PermAssetsManage); err != nil {
		return Asset{}, err
	}
	if contact == 0 {
		return Asset{}, validation.Field("contact_id", "is required")
	}
	return s.UpdateAsset(ctx, actor, id, AssetPatch{AssigneeContactID: &contact, Version: version})
}

// Unassign takes an asset back from its contact into stock.
func (s *Service) Unassign(ctx context.Context, actor tenant.Actor, id int64, version int64) (Asset, error) {
	none := tenant.ContactID(0)
	return s.UpdateAsset(ctx, actor, id, AssetPatch{AssigneeContactID: &none, Version: version})
}

// Retire retires an asset for good, with a reason.
func (s *Service) Retire(ctx context.Context, actor tenant.Actor, id int64, reason string, version int64) (Asset, error) {
	st := StatusRetired
	return s.UpdateAsset(ctx, actor, id, AssetPatch{Status: &st, Reason: reason, Version: version})
}

// change accumulates the effects of one AssetPatch.
type change struct {
	s             *Service
	tx            Tx
	actor         tenant.Actor
	before, after Asset
	now           time.Time
	entries       []HistoryEntry
	events        []string
}

func (c *change) record(action, field, from, to, note string) {
	c.entries = append(c.entries, HistoryEntry{CompanyID: c.before.CompanyID, AssetID: c.before.ID, At: c.now,
		ActorUserID: c.actor.UserID, Action: action, Field: field, From: from, To: to, Note: note})
}

// event records an event type to emit once the change is written; each
// type is emitted once per change.
func (c *change) event(typ string) {
	if !slices.Contains(c.events, typ) {
		c.events = append(c.events, typ)
	}
}

func (c *change) apply(ctx context.Context, p AssetPatch) error {
	c.now = c.s.clock()
	var b validation.Builder
	if p.Name != nil {
		if name := b.Text("name", *p.Name, 1, MaxNameLength); name != c.after.Name && b.Err() == nil {
			c.record("updated", "name", c.after.Name, name, "")
			c.after.Name = name
			c.event("asset.updated")
		}
	}
	if p.ManufacturerSerial != nil {
		if ms := b.Text("manufacturer_serial", *p.ManufacturerSerial, 0, MaxFieldLength); ms != c.after.ManufacturerSerial && b.Err() == nil {
			c.record("updated", "manufacturer_serial", c.after.ManufacturerSerial, ms, "")
			c.after.ManufacturerSerial = ms
			c.event("asset.updated")
		}
	}
	if p.Location != nil {
		if loc := b.Text("location", *p.Location, 0, MaxFieldLength); loc != c.after.Location && b.Err() == nil {
			c.record("moved", "location", c.after.Location, loc, "")
			c.after.Location = loc
			c.event("asset.moved")
		}
	}
	reason := b.Text("reason", p.Reason, 0, MaxNameLength)
	if err := b.Err(); err != nil {
		return err
	}
	if p.AssigneeContactID != nil {
		if err := c.assign(ctx, *p.AssigneeContactID); err != nil {
			return err
		}
	}
	if p.Status != nil && *p.Status != c.after.Status {
		if err := c.transition(ctx, *p.Status, reason); err != nil {
			return err
		}
	}
	return nil
}

// assign moves the asset to contact (or back to stock for zero).
func (c *change) assign(ctx context.Context, contact tenant.ContactID) error {
	if contact == c.after.AssigneeContactID {
		return nil
	}
	if contact == 0 {
		if c.after.Status == StatusAssigned || c.after.Status == StatusInUse {
			// Returning to stock unassigns, and records it.
			return c.transition(ctx, StatusInStock, "")
		}
		c.record("unassigned", "assignee_contact_id", idString(c.after.AssigneeContactID), "", "")
		c.after.AssigneeContactID = 0
		c.event("asset.unassigned")
		return nil
	}
	ct, err := c.tx.ContactByID(ctx, c.actor.CompanyID, contact)
	if errors.Is(err, storage.ErrNotFound) {
		return validation.Field("contact_id", "no contact %d in this company", contact)
	} else if err != nil {
		return err
	}
	if !ct.Active {
		return validation.Field("contact_id", "contact %d is deactivated", contact)
	}
	from := c.after.AssigneeContactID
	c.after.AssigneeContactID = contact
	if c.after.Status != StatusAssigned && c.after.Status != StatusInUse {
		if err := c.s.machine.Check(workflow.Attempt[Status]{Actor: c.actor, From: c.after.Status, To: StatusAssigned,
			Fields: map[string]any{"assignee_contact_id": int64(contact)}}); err != nil {
			return err
		}
		c.record("status_changed", "status", string(c.after.Status), string(StatusAssigned), "")
		c.after.Status = StatusAssigned
		c.event("asset.status_changed")
	}
	c.record("assigned", "assignee_contact_id", idString(from), idString(contact), ct.Name)
	c.event("asset.assigned")
	return nil
}

// transition moves the asset through the lifecycle table.
func (c *change) transition(ctx context.Context, to Status, reason string) error {
	if !c.s.machine.Valid(to) {
		return validation.Field("status", "must be one of in_stock, assigned, in_use, in_repair, retired, lost")
	}
	fields := map[string]any{"reason": reason, "assignee_contact_id": int64(c.after.AssigneeContactID)}
	if err := c.s.machine.Check(workflow.Attempt[Status]{Actor: c.actor, From: c.after.Status, To: to, Fields: fields}); err != nil {
		return err
	}
	c.record("status_changed", "status", string(c.after.Status), string(to), reason)
	if to == StatusInStock || to == StatusRetired || to == StatusLost {
		if c.after.AssigneeContactID != 0 && to != StatusLost {
			c.record("unassigned", "assignee_contact_id", idString(c.after.AssigneeContactID), "", "")
			c.after.AssigneeContactID = 0
			c.event("asset.unassigned")
		}
	}
	c.after.Status = to
	switch to {
	case StatusRetired:
		c.after.RetiredReason = reason
		c.event("asset.retired")
	case StatusLost:
		c.after.RetiredReason = reason
		c.event("asset.lost")
	default:
		c.after.RetiredReason = ""
	}
	c.event("asset.status_changed")
	return nil
}

func idString[T ~int64](id T) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(int64(id), 10)
}
