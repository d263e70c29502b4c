package loginguard

import (
	"fmt"
	"time"
)

// Config holds the limits of a Guard. The zero value of every field means
// its default.
type Config struct {
	// AccountRate and AccountBurst limit sign-in attempts per account
	// (default 10 per minute, burst 10).
	AccountRate  float64
	AccountBurst int
	// IPRate and IPBurst limit sign-in and refresh attempts per client IP
	// (default 1 per second, burst 30: an office behind one NAT address
	// signs in many people).
	IPRate  float64
	IPBurst int
	// BlockThreshold strikes from one IP within BlockWindow block it for
	// BlockFor (defaults 20, 10 minutes, 15 minutes).
	BlockThreshold int
	BlockWindow    time.Duration
	BlockFor       time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.AccountRate <= 0 {
		c.AccountRate = 10.0 / 60
	}
	if c.AccountBurst <= 0 {
		c.AccountBurst = 10
	}
	if c.IPRate <= 0 {
		c.IPRate = 1
	}
	if c.IPBurst <= 0 {
		c.IPBurst = 30
	}
	if c.BlockThreshold <= 0 {
		c.BlockThreshold = 20
	}
	if c.BlockWindow <= 0 {
		c.BlockWindow = 10 * time.Minute
	}
	if c.BlockFor <= 0 {
		c.BlockFor = 15 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Guard is the shared state of the sign-in limits. It is safe for
// concurrent use.
type Guard struct {
	account *Limiter
	ip      *Limiter
	blocks  *Blocker
	now     func() time.Time
}

// New returns a Guard with cfg's limits.
func New(cfg Config) (*Guard, error) {
	cfg = cfg.withDefaults()
	if cfg.AccountRate > 1e9 || cfg.IPRate > 1e9 {
		return nil, fmt.Errorf("loginguard: rates %v and %v per second: give finite rates", cfg.AccountRate, cfg.IPRate)
	}
	return &Guard{
		account: NewLimiter(cfg.AccountRate, cfg.AccountBurst, cfg.Now),
		ip:      NewLimiter(cfg.IPRate, cfg.IPBurst, cfg.Now),
		blocks:  NewBlocker(cfg.BlockThreshold, cfg.BlockWindow, cfg.BlockFor, cfg.Now),
		now:     cfg.Now,
	}, nil
}

// Accounts is the limiter of sign-in attempts per account (the lower-cased
// email).
func (g *Guard) Accounts() *Limiter { return g.account }

// IPs is the limiter of sign-in and refresh attempts per client IP.
func (g *Guard) IPs() *Limiter { return g.ip }

// Blocks is the blocker of client addresses.
func (g *Guard) Blocks() *Blocker { return g.blocks }

// Scope names the limit that refused an attempt.
type Scope string

// The limits AllowLogin checks, in order.
const (
	ScopeIP      Scope = "client IP"
	ScopeAccount Scope = "account"
)

// AllowLogin takes one attempt from the client IP's bucket, then from the
// account's. When either is empty it reports false, which limit refused
// and how long until an attempt will be allowed.
func (g *Guard) AllowLogin(ip, email string) (ok bool, scope Scope, retryAfter time.Duration) {
	if ok, retry := g.ip.Allow(ip); !ok {
		return false, ScopeIP, retry
	}
	if ok, retry := g.account.Allow(email); !ok {
		return false, ScopeAccount, retry
	}
	return true, "", 0
}

// Strike counts one strike against ip for reason and reports whether ip is
// now blocked, and until when.
func (g *Guard) Strike(ip, reason string) (blocked bool, until time.Time) {
	g.blocks.Strike(ip, reason)
	return g.blocks.Blocked(ip)
}

// Blocked reports whether ip is blocked now, and for how long still.
func (g *Guard) Blocked(ip string) (bool, time.Duration) {
	blocked, until := g.blocks.Blocked(ip)
	if !blocked {
		return false, 0
	}
	return true, until.Sub(g.now())
}
