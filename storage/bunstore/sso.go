package bunstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/sso"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// Compile-time proof that the store serves single sign-on's contract.
var _ sso.Store = (*Store)(nil)

// SSO returns the store as single sign-on's contract.
func (s *Store) SSO() sso.Store { return s }

type ssoSettingsRow struct {
	bun.BaseModel  `bun:"table:sso_settings"`
	CompanyID      int64     `bun:"company_id,pk"`
	Enabled        bool      `bun:"enabled"`
	Issuer         string    `bun:"issuer"`
	ClientID       string    `bun:"client_id"`
	ClientSecret   string    `bun:"client_secret"`
	AllowedDomains string    `bun:"allowed_domains"`
	DefaultRole    string    `bun:"default_role"`
	CreateUsers    bool      `bun:"create_users"`
	PasswordSignIn bool      `bun:"password_sign_in"`
	Version        int64     `bun:"version"`
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
}

func (r ssoSettingsRow) model() sso.Settings {
	domains := []string{}
	for d := range strings.SplitSeq(r.AllowedDomains, ",") {
		if d != "" {
			domains = append(domains, d)
		}
	}
	return sso.Settings{CompanyID: tenant.CompanyID(r.CompanyID), Enabled: r.Enabled, Issuer: r.Issuer,
		ClientID: r.ClientID, ClientSecret: r.ClientSecret, AllowedDomains: domains, DefaultRole: tenant.Role(r.DefaultRole),
		CreateUsers: r.CreateUsers, PasswordSignIn: r.PasswordSignIn, Version: r.Version, CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC()}
}

func (s *Store) ssoSettingsOn(ctx context.Context, db *bun.DB, company tenant.CompanyID) (sso.Settings, error) {
	var r ssoSettingsRow
	if err := db.NewSelect().Model(&r).Where("company_id = ?", int64(company)).Scan(ctx); err != nil {
		return sso.Settings{}, translate(err, fmt.Sprintf("sso settings of company %d", company))
	}
	return r.model(), nil
}

// SSOSettings implements sso.Store.
func (s *Store) SSOSettings(ctx context.Context, company tenant.CompanyID) (sso.Settings, error) {
	return s.ssoSettingsOn(ctx, s.read, company)
}

// SaveSSOSettings implements sso.Store.
func (s *Store) SaveSSOSettings(ctx context.Context, st *sso.Settings) error {
	r := ssoSettingsRow{CompanyID: int64(st.CompanyID), Enabled: st.Enabled, Issuer: st.Issuer, ClientID: st.ClientID,
		ClientSecret: st.ClientSecret, AllowedDomains: "," + strings.Join(st.AllowedDomains, ",") + ",",
		DefaultRole: string(st.DefaultRole), CreateUsers: st.CreateUsers, PasswordSignIn: st.PasswordSignIn, Version: 1,
		CreatedAt: st.CreatedAt.UTC(), UpdatedAt: st.UpdatedAt.UTC()}
	if err := s.saveSSO(ctx, &r, st.Version); err != nil {
		return err
	}
	saved, err := s.ssoSettingsOn(ctx, s.write, st.CompanyID)
	if err != nil {
		return err
	}
	*st = saved
	return nil
}

// SSOCompaniesForDomain implements sso.Store.
func (s *Store) SSOCompaniesForDomain(ctx context.Context, domain string) ([]tenant.CompanyID, error) {
	if strings.ContainsAny(domain, "%_,\\") {
		return []tenant.CompanyID{}, nil // no domain holds these
	}
	var ids []int64
	err := s.read.NewSelect().Table("sso_settings").Column("company_id").
		Where("enabled AND allowed_domains LIKE ?", "%,"+domain+",%").
		OrderExpr("company_id").Scan(ctx, &ids)
	if err != nil {
		return nil, translate(err, "finding the sso settings of "+domain)
	}
	out := make([]tenant.CompanyID, len(ids))
	for i, id := range ids {
		out[i] = tenant.CompanyID(id)
	}
	return out, nil
}

// saveSSO inserts the row (version 0) or updates the row of that version,
// with the changes ctx carries for the audit trail (audit.WithPending).
func (s *Store) saveSSO(ctx context.Context, r *ssoSettingsRow, version int64) error {
	return s.withPending(ctx, func(ctx context.Context, db bun.IDB) (int64, error) {
		return r.CompanyID, saveSSOOn(ctx, db, r, version)
	})
}

// saveSSOOn is saveSSO on db.
func saveSSOOn(ctx context.Context, db bun.IDB, r *ssoSettingsRow, version int64) error {
	if version == 0 {
		_, err := db.NewInsert().Model(r).Exec(ctx)
		return translate(err, "inserting sso settings")
	}
	res, err := db.NewUpdate().Model(r).ExcludeColumn("company_id", "created_at", "version").
		Set("version = ?", version+1).Where("company_id = ? AND version = ?", r.CompanyID, version).Exec(ctx)
	if err != nil {
		return translate(err, "updating sso settings")
	}
	if n, err := res.RowsAffected(); err != nil {
		return translate(err, "updating sso settings")
	} else if n == 1 {
		return nil
	}
	exists, err := db.NewSelect().Table("sso_settings").Where("company_id = ?", r.CompanyID).Exists(ctx)
	if err != nil {
		return translate(err, "updating sso settings")
	}
	if exists {
		return fmt.Errorf("updating sso settings at version %d: %w", version, storage.ErrStale)
	}
	return fmt.Errorf("updating sso settings: %w", storage.ErrNotFound)
}
