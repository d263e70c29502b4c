package webhooks

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// endpointCacheTTL is how long an endpoint's worker trusts the endpoint
// (URL, secret) it read: the service's own changes take effect at once,
// changes made by another process within this time.
const endpointCacheTTL = time.Second

// endpointCache keeps each company's endpoints as HandleEvent last read
// them; a read serves the events that arrived before it began (see get).
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

// get returns the company's endpoints as read after notBefore, calling
// load when the cache has no such read. HandleEvent passes the time its
// events arrived: they were committed before it, so a read begun after it
// sees every endpoint created before they were committed, whichever
// process created it. (A cache trusted for a while instead missed, on
// another instance, the endpoints created meanwhile: their first events
// got no delivery.)
func (c *endpointCache) get(ctx context.Context, company tenant.CompanyID, notBefore time.Time,
	load func(context.Context, tenant.CompanyID) ([]Endpoint, error)) ([]Endpoint, error) {
	c.mu.Lock()
	e, ok := c.byCompany[company]
	c.mu.Unlock()
	if ok && e.at.After(notBefore) {
		return e.eps, nil
	}
	gen, start := c.generation(), time.Now()
	eps, err := load(ctx, company)
	if err != nil {
		return nil, err
	}
	for i := range eps {
		eps[i].Secret, eps[i].PreviousSecret = "", ""
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
