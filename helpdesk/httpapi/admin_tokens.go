package httpapi

import (
	"net/http"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/auth"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// apiTokenJSON is an API token in the admin API. The secret is never part
// of it: the create response adds it once as "token" (see createWriter).
type apiTokenJSON struct {
	ID        int64  `json:"id"`
	CompanyID int64  `json:"company_id"`
	Name      string `json:"name"`
	// Prefix is the public start of the token, "bld_<lookup_id>_", to
	// recognise it in logs and configuration.
	Prefix      string              `json:"prefix"`
	Permissions []tenant.Permission `json:"permissions"`
	CreatedBy   int64               `json:"created_by"`
	ExpiresAt   time.Time           `json:"expires_at,omitzero"`
	LastUsedAt  time.Time           `json:"last_used_at,omitzero"`
	RevokedAt   time.Time           `json:"revoked_at,omitzero"`
	Revoked     bool                `json:"revoked"`
	Version     int64               `json:"version"`
	CreatedAt   time.Time           `json:"created_at"`
	UpdatedAt   time.Time           `json:"updated_at"`
}

func apiTokenOf(t directory.APIToken) apiTokenJSON {
	return apiTokenJSON{ID: t.ID, CompanyID: int64(t.CompanyID), Name: t.Name,
		Prefix:      auth.APITokenPrefix + t.LookupID + "_",
		Permissions: append(make([]tenant.Permission, 0, len(t.Permissions)), t.Permissions...),
		CreatedBy:   int64(t.CreatedBy), ExpiresAt: adminTime(t.ExpiresAt), LastUsedAt: adminTime(t.LastUsedAt),
		RevokedAt: adminTime(t.RevokedAt), Revoked: !t.RevokedAt.IsZero(), Version: t.Version,
		CreatedAt: adminTime(t.CreatedAt), UpdatedAt: adminTime(t.UpdatedAt)}
}

// apiTokenCreate is the body of POST /admin/api/api_tokens.
type apiTokenCreate struct {
	Name        string              `json:"name"`
	Permissions []tenant.Permission `json:"permissions"`
	// ExpiresAt is an RFC 3339 time, parsed here so that a bad value is a
	// field error rather than malformed JSON.
	ExpiresAt *string `json:"expires_at"`
}

// apiTokenUpdate is the body of PUT /admin/api/api_tokens/{id}. Only the
// name changes; DELETE revokes.
type apiTokenUpdate struct {
	Name *string `json:"name"`
}

func (a *api) listAPITokens(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	pg, err := pageRequest(r)
	if err != nil {
		return err
	}
	revoked, err := boolParam(r, "revoked")
	if err != nil {
		return err
	}
	page, err := a.desk.Directory.ListAPITokens(r.Context(), p.Actor, directory.APITokenFilter{Revoked: revoked}, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(page, apiTokenOf))
	return nil
}

func (a *api) createAPIToken(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) (created, error) {
	var in apiTokenCreate
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return created{}, err
	}
	input := directory.APITokenInput{Name: in.Name, Permissions: in.Permissions}
	if in.ExpiresAt != nil && *in.ExpiresAt != "" {
		at, err := time.Parse(time.RFC3339, *in.ExpiresAt)
		if err != nil {
			return created{}, fieldError("expires_at", "must be an RFC 3339 time such as 2026-12-31T23:59:59Z")
		}
		input.ExpiresAt = at
	}
	t, secret, err := a.desk.Directory.CreateAPIToken(r.Context(), p.Actor, input)
	if err != nil {
		return created{}, err
	}
	return created{id: t.ID, version: t.Version, body: apiTokenOf(t), secret: secret}, nil
}

func (a *api) getAPIToken(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	t, err := a.desk.Directory.GetAPIToken(r.Context(), p.Actor, id)
	if err != nil {
		return err
	}
	writeResource(w, http.StatusOK, t.Version, apiTokenOf(t))
	return nil
}

func (a *api) updateAPIToken(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	var in apiTokenUpdate
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	t, err := a.desk.Directory.UpdateAPIToken(r.Context(), p.Actor, id, directory.APITokenPatch{Name: in.Name, Version: version})
	if err != nil {
		return err
	}
	writeResource(w, http.StatusOK, t.Version, apiTokenOf(t))
	return nil
}

// deleteAPIToken revokes an API token; it stops authenticating at once.
func (a *api) deleteAPIToken(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	if _, err := a.desk.Directory.UpdateAPIToken(r.Context(), p.Actor, id,
		directory.APITokenPatch{Revoke: true, Version: version}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
