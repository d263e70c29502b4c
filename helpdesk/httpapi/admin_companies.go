package httpapi

import (
	"net/http"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// companyJSON is a company in the admin API.
type companyJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	LegalName string    `json:"legal_name"`
	CNPJ      string    `json:"cnpj"`
	Timezone  string    `json:"timezone"`
	Active    bool      `json:"active"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func companyOf(c directory.Company) companyJSON {
	return companyJSON{ID: int64(c.ID), Name: c.Name, LegalName: c.LegalName, CNPJ: c.CNPJ, Timezone: c.Timezone,
		Active: c.Active, Version: c.Version, CreatedAt: adminTime(c.CreatedAt), UpdatedAt: adminTime(c.UpdatedAt)}
}

// companyCreate is the body of POST /admin/api/companies.
type companyCreate struct {
	Name      string `json:"name"`
	LegalName string `json:"legal_name"`
	CNPJ      string `json:"cnpj"`
	Timezone  string `json:"timezone"`
}

// companyUpdate is the body of PUT /admin/api/companies/{id}: absent
// fields are kept.
type companyUpdate struct {
	Name      *string `json:"name"`
	LegalName *string `json:"legal_name"`
	CNPJ      *string `json:"cnpj"`
	Timezone  *string `json:"timezone"`
	Active    *bool   `json:"active"`
}

func (a *api) listCompanies(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	pg, err := pageRequest(r)
	if err != nil {
		return err
	}
	active, err := boolParam(r, "active")
	if err != nil {
		return err
	}
	page, err := a.desk.Directory.ListCompanies(r.Context(), p.Actor,
		directory.CompanyFilter{Active: active, Search: queryText(r, "q")}, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(page, companyOf))
	return nil
}

func (a *api) createCompany(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) (created, error) {
	var in companyCreate
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return created{}, err
	}
	c, err := a.desk.Directory.CreateCompany(r.Context(), p.Actor, directory.CompanyInput{
		Name: in.Name, LegalName: in.LegalName, CNPJ: in.CNPJ, Timezone: in.Timezone})
	if err != nil {
		return created{}, err
	}
	return created{id: int64(c.ID), version: c.Version, body: companyOf(c)}, nil
}

func (a *api) getCompany(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	c, err := a.desk.Directory.GetCompany(r.Context(), p.Actor, tenant.CompanyID(id))
	if err != nil {
		return err
	}
	writeResource(w, http.StatusOK, c.Version, companyOf(c))
	return nil
}

func (a *api) updateCompany(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	var in companyUpdate
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	c, err := a.desk.Directory.UpdateCompany(r.Context(), p.Actor, tenant.CompanyID(id), directory.CompanyPatch{
		Name: in.Name, LegalName: in.LegalName, CNPJ: in.CNPJ, Timezone: in.Timezone, Active: in.Active, Version: version})
	if err != nil {
		return err
	}
	writeResource(w, http.StatusOK, c.Version, companyOf(c))
	return nil
}

// deleteCompany deactivates a company.
func (a *api) deleteCompany(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	inactive := false
	if _, err := a.desk.Directory.UpdateCompany(r.Context(), p.Actor, tenant.CompanyID(id),
		directory.CompanyPatch{Active: &inactive, Version: version}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
