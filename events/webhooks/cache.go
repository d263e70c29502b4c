package webhooks

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// endpointCacheTTL is how long HandleEvent trusts the active endpoints it
// read for a company, and an endpoint's worker the endpoint (URL, secret)
// it read. The service's own changes take effect at once; changes made by
// another process within this time.
const endpointCacheTTL = time.Second

// endpointCache keeps each company's active endpoints for HandleEvent,
// which would otherwise read them for every group of events it writes.
// Secrets are not kept: a delivery reads its endpoint again when it is
// sent.
type endpointCache struct {
	mu        sync.Mutex
	byCompany map[tenant.CompanyID]cachedEndpoints
	// changes counts forget calls: a read that a change overtook is not
	// kept, and the endpoints' workers read their endpoint again (see
	// endpointCopy).
	changes atomic.Uint64
}

// generation is the number of changes the service made to endpoints.
func (c *endpointCache) generation() uint64 { return c.changes.Load() }

type cachedEndpoints struct {
	eps []Endpoint
	at  time.Time
}

// get returns the company's active endpoints, calling load when the cache
// has none fresh.
func (c *endpointCache) get(ctx context.Context, company tenant.CompanyID,
	load func(context.Context, tenant.CompanyID) ([]Endpoint, error)) ([]Endpoint, error) {
	c.mu.Lock()
	e, ok := c.byCompany[company]
	c.mu.Unlock()
	if ok && time.Since(e.at) < endpointCacheTTL {
		return e.eps, nil
	}
	gen, start := c.generation(), time.Now()
	eps, err := load(ctx, company)
	if err != nil {
		return nil, err
	}
	for i := range eps {
		eps[i].Secret = ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.generation() == gen { // no change since the read began
		if c.byCompany == nil {
			c.byCompany = map[tenant.CompanyID]cachedEndpoints{}
		}
		c.byCompany[company] = cachedEndpoints{eps: eps, at: start}
	}
	return eps, nil
}

// forget drops the company's entry: its endpoints changed.
func (c *endpointCache) forget(company tenant.CompanyID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changes.Add(1)
	delete(c.byCompany, company)
}
