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
// (recorded or released), each with the end of its claim. The claims are
// renewed while the dispatcher lives, each shortly before it would end (a
// delivery sent soon after its claim costs no renewal); a delivery leaves
// the set when it is finished, or when writing its outcome failed, so that
// its claim lapses and it is sent again: a dispatcher never keeps a
// delivery it can no longer account for.
type claimSet struct {
	mu  sync.Mutex
	ids map[int64]time.Time
}

func (c *claimSet) add(ds []Delivery) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range ds {
		c.ids[d.ID] = d.ClaimedUntil
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

// ending lists the claims that end before t.
func (c *claimSet) ending(t time.Time) []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int64
	for id, until := range c.ids {
		if until.Before(t) {
			out = append(out, id)
		}
	}
	return out
}

// renewed records the new end of the listed claims still held.
func (c *claimSet) renewed(ids []int64, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if _, ok := c.ids[id]; ok {
			c.ids[id] = until
		}
	}
}

// keepClaims renews, every third of a lease until ctx is done, the
// service's claims that would end before the tick after next.
func (s *Service) keepClaims(ctx context.Context) {
	every := s.lease() / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := s.cfg.Now().UTC()
		ids := s.claims.ending(now.Add(2 * every))
		if len(ids) == 0 {
			continue
		}
		until := now.Add(s.lease())
		if err := s.store.RenewClaims(ctx, s.owner, ids, until); err != nil {
			if ctx.Err() == nil {
				s.cfg.Logger.WarnContext(ctx, "webhooks: renewing claims failed; they lapse unless the next renewal works",
					"deliveries", len(ids), "error", err)
			}
			continue
		}
		s.claims.renewed(ids, until)
	}
}
