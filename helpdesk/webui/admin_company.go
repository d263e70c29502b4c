package webui

import (
	"net/http"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
)

func (c *console) adminCompanyRoutes() {
	c.page("GET /admin/company", c.adminCompany)
	c.page("POST /admin/company", c.adminCompanySave)
	c.page("POST /admin/company/serials", c.adminSerialsSave)
	c.page("GET /admin/company/serial-preview", c.adminSerialPreview)
}

// companyForm holds the company details form's values as entered.
type companyForm struct {
	Name, LegalName, CNPJ, Timezone string
	Version                         int64
	Errors                          map[string]string
}

// serialForm holds the serial numbering form's values and its preview.
type serialForm struct {
	Pattern, Prefix string
	// Preview is the serial the pattern gives the next intake ("" when
	// the pattern is invalid); PreviewError says why.
	Preview, PreviewError string
	Errors                map[string]string
}

// companyPage is the view model of the company settings page.
type companyPage struct {
	Company directory.Company
	Notice  string
	// Editable reports whether the person may change the details
	// (platform admins); company admins see them.
	Editable bool
	Details  companyForm
	Serials  serialForm
	// DefaultPattern is the pattern used when none is saved.
	DefaultPattern string
}

func (c *console) companyPage(q *request) (companyPage, error) {
	co, err := c.desk.Directory.GetCompany(q.Context(), q.actor, q.actor.CompanyID)
	if err != nil {
		return companyPage{}, err
	}
	return companyPage{Company: co, Notice: notice(q), Editable: q.actor.Can(tenant.PermCompaniesManage),
		Details:        companyForm{Name: co.Name, LegalName: co.LegalName, CNPJ: directory.FormatCNPJ(co.CNPJ), Timezone: co.Timezone, Version: co.Version},
		DefaultPattern: inventory.DefaultSerialPattern}, nil
}

// preview fills the serial preview of the form's pattern and prefix.
func (c *console) preview(q *request, co directory.Company, f serialForm) serialForm {
	pattern := inventory.SerialPattern(strings.TrimSpace(f.Pattern))
	if pattern == "" {
		pattern = inventory.DefaultSerialPattern
	}
	prefix := strings.TrimSpace(f.Prefix)
	if prefix == "" {
		prefix = inventory.DefaultPrefix(co.Name, int64(co.ID))
	}
	s, err := pattern.Preview(prefix, "Notebook", c.now().In(q.tz), 1)
	if err != nil {
		f.PreviewError = q.fieldMessage(err.Error())
		return f
	}
	f.Preview = s
	return f
}

// adminCompany shows the company's details and serial numbering; the
// preview button (a GET of this page with the serial fields) shows the
// preview of the entered pattern without JavaScript.
func (c *console) adminCompany(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := q.actor.RequireIn(tenant.PermUsersManage); err != nil {
		return err
	}
	p, err := c.companyPage(q)
	if err != nil {
		return err
	}
	v := r.URL.Query()
	if v.Has("pattern") || v.Has("prefix") {
		p.Serials = serialForm{Pattern: v.Get("pattern"), Prefix: v.Get("prefix")}
	} else if set, err := c.desk.Inventory.SerialSettings(q.Context(), q.actor); err == nil {
		p.Serials = serialForm{Pattern: string(set.Pattern), Prefix: set.Prefix}
	} else {
		return err
	}
	p.Serials = c.preview(q, p.Company, p.Serials)
	c.render(w, q, http.StatusOK, "admin_company", p)
	return nil
}

// adminSerialPreview is the htmx fragment of the live preview.
func (c *console) adminSerialPreview(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := q.actor.RequireIn(tenant.PermUsersManage); err != nil {
		return err
	}
	co, err := c.desk.Directory.GetCompany(q.Context(), q.actor, q.actor.CompanyID)
	if err != nil {
		return err
	}
	v := r.URL.Query()
	c.renderFragment(w, q, "admin_company", "serial-preview-fragment", c.preview(q, co, serialForm{Pattern: v.Get("pattern"), Prefix: v.Get("prefix")}))
	return nil
}

// adminCompanySave changes the company's details (platform admins).
func (c *console) adminCompanySave(w http.ResponseWriter, r *http.Request, q *request) error {
	f := companyForm{Name: r.PostForm.Get("name"), LegalName: r.PostForm.Get("legal_name"), CNPJ: r.PostForm.Get("cnpj"),
		Timezone: r.PostForm.Get("timezone"), Version: formVersion(r)}
	_, err := c.desk.Directory.UpdateCompany(q.Context(), q.actor, q.actor.CompanyID, directory.CompanyPatch{Name: &f.Name,
		LegalName: &f.LegalName, CNPJ: &f.CNPJ, Timezone: &f.Timezone, Version: f.Version})
	if err != nil {
		if !refused(err) {
			return err
		}
		p, perr := c.companyPage(q)
		if perr != nil {
			return perr
		}
		f.Errors = fieldErrors(q, err)
		p.Details = f
		if set, err := c.desk.Inventory.SerialSettings(q.Context(), q.actor); err == nil {
			p.Serials = serialForm{Pattern: string(set.Pattern), Prefix: set.Prefix}
		}
		p.Serials = c.preview(q, p.Company, p.Serials)
		c.render(w, q, http.StatusUnprocessableEntity, "admin_company", p)
		return nil
	}
	c.done(w, r, "/admin/company", "company_saved")
	return nil
}

// adminSerialsSave saves the serial pattern and prefix.
func (c *console) adminSerialsSave(w http.ResponseWriter, r *http.Request, q *request) error {
	f := serialForm{Pattern: strings.TrimSpace(r.PostForm.Get("pattern")), Prefix: strings.TrimSpace(r.PostForm.Get("prefix"))}
	err := c.desk.Inventory.SetSerialSettings(q.Context(), q.actor, inventory.SerialSettings{Pattern: inventory.SerialPattern(f.Pattern), Prefix: f.Prefix})
	if err != nil {
		if !refused(err) {
			return err
		}
		p, perr := c.companyPage(q)
		if perr != nil {
			return perr
		}
		f.Errors = fieldErrors(q, err)
		p.Serials = c.preview(q, p.Company, f)
		c.render(w, q, http.StatusUnprocessableEntity, "admin_company", p)
		return nil
	}
	c.done(w, r, "/admin/company", "serials_saved")
	return nil
}
