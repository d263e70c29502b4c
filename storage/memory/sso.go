package memory

import (
	"context"
	"fmt"
	"slices"

	"github.com/sistemaboladao/boladao/helpdesk/sso"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// Compile-time proof that the store serves single sign-on's contract.
var _ sso.Store = integrationsStore{}

// SSO returns the store as single sign-on's contract.
func (s *Store) SSO() sso.Store { return integrationsStore{reader: reader{s: s}, s: s} }

func cloneSSO(st sso.Settings) sso.Settings {
	st.AllowedDomains = append([]string{}, st.AllowedDomains...)
	return st
}

// SSOSettings implements sso.Store.
func (i integrationsStore) SSOSettings(ctx context.Context, company tenant.CompanyID) (sso.Settings, error) {
	unlock, err := i.rlock(ctx, "reading sso settings")
	if err != nil {
		return sso.Settings{}, err
	}
	defer unlock()
	st, ok := i.it().sso[company]
	if !ok {
		return sso.Settings{}, fmt.Errorf("memory: sso settings of company %d: %w", company, storage.ErrNotFound)
	}
	return cloneSSO(st), nil
}

// SaveSSOSettings implements sso.Store as the SQL backends do.
func (i integrationsStore) SaveSSOSettings(ctx context.Context, st *sso.Settings) error {
	unlock, err := i.s.lock(ctx, "saving sso settings")
	if err != nil {
		return err
	}
	defer unlock()
	rows := i.it().sso
	old, exists := rows[st.CompanyID]
	switch {
	case !i.companyExists(st.CompanyID):
		return fmt.Errorf("memory: sso settings: company %d: %w", st.CompanyID, storage.ErrNotFound)
	case st.Version == 0 && exists:
		return fmt.Errorf("memory: sso settings of company %d exist: %w", st.CompanyID, storage.ErrConflict)
	case st.Version != 0 && !exists:
		return fmt.Errorf("memory: sso settings of company %d: %w", st.CompanyID, storage.ErrNotFound)
	case st.Version != 0 && old.Version != st.Version:
		return fmt.Errorf("memory: sso settings of company %d: %w", st.CompanyID, storage.ErrStale)
	}
	next := cloneSSO(*st)
	next.Version++
	next.CreatedAt, next.UpdatedAt = st.CreatedAt.UTC(), st.UpdatedAt.UTC()
	if exists {
		next.CreatedAt = old.CreatedAt
	}
	rows[st.CompanyID] = next
	*st = cloneSSO(next)
	i.s.t.changes.recordPending(ctx, int64(st.CompanyID))
	return nil
}

// SSOCompaniesForDomain implements sso.Store.
func (i integrationsStore) SSOCompaniesForDomain(ctx context.Context, domain string) ([]tenant.CompanyID, error) {
	unlock, err := i.rlock(ctx, "finding sso settings")
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := []tenant.CompanyID{}
	for c, st := range i.it().sso {
		if st.Enabled && slices.Contains(st.AllowedDomains, domain) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out, nil
}
