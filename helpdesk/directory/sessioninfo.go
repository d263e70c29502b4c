package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// SessionTouchInterval bounds how often a session's LastSeenAt is
// written: at most once per interval per session and server instance
// (and on every refresh), never once per request.
const SessionTouchInterval = time.Minute

// MaxUserAgent bounds the User-Agent kept with a session, in bytes.
const MaxUserAgent = 512

// SessionStart describes the client opening a session.
type SessionStart struct {
	// UserAgent and IP are the client's, as the edge saw them.
	UserAgent string
	IP        string
	// Restricted opens a session that may only enrol in two-factor
	// sign-in (the user must, and has not).
	Restricted bool
}

func (st SessionStart) info(id string, u User, now time.Time) SessionInfo {
	ua := strings.ToValidUTF8(st.UserAgent, "")
	for len(ua) > MaxUserAgent {
		_, size := utf8.DecodeLastRuneInString(ua)
		ua = ua[:len(ua)-size]
	}
	return SessionInfo{ID: id, UserID: u.ID, CompanyID: u.CompanyID, UserAgent: ua, IP: st.IP,
		Restricted: st.Restricted, CreatedAt: now, LastSeenAt: now}
}

// sessionSeen remembers when this instance last noted each session's
// use, and the uses noted and not yet written (see FlushUses).
type sessionSeen struct {
	mu      sync.Mutex
	m       map[string]time.Time
	pending map[string]sessionUse
}

// sessionUse is a session's last use: when, and from where.
type sessionUse struct {
	at time.Time
	ip string
}

// note records a use to write.
func (s *sessionSeen) note(id, ip string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		s.pending = map[string]sessionUse{}
	}
	s.pending[id] = sessionUse{at, ip}
}

// take returns the uses not yet written and forgets them.
func (s *sessionSeen) take() map[string]sessionUse {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.pending
	s.pending = nil
	return out
}

// putBack keeps uses whose write failed, unless a later use came.
func (s *sessionSeen) putBack(uses map[string]sessionUse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		s.pending = map[string]sessionUse{}
	}
	for id, u := range uses {
		if cur, ok := s.pending[id]; !ok || u.at.After(cur.at) {
			s.pending[id] = u
		}
	}
}

// overlay gives the sessions their uses not yet written.
func (s *sessionSeen) overlay(list []SessionInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, si := range list {
		if u, ok := s.pending[si.ID]; ok && u.at.After(si.LastSeenAt) {
			list[i].LastSeenAt = u.at
			if u.ip != "" {
				list[i].IP = u.ip
			}
		}
	}
}

// maxSeen bounds sessionSeen; when full it starts over (costing one
// write per session).
const maxSeen = 10000

// due reports whether the session's LastSeenAt should be written at now,
// and notes that it will be.
func (s *sessionSeen) due(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if last, ok := s.m[id]; ok && now.Sub(last) < SessionTouchInterval && !now.Before(last) {
		return false
	}
	if s.m == nil || len(s.m) >= maxSeen {
		s.m = make(map[string]time.Time)
	}
	s.m[id] = now
	return true
}

// SessionSeen notes that a session was used from ip, at most once per
// SessionTouchInterval per session. Edges call it on every authenticated
// request; it writes nothing: FlushUses writes the uses noted, with the
// API tokens', and the session lists show them meanwhile. The error is
// always nil (kept for edges that log it).
func (s *Service) SessionSeen(ctx context.Context, id, ip string) error {
	now := s.clock()
	if id != "" && s.seen.due(id, now) {
		s.seen.note(id, ip, now)
	}
	return nil
}

// flushSessionUses writes the sessions' uses noted since the last flush.
func (s *Service) flushSessionUses(ctx context.Context) (int, error) {
	uses := s.seen.take()
	if len(uses) == 0 {
		return 0, nil
	}
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		for id, u := range uses {
			if err := tx.TouchSession(ctx, id, u.ip, u.at); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.seen.putBack(uses)
		return 0, fmt.Errorf("writing session uses: %w", err)
	}
	return len(uses), nil
}

