package webui

import (
	"sync"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// nameCacheTTL is how long the console reuses a person's name or a
// company's list of agents: pages list many tickets, and their requesters
// and assignees change names rarely.
const nameCacheTTL = 30 * time.Second

// nameCacheMax bounds the names kept; a full cache starts over.
const nameCacheMax = 50_000

// nameKey names one cached name: a contact's, a user's email or (with
// person) a user's name, in a company.
type nameKey struct {
	company tenant.CompanyID
	user    bool
	person  bool
	id      int64
}

type nameEntry struct {
	name string
	at   time.Time
}

type agentsEntry struct {
	users []directory.User
	// names are the users' names, in the order of users.
	names []string
	at    time.Time
}

// nameCache keeps names and agent lists for a short while, per company.
// Callers check the reader's permission before they look a name up, so
// the cache never shows anyone what the services would not.
type nameCache struct {
	now    func() time.Time
	mu     sync.Mutex
	names  map[nameKey]nameEntry
	agents map[tenant.CompanyID]agentsEntry
}

func newNameCache(now func() time.Time) *nameCache {
	return &nameCache{now: now, names: map[nameKey]nameEntry{}, agents: map[tenant.CompanyID]agentsEntry{}}
}

func (c *nameCache) name(k nameKey) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.names[k]
	if !ok || c.now().Sub(e.at) >= nameCacheTTL {
		return "", false
	}
	return e.name, true
}

func (c *nameCache) putName(k nameKey, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.names) >= nameCacheMax {
		clear(c.names)
	}
	c.names[k] = nameEntry{name: name, at: c.now()}
}

// agentsOf returns a company's agents and their names, as putAgents kept
// them.
func (c *nameCache) agentsOf(company tenant.CompanyID) ([]directory.User, []string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.agents[company]
	if !ok || c.now().Sub(e.at) >= nameCacheTTL {
		return nil, nil, false
	}
	return e.users, e.names, true
}

func (c *nameCache) putAgents(company tenant.CompanyID, users []directory.User, names []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.agents) >= nameCacheMax/100 {
		clear(c.agents)
	}
	c.agents[company] = agentsEntry{users: users, names: names, at: c.now()}
}
