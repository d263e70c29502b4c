package directory

import (
	"context"
	"fmt"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/language"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

// MaxLanguageLength bounds User.Language.
const MaxLanguageLength = 35

// ProfilePatch holds what users may change of their own account; nil
// fields are kept.
type ProfilePatch struct {
	// Language is the user's preferred language, a BCP 47 tag ("pt-BR",
	// "en"); "" removes the preference (edges then follow the client's
	// Accept-Language).
	Language *string
}

// Profile returns the actor's own account. Every signed-in user may read
// it, whatever their role.
func (s *Service) Profile(ctx context.Context, actor tenant.Actor) (User, error) {
	if actor.UserID == 0 {
		return User{}, tenant.ErrForbidden
	}
	u, err := s.store.UserByID(ctx, actor.CompanyID, actor.UserID)
	if err != nil {
		return User{}, fmt.Errorf("reading own profile: %w", err)
	}
	return u, nil
}

// UpdateProfile changes the actor's own account (any role may) and emits
// user.updated.
func (s *Service) UpdateProfile(ctx context.Context, actor tenant.Actor, p ProfilePatch) (User, error) {
	if actor.UserID == 0 {
		return User{}, tenant.ErrForbidden
	}
	var b validation.Builder
	var lang string
	if p.Language != nil {
		lang = *p.Language
		if lang != "" {
			tag, err := language.Parse(lang)
			if err != nil || len(lang) > MaxLanguageLength {
				b.Add("language", "must be a language tag such as pt-BR or en")
			} else {
				lang = tag.String()
			}
		}
	}
	if err := b.Err(); err != nil {
		return User{}, err
	}
	var out User
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		u, err := tx.UserByID(ctx, actor.CompanyID, actor.UserID)
		if err != nil {
			return err
		}
		if p.Language != nil {
			u.Language = lang
		}
		u.UpdatedAt = s.clock()
		if err := tx.UpdateUser(ctx, &u); err != nil {
			return err
		}
		out = u
		data := userData(u)
		data["language"] = u.Language
		return s.emit(ctx, tx, actor, "user.updated", u.CompanyID, "user", int64(u.ID), u.UpdatedAt, data)
	})
	if err != nil {
		return User{}, fmt.Errorf("updating own profile: %w", err)
	}
	s.observer.UserChanged(actor.UserID)
	return out, nil
}

// ChangePassword changes the actor's own password once current is checked
// against the stored hash, and revokes every other login session of the
// user: keepSession names the session that stays signed in (the one the
// change is made from; "" revokes them all). A wrong current password is a
// field error on current_password and changes nothing; callers facing the
// network count it against their sign-in limits. It emits user.updated
// with password_changed and returns how many sessions it revoked.
func (s *Service) ChangePassword(ctx context.Context, actor tenant.Actor, current, next, keepSession string) (int, error) {
	if actor.UserID == 0 {
		return 0, tenant.ErrForbidden
	}
	var b validation.Builder
	if current == "" {
		b.Add("current_password", "is required")
	}
	switch {
	case len(next) < MinPasswordBytes:
		b.Add("password", "must have at least %d characters", MinPasswordBytes)
	case len(next) > MaxPasswordBytes:
		b.Add("password", "must have at most %d bytes", MaxPasswordBytes)
	case next == current:
		b.Add("password", "must differ from the current password")
	}
	if err := b.Err(); err != nil {
		return 0, err
	}
	u, err := s.store.UserByID(ctx, actor.CompanyID, actor.UserID)
	if err != nil {
		return 0, fmt.Errorf("changing password: %w", err)
	}
	if len(current) > MaxPasswordBytes || bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(current)) != nil {
		return 0, validation.Field("current_password", "is incorrect")
	}
	hash := s.hashPassword(&b, next)
	if err := b.Err(); err != nil {
		return 0, err
	}
	revoked := 0
	err = s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		u, err := tx.UserByID(ctx, actor.CompanyID, actor.UserID)
		if err != nil {
			return err
		}
		now := s.clock()
		u.PasswordHash, u.UpdatedAt = hash, now
		if err := tx.UpdateUser(ctx, &u); err != nil {
			return err
		}
		if revoked, err = tx.RevokeUserSessions(ctx, u.ID, keepSession, now); err != nil {
			return err
		}
		data := userData(u)
		data["password_changed"] = true
		data["sessions_revoked"] = revoked
		return s.emit(ctx, tx, actor, "user.updated", u.CompanyID, "user", int64(u.ID), now, data)
	})
	if err != nil {
		return 0, fmt.Errorf("changing password: %w", err)
	}
	s.observer.UserChanged(actor.UserID)
	return revoked, nil
}
