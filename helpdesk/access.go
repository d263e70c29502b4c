package helpdesk

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/auth"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// DefaultAccessRecheck is how long the access check trusts what it read
// about a user, a company or a session: a change made through another
// server instance takes effect there within this time (on the instance
// that made it, at once).
const DefaultAccessRecheck = time.Second

// ErrAccessChanged is returned by Authenticate, wrapped with
// auth.ErrTokenInvalid, for an access token whose session was revoked or
// whose user no longer has its role or company.
var ErrAccessChanged = errors.New("the account or session changed since the token was issued: sign in again")

// accessCheck decides whether an access token still describes its user:
// the session is live, the user is active with the token's role and
// company, and the company is active. It remembers what it read for
// recheck (real time, not the desk's clock), and forgets it when the
// directory reports a change (it is the directory's AccessObserver).
type accessCheck struct {
	store   directory.Queries
	recheck time.Duration
	mu      sync.Mutex
	// gen counts the changes reported; a read begun before one is not
	// remembered, since it may predate the change.
	gen     uint64
	users   map[tenant.UserID]known[directory.User]
	comps   map[tenant.CompanyID]known[bool]
	session map[string]sessionState
	// web holds the sessions Desk.CheckSession returned, by the digest of
	// their refresh token; any change reported forgets them all.
	web map[string]known[Session]
}

// known is a value read at a time.
type known[T any] struct {
	v  T
	at time.Time
}

type sessionState struct {
	known[bool]
	user tenant.UserID
}

func newAccessCheck(store directory.Queries, recheck time.Duration) *accessCheck {
	return &accessCheck{store: store, recheck: recheck, users: map[tenant.UserID]known[directory.User]{},
		comps: map[tenant.CompanyID]known[bool]{}, session: map[string]sessionState{},
		web: map[string]known[Session]{}}
}

// maxRemembered bounds each map; past it, entries older than recheck are
// dropped (they would be read again anyway).
const maxRemembered = 10000

// check returns nil when c may still act.
func (a *accessCheck) check(ctx context.Context, c auth.Claims) error {
	if a.allowed(c) {
		return nil
	}
	u, err := a.user(ctx, c.CompanyID, c.UserID)
	if errors.Is(err, errNoSuchUser) {
		return fmt.Errorf("%w: %w", auth.ErrTokenInvalid, ErrAccessChanged)
	} else if err != nil {
		return err
	}
	if !u.Active {
		return directory.ErrAccountDisabled
	}
	if u.Role != c.Role || u.CompanyID != c.CompanyID {
		return fmt.Errorf("%w: %w", auth.ErrTokenInvalid, ErrAccessChanged)
	}
	if u.CompanyID != 0 {
		active, err := a.company(ctx, u.CompanyID)
		if err != nil {
			return err
		}
		if !active {
			return directory.ErrAccountDisabled
		}
	}
	live, err := a.live(ctx, c.SessionID, c.UserID)
	if err != nil {
		return err
	}
	if !live {
		return fmt.Errorf("%w: %w", auth.ErrTokenInvalid, ErrAccessChanged)
	}
	return nil
}

// allowed is check's fast path: everything it needs known, fresh and in
// favour of c, under one lock.
func (a *accessCheck) allowed(c auth.Claims) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.users[c.UserID]
	if !ok || !a.fresh(u.at) || !u.v.Active || u.v.Role != c.Role || u.v.CompanyID != c.CompanyID {
		return false
	}
	if c.CompanyID != 0 {
		if k, ok := a.comps[c.CompanyID]; !ok || !a.fresh(k.at) || !k.v {
			return false
		}
	}
	s, ok := a.session[c.SessionID]
	return ok && a.fresh(s.at) && s.v && s.user == c.UserID
}

var errNoSuchUser = errors.New("no such user")

func (a *accessCheck) fresh(at time.Time) bool { return time.Since(at) < a.recheck }

func (a *accessCheck) user(ctx context.Context, company tenant.CompanyID, id tenant.UserID) (directory.User, error) {
	a.mu.Lock()
	s, ok := a.users[id]
	a.mu.Unlock()
	if ok && a.fresh(s.at) && s.v.CompanyID == company {
		return s.v, nil
	}
	at, gen := a.begin()
	u, err := a.store.UserByID(ctx, company, id)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return directory.User{}, errNoSuchUser
		}
		return directory.User{}, err
	}
	u.PasswordHash = nil // not kept
	a.mu.Lock()
	if a.gen == gen {
		sweep(a.users, a.recheck, func(k known[directory.User]) time.Time { return k.at })
		a.users[id] = known[directory.User]{u, at}
	}
	a.mu.Unlock()
	return u, nil
}