// sessionSet is a bounded set of session IDs.
type sessionSet struct {
	mu sync.Mutex
	m  map[string]struct{}
}

func (s *sessionSet) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[id]
	return ok
}

func (s *sessionSet) add(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil || len(s.m) >= maxSeen {
		s.m = make(map[string]struct{})
	}
	s.m[id] = struct{}{}
}

// SessionRestricted reports whether a session may only enrol in
// two-factor sign-in (SessionInfo.Restricted); a session without a
// description is not. A session is opened restricted or not and only
// ever loses the restriction, so the Service remembers the sessions it
// found unrestricted and reads the store again only for the others:
// edges may call it on every request.
func (s *Service) SessionRestricted(ctx context.Context, id string) (bool, error) {
	if s.unrestricted.has(id) {
		return false, nil
	}
	si, err := s.store.SessionByID(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		s.unrestricted.add(id)
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("reading session: %w", err)
	}
	if !si.Restricted {
		s.unrestricted.add(id)
	}
	return si.Restricted, nil
}

// SessionInfoOf reads a session's description; storage.ErrNotFound when
// it has none (sessions opened before descriptions were kept).
func (s *Service) SessionInfoOf(ctx context.Context, id string) (SessionInfo, error) {
	si, err := s.store.SessionByID(ctx, id)
	if err != nil {
		return SessionInfo{}, fmt.Errorf("reading session: %w", err)
	}
	return si, nil
}

// ListSessions lists the actor's own live sessions, newest first.
func (s *Service) ListSessions(ctx context.Context, actor tenant.Actor) ([]SessionInfo, error) {
	u, err := s.self(ctx, s.store, actor)
	if err != nil {
		return nil, err
	}
	return s.liveSessions(ctx, u.CompanyID, u.ID)
}

func (s *Service) liveSessions(ctx context.Context, company tenant.CompanyID, user tenant.UserID) ([]SessionInfo, error) {
	out, err := s.store.ListLiveSessions(ctx, company, user, s.clock())
	if err != nil {
		return nil, fmt.Errorf("listing sessions: %w", err)
	}
	s.seen.overlay(out)
	return out, nil
}

// RevokeOwnSession revokes one of the actor's own sessions; another
// user's session, or an unknown one, is storage.ErrNotFound.
func (s *Service) RevokeOwnSession(ctx context.Context, actor tenant.Actor, id string) error {
	u, err := s.self(ctx, s.store, actor)
	if err != nil {
		return err
	}
	return s.revokeSessionOf(ctx, u.ID, id)
}

func (s *Service) revokeSessionOf(ctx context.Context, user tenant.UserID, id string) error {
	si, err := s.store.SessionByID(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && si.UserID != user) {
		return fmt.Errorf("session: %w", storage.ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("revoking session: %w", err)
	}
	return s.RevokeSession(ctx, id)
}

// RevokeOtherSessions revokes every session of the actor but keep (the
// one the request comes from) and returns how many refresh tokens it
// revoked.
func (s *Service) RevokeOtherSessions(ctx context.Context, actor tenant.Actor, keep string) (int, error) {
	u, err := s.self(ctx, s.store, actor)
	if err != nil {
		return 0, err
	}
	return s.revokeUser(ctx, u.ID, keep)
}

func (s *Service) revokeUser(ctx context.Context, user tenant.UserID, keep string) (int, error) {
	var n int
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		n, err = tx.RevokeUserSessions(ctx, user, keep, s.clock())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("revoking sessions: %w", err)
	}
	s.observer.UserChanged(user)
	return n, nil
}

