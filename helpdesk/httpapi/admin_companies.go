package httpapi

import (
	"net/http"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
)

// companyJSON is a company in the admin API.
type companyJSON struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	LegalName string   `json:"legal_name"`
	CNPJ      string   `json:"cnpj"`
	Timezone  string   `json:"timezone"`
	Active    bool     `json:"active"`
	Version   int64    `json:"version"`
	CreatedAt timeJSON `json:"created_at"`
	UpdatedAt timeJSON `json:"updated_at"`
}

// companyOf is the JSON shape of c.
func companyOf(c directory.Company) companyJSON {
	return companyJSON{ID: int64(c.ID), Name: c.Name, LegalName: c.LegalName, CNPJ: c.CNPJ, Timezone: c.Timezone,
		Active: c.Active, Version: c.Version, CreatedAt: adminTime(c.CreatedAt), UpdatedAt: adminTime(c.UpdatedAt)}
}

// idAndVersion tells the company's ID and version.
func (c companyJSON) idAndVersion() (id, version int64) { return c.ID, c.Version }

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

// companiesModel is the admin model of companies; DELETE deactivates.
func (a *api) companiesModel() adminModel {
	d := a.desk.Directory
	return adminModel{name: "companies",
		list:   listOf(a, companyFilter, d.ListCompanies, companyOf),
		create: createOne(a, d.CreateCompany, companyCreate.input, companyOf),
		get:    getOne(d.GetCompany, companyOf),
		update: updateOne(a, d.UpdateCompany, companyUpdate.patch, companyOf),
		remove: removeOne(d.UpdateCompany, deactivateCompany),
	}
}

// companyFilter reads the filters of GET /admin/api/companies.
func companyFilter(r *http.Request) (directory.CompanyFilter, error) {
	active, err := boolParam(r, "active")
	if err != nil {
		return directory.CompanyFilter{}, err
	}
	return directory.CompanyFilter{Active: active, Search: queryText(r, "q")}, nil
}

// input is the service input of a create.
func (in companyCreate) input() directory.CompanyInput {
	return directory.CompanyInput{Name: in.Name, LegalName: in.LegalName, CNPJ: in.CNPJ, Timezone: in.Timezone}
}

// patch is the service patch of an update applied to version.
func (in companyUpdate) patch(version int64) directory.CompanyPatch {
	return directory.CompanyPatch{Name: in.Name, LegalName: in.LegalName, CNPJ: in.CNPJ, Timezone: in.Timezone,
		Active: in.Active, Version: version}
}

// deactivateCompany is the patch that deactivates a company at version.
func deactivateCompany(version int64) directory.CompanyPatch {
	inactive := false
	return directory.CompanyPatch{Active: &inactive, Version: version}
}