func (a *accessCheck) company(ctx context.Context, id tenant.CompanyID) (bool, error) {
	a.mu.Lock()
	k, ok := a.comps[id]
	a.mu.Unlock()
	if ok && a.fresh(k.at) {
		return k.v, nil
	}
	at, gen := a.begin()
	c, err := a.store.CompanyByID(ctx, id)
	if err != nil {
		return false, err
	}
	a.mu.Lock()
	if a.gen == gen {
		sweep(a.comps, a.recheck, func(k known[bool]) time.Time { return k.at })
		a.comps[id] = known[bool]{c.Active, at}
	}
	a.mu.Unlock()
	return c.Active, nil
}

func (a *accessCheck) live(ctx context.Context, sid string, user tenant.UserID) (bool, error) {
	a.mu.Lock()
	s, ok := a.session[sid]
	a.mu.Unlock()
	if ok && a.fresh(s.at) && s.user == user {
		return s.v, nil
	}
	at, gen := a.begin()
	live, err := a.store.SessionLive(ctx, sid)
	if err != nil {
		return false, err
	}
	a.mu.Lock()
	if a.gen == gen {
		sweep(a.session, a.recheck, func(s sessionState) time.Time { return s.at })
		a.session[sid] = sessionState{known[bool]{live, at}, user}
	}
	a.mu.Unlock()
	return live, nil
}

// webSession returns the session remembered for a refresh token's digest,
// if it is fresh.
func (a *accessCheck) webSession(key string) (Session, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k, ok := a.web[key]
	if !ok || !a.fresh(k.at) {
		return Session{}, false
	}
	return k.v, true
}

// rememberWebSession remembers s, read from at, unless a change was
// reported since (gen).
func (a *accessCheck) rememberWebSession(key string, s Session, at time.Time, gen uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen == gen {
		sweep(a.web, a.recheck, func(k known[Session]) time.Time { return k.at })
		a.web[key] = known[Session]{s, at}
	}
}

// forgetWebSession forgets the session remembered for a refresh token's
// digest.
func (a *accessCheck) forgetWebSession(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gen++
	delete(a.web, key)
}

// begin notes when a read starts and the changes reported so far.
func (a *accessCheck) begin() (time.Time, uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return time.Now(), a.gen
}

// sweep drops the stale entries of m once it is full. a.mu must be held.
func sweep[K comparable, V any](m map[K]V, recheck time.Duration, at func(V) time.Time) {
	if len(m) < maxRemembered {
		return
	}
	for k, v := range m {
		if time.Since(at(v)) >= recheck {
			delete(m, k)
		}
	}
}

// UserChanged implements directory.AccessObserver: the user and its
// sessions are read again.
func (a *accessCheck) UserChanged(id tenant.UserID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gen++
	clear(a.web)
	delete(a.users, id)
	for sid, s := range a.session {
		if s.user == id {
			delete(a.session, sid)
		}
	}
}

// CompanyChanged implements directory.AccessObserver.
func (a *accessCheck) CompanyChanged(id tenant.CompanyID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gen++
	clear(a.web)
	delete(a.comps, id)
}

// SessionRevoked implements directory.AccessObserver.
func (a *accessCheck) SessionRevoked(sid string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gen++
	clear(a.web)
	delete(a.session, sid)
}

// verifiedTokens remembers the claims of access tokens whose signature and
// claims were verified, by the token itself, until they expire: a token
// presented again skips the HMAC and the JSON decoding (its session and
// user are still checked on every request).
type verifiedTokens struct {
	mu sync.Mutex
	m  map[string]auth.Claims
}

// maxVerifiedTokens bounds verifiedTokens; when full it starts over.
const maxVerifiedTokens = 10000

// get returns the claims of token if it was verified and has not expired
// at now.
func (v *verifiedTokens) get(token string, now time.Time) (auth.Claims, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.m[token]
	if ok && !now.Before(c.ExpiresAt) {
		delete(v.m, token)
		return auth.Claims{}, false
	}
	return c, ok
}

func (v *verifiedTokens) put(token string, c auth.Claims) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= maxVerifiedTokens {
		v.m = make(map[string]auth.Claims)
	}
	v.m[token] = c
}
