package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// newOwner returns a random name for a dispatcher's claims.
func newOwner() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms.
	return "d_" + hex.EncodeToString(b)
}

// claimSet holds the deliveries a dispatcher claimed and has not finished
// (recorded or released). Their claims are renewed while it lives; a
// delivery leaves the set when it is finished, or when writing its outcome
// failed, so that its claim lapses and it is sent again: a dispatcher
// never keeps a delivery it can no longer account for.
type claimSet struct {
	mu  sync.Mutex
	ids map[int64]struct{}
}

func (c *claimSet) add(ds []Delivery) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range ds {
		c.ids[d.ID] = struct{}{}
	}
}

func (c *claimSet) remove(ds []Delivery) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range ds {
		delete(c.ids, d.ID)
	}
}

func (c *claimSet) removeRecords(recs []AttemptRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range recs {
		delete(c.ids, r.Delivery.ID)
	}
}

func (c *claimSet) list() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]int64, 0, len(c.ids))
	for id := range c.ids {
		out = append(out, id)
	}
	return out
}

// keepClaims renews the service's claims every third of a lease until ctx
// is done.
func (s *Service) keepClaims(ctx context.Context) {
	t := time.NewTicker(s.lease() / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ids := s.claims.list()
		if len(ids) == 0 {
			continue
		}
		if err := s.store.RenewClaims(ctx, s.owner, ids, s.cfg.Now().UTC().Add(s.lease())); err != nil && ctx.Err() == nil {
			s.cfg.Logger.WarnContext(ctx, "webhooks: renewing claims failed; they lapse unless the next renewal works",
				"deliveries", len(ids), "error", err)
		}
	}
}