// ListUserSessions lists the live sessions of a user of the actor's
// company; it needs tenant.PermUsersManage. Another company's user is
// storage.ErrNotFound.
func (s *Service) ListUserSessions(ctx context.Context, actor tenant.Actor, id tenant.UserID) ([]SessionInfo, error) {
	if err := s.requireUsers(actor, tenant.PermUsersManage); err != nil {
		return nil, err
	}
	u, err := s.store.UserByID(ctx, actor.CompanyID, id)
	if err != nil {
		return nil, fmt.Errorf("user %d: %w", id, err)
	}
	return s.liveSessions(ctx, u.CompanyID, id)
}

// RevokeUserSession revokes one session of a user of the actor's
// company; it needs tenant.PermUsersManage.
func (s *Service) RevokeUserSession(ctx context.Context, actor tenant.Actor, id tenant.UserID, session string) error {
	if err := s.requireUsers(actor, tenant.PermUsersManage); err != nil {
		return err
	}
	if _, err := s.store.UserByID(ctx, actor.CompanyID, id); err != nil {
		return fmt.Errorf("user %d: %w", id, err)
	}
	return s.revokeSessionOf(ctx, id, session)
}

// RevokeAllUserSessions revokes every session of a user of the actor's
// company (the actor's own included when it is the user); it needs
// tenant.PermUsersManage and returns how many refresh tokens it revoked.
func (s *Service) RevokeAllUserSessions(ctx context.Context, actor tenant.Actor, id tenant.UserID) (int, error) {
	if err := s.requireUsers(actor, tenant.PermUsersManage); err != nil {
		return 0, err
	}
	if _, err := s.store.UserByID(ctx, actor.CompanyID, id); err != nil {
		return 0, fmt.Errorf("user %d: %w", id, err)
	}
	return s.revokeUser(ctx, id, "")
}

// Device is a User-Agent summarised: a browser and a system
// ("Firefox", "Linux"), or else the name of a tool ("curl").
type Device struct {
	Browser string
	OS      string
	Tool    string
}

// DeviceOf summarises a User-Agent for people in English: "Firefox on
// Linux", "Safari on iPhone", "curl"; "" stays "". Edges speaking other
// languages compose ParseDevice's parts themselves.
func DeviceOf(ua string) string {
	d := ParseDevice(ua)
	switch {
	case d.Browser != "" && d.OS != "":
		return d.Browser + " on " + d.OS
	case d.Browser != "":
		return d.Browser
	case d.OS != "":
		return d.OS
	}
	return d.Tool
}

// ParseDevice reads the browser and system of a User-Agent, or the name
// of the tool that sent it.
func ParseDevice(ua string) Device {
	if ua == "" {
		return Device{}
	}
	l := strings.ToLower(ua)
	has := func(s string) bool { return strings.Contains(l, s) }
	var d Device
	switch {
	case has("edg/"):
		d.Browser = "Edge"
	case has("opr/") || has("opera"):
		d.Browser = "Opera"
	case has("firefox/"):
		d.Browser = "Firefox"
	case has("chromium/"):
		d.Browser = "Chromium"
	case has("chrome/") || has("crios/"):
		d.Browser = "Chrome"
	case has("safari/") && has("version/"):
		d.Browser = "Safari"
	}
	switch {
	case has("iphone"):
		d.OS = "iPhone"
	case has("ipad"):
		d.OS = "iPad"
	case has("android"):
		d.OS = "Android"
	case has("windows"):
		d.OS = "Windows"
	case has("mac os x") || has("macintosh"):
		d.OS = "macOS"
	case has("cros"):
		d.OS = "ChromeOS"
	case has("linux"):
		d.OS = "Linux"
	}
	if d.Browser == "" && d.OS == "" {
		// A tool: its product name ("curl/8.5.0" → "curl").
		name, _, _ := strings.Cut(ua, "/")
		name, _, _ = strings.Cut(name, " ")
		if len(name) > 40 {
			name = name[:40]
		}
		d.Tool = strings.ToValidUTF8(name, "")
	}
	return d
}
