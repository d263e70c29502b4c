package directory

import (
	"context"
	"sync"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// tokenCache remembers the API tokens presented lately, with whether their
// company was active, for recheck (real time): a request with a known
// token reads nothing. The Service forgets a token when it changes it and
// a company's tokens when it changes the company.
type tokenCache struct {
	recheck time.Duration
	mu      sync.Mutex
	// gen counts the changes made; a read begun before one is not
	// remembered, since it may predate the change.
	gen   uint64
	byKey map[string]cachedToken
	// uses are the tokens' last uses not yet written, by token.
	uses map[tokenRef]time.Time
}

// tokenRef names an API token.
type tokenRef struct {
	company tenant.CompanyID
	id      int64
}

type cachedToken struct {
	t      APIToken
	active bool
	at     time.Time
}

// maxCachedTokens bounds the cache; past it, stale entries are dropped.
const maxCachedTokens = 10000

func newTokenCache(recheck time.Duration) *tokenCache {
	return &tokenCache{recheck: recheck, byKey: map[string]cachedToken{}, uses: map[tokenRef]time.Time{}}
}

// get returns the token with lookup ID lookup and whether its company is
// active, from the cache when fresh, else from q.
func (c *tokenCache) get(ctx context.Context, q Queries, lookup string) (APIToken, bool, error) {
	c.mu.Lock()
	e, ok := c.byKey[lookup]
	gen := c.gen
	c.mu.Unlock()
	if ok && time.Since(e.at) < c.recheck {
		return e.t, e.active, nil
	}
	at := time.Now()
	t, err := q.APITokenByLookup(ctx, lookup)
	if err != nil {
		return APIToken{}, false, err
	}
	co, err := q.CompanyByID(ctx, t.CompanyID)
	if err != nil {
		return APIToken{}, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return t, co.Active, nil
	}
	if len(c.byKey) >= maxCachedTokens {
		for k, v := range c.byKey {
			if time.Since(v.at) >= c.recheck {
				delete(c.byKey, k)
			}
		}
	}
	c.byKey[lookup] = cachedToken{t: t, active: co.Active, at: at}
	return t, co.Active, nil
}

// used notes a use of t at, to be written by takeUses, when its last use
// is older than APITokenTouchInterval.
func (c *tokenCache) used(lookup string, t APIToken, at time.Time) {
	if at.Sub(t.LastUsedAt) < APITokenTouchInterval {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.uses[tokenRef{t.CompanyID, t.ID}] = at
	if e, ok := c.byKey[lookup]; ok {
		e.t.LastUsedAt = at
		c.byKey[lookup] = e
	}
}

// lastUse returns t with its last use not yet written, if any.
func (c *tokenCache) lastUse(t APIToken) APIToken {
	c.mu.Lock()
	defer c.mu.Unlock()
	if at, ok := c.uses[tokenRef{t.CompanyID, t.ID}]; ok && at.After(t.LastUsedAt) {
		t.LastUsedAt = at
	}
	return t
}

// takeUses returns the uses not yet written and forgets them.
func (c *tokenCache) takeUses() map[tokenRef]time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.uses) == 0 {
		return nil
	}
	out := c.uses
	c.uses = map[tokenRef]time.Time{}
	return out
}

// returnUses puts back uses whose write failed, unless a later use of the
// same token came meanwhile.
func (c *tokenCache) returnUses(uses map[tokenRef]time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ref, at := range uses {
		if cur, ok := c.uses[ref]; !ok || at.After(cur) {
			c.uses[ref] = at
		}
	}
}

func (c *tokenCache) forget(lookup string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.byKey, lookup)
}

func (c *tokenCache) forgetCompany(id tenant.CompanyID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.byKey {
		if e.t.CompanyID == id {
			delete(c.byKey, k)
		}
	}
}
