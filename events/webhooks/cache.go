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
	// changes counts forget calls: the endpoints' workers read their
	// endpoint again when it moved (see endpointCopy).
	changes atomic.Uint64
}

// generation is the number of changes the service made to endpoints.
func (c *endpointCache) generation() uint64 { return c.changes.Load() }

type cachedEndpoints struct {
	eps  []Endpoint
	at   time.Time
	gen  uint64 // bumped by forget
	read bool   // eps holds a read that no forget followed
}

// get returns the company's active endpoints, calling load when the cache
// has none fresh.
func (c *endpointCache) get(ctx context.Context, company tenant.CompanyID,
	load func(context.Context, tenant.CompanyID) ([]Endpoint, error)) ([]Endpoint, error) {
	c.mu.Lock()
	e := c.byCompany[company]
	if e.read && time.Since(e.at) < endpointCacheTTL {
		c.mu.Unlock()
		return e.eps, nil
	}
	gen := e.gen
	c.mu.Unlock()
	start := time.Now()
	eps, err := load(ctx, company)
	if err != nil {
		return nil, err
	}
	for i := range eps {
		eps[i].Secret = ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byCompany == nil {
		c.byCompany = map[tenant.CompanyID]cachedEndpoints{}
	}
	if cur := c.byCompany[company]; cur.gen == gen { // no change since the read began
		c.byCompany[company] = cachedEndpoints{eps: eps, at: start, gen: gen, read: true}
	}
	return eps, nil
}

// forget drops the company's entry: its endpoints changed.
func (c *endpointCache) forget(company tenant.CompanyID) {
	c.changes.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byCompany == nil {
		c.byCompany = map[tenant.CompanyID]cachedEndpoints{}
	}
	e := c.byCompany[company]
	c.byCompany[company] = cachedEndpoints{gen: e.gen + 1}
}
