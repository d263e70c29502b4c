package webui

import (
	"net/http"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

func (c *console) adminCompaniesRoutes() {
	c.page("GET /admin/companies", c.adminCompanies)
	c.page("POST /admin/companies", c.adminCompanyCreate)
	c.page("POST /admin/companies/{id}/active", c.adminCompanyActive)
}

// companiesPage is the view model of the platform admins' companies page.
type companiesPage struct {
	Companies  []directory.Company
	Search     string
	NextCursor string
	Notice     string
	Form       companyForm
}

func (c *console) companiesRender(w http.ResponseWriter, q *request, status int, f companyForm) error {
	if err := q.actor.Require(tenant.PermCompaniesManage); err != nil {
		return err
	}
	search := strings.TrimSpace(q.r.URL.Query().Get("q"))
	page, err := c.desk.Directory.ListCompanies(q.Context(), q.actor, directory.CompanyFilter{Search: search}, pageRequest(q.r, 50))
	if err != nil {
		return err
	}
	if f.Timezone == "" {
		f.Timezone = directory.DefaultTimezone
	}
	c.render(w, q, status, "admin_companies", companiesPage{Companies: page.Items, Search: search,
		NextCursor: string(page.NextCursor), Notice: notice(q), Form: f})
	return nil
}

func (c *console) adminCompanies(w http.ResponseWriter, r *http.Request, q *request) error {
	return c.companiesRender(w, q, http.StatusOK, companyForm{})
}

func (c *console) adminCompanyCreate(w http.ResponseWriter, r *http.Request, q *request) error {
	f := companyForm{Name: r.PostForm.Get("name"), LegalName: r.PostForm.Get("legal_name"), CNPJ: r.PostForm.Get("cnpj"),
		Timezone: r.PostForm.Get("timezone")}
	_, err := c.desk.Directory.CreateCompany(q.Context(), q.actor, directory.CompanyInput{Name: f.Name, LegalName: f.LegalName,
		CNPJ: f.CNPJ, Timezone: f.Timezone})
	if err != nil {
		if !refused(err) {
			return err
		}
		f.Errors = fieldErrors(q, err)
		return c.companiesRender(w, q, http.StatusUnprocessableEntity, f)
	}
	c.done(w, r, "/admin/companies", "company_created")
	return nil
}

func (c *console) adminCompanyActive(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	active := r.PostForm.Get("active") == "true"
	if active {
		_, err = c.desk.Directory.UpdateCompany(q.Context(), q.actor, tenant.CompanyID(id), directory.CompanyPatch{Active: &active})
	} else {
		_, err = c.desk.Directory.DeactivateCompany(q.Context(), q.actor, tenant.CompanyID(id))
	}
	if err != nil {
		return err
	}
	key := "company_deactivated"
	if active {
		key = "company_activated"
	}
	c.done(w, r, "/admin/companies", key)
	return nil
}
