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
	ExpiresAt   timeJSON            `json:"expires_at,omitzero"`
	LastUsedAt  timeJSON            `json:"last_used_at,omitzero"`
	RevokedAt   timeJSON            `json:"revoked_at,omitzero"`
	Revoked     bool                `json:"revoked"`
	// Rate and Burst are the token's own request limit; absent when it
	// has the server's.
	Rate      float64  `json:"rate,omitzero"`
	Burst     int      `json:"burst,omitzero"`
	Version   int64    `json:"version"`
	CreatedAt timeJSON `json:"created_at"`
	UpdatedAt timeJSON `json:"updated_at"`
}

// apiTokenOf is the JSON shape of t, without its secret.
func apiTokenOf(t directory.APIToken) apiTokenJSON {
	return apiTokenJSON{ID: t.ID, CompanyID: int64(t.CompanyID), Name: t.Name,
		Prefix:      auth.APITokenPrefix + t.LookupID + "_",
		Permissions: append(make([]tenant.Permission, 0, len(t.Permissions)), t.Permissions...),
		CreatedBy:   int64(t.CreatedBy), ExpiresAt: adminTime(t.ExpiresAt), LastUsedAt: adminTime(t.LastUsedAt),
		RevokedAt: adminTime(t.RevokedAt), Revoked: !t.RevokedAt.IsZero(), Rate: t.Rate, Burst: t.Burst, Version: t.Version,
		CreatedAt: adminTime(t.CreatedAt), UpdatedAt: adminTime(t.UpdatedAt)}
}

// idAndVersion tells the token's ID and version.
func (t apiTokenJSON) idAndVersion() (id, version int64) { return t.ID, t.Version }

// apiTokenCreate is the body of POST /admin/api/api_tokens.
type apiTokenCreate struct {
	Name        string              `json:"name"`
	Permissions []tenant.Permission `json:"permissions"`
	// ExpiresAt is an RFC 3339 time, parsed here so that a bad value is a
	// field error rather than malformed JSON.
	ExpiresAt *string `json:"expires_at"`
	// Rate and Burst grant the token a request limit of its own.
	Rate  float64 `json:"rate"`
	Burst int     `json:"burst"`
}

// apiTokenUpdate is the body of PUT /admin/api/api_tokens/{id}: the name
// and the token's own request limit change; DELETE revokes.
type apiTokenUpdate struct {
	Name  *string  `json:"name"`
	Rate  *float64 `json:"rate"`
	Burst *int     `json:"burst"`
}

// apiTokensModel is the admin model of API tokens; DELETE revokes, and
// the token stops authenticating at once.
func (a *api) apiTokensModel() adminModel {
	d := a.desk.Directory
	return adminModel{name: "api_tokens",
		list:   listOf(a, apiTokenFilter, d.ListAPITokens, apiTokenOf),
		create: a.createAPIToken,
		get:    getOne(d.GetAPIToken, apiTokenOf),
		update: updateOne(a, d.UpdateAPIToken, apiTokenUpdate.patch, apiTokenOf),
		remove: removeOne(d.UpdateAPIToken, revokeAPIToken),
	}
}

// apiTokenFilter reads the filters of GET /admin/api/api_tokens.
func apiTokenFilter(r *http.Request) (directory.APITokenFilter, error) {
	revoked, err := boolParam(r, "revoked")
	if err != nil {
		return directory.APITokenFilter{}, err
	}
	return directory.APITokenFilter{Revoked: revoked}, nil
}

// createAPIToken creates an API token; its secret goes into the response
// once, never into the idempotency record (see createWriter).
func (a *api) createAPIToken(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) (created, error) {
	var in apiTokenCreate
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return created{}, err
	}
	input := directory.APITokenInput{Name: in.Name, Permissions: in.Permissions, Rate: in.Rate, Burst: in.Burst}
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
	return createdOf(apiTokenOf(t), secret), nil
}

// patch is the service patch of an update applied to version.
func (in apiTokenUpdate) patch(version int64) directory.APITokenPatch {
	return directory.APITokenPatch{Name: in.Name, Rate: in.Rate, Burst: in.Burst, Version: version}
}

// revokeAPIToken is the patch that revokes an API token at version.
func revokeAPIToken(version int64) directory.APITokenPatch {
	return directory.APITokenPatch{Revoke: true, Version: version}
}
