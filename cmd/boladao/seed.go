package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
)

// demoCompany is one company of the demo data set.
type demoCompany struct {
	name, legalName, cnpj, domain string
	// extra contacts without a login (requesters' colleagues).
	extra []string
}

// demoCompanies are the two demo tenants; their CNPJs are valid, and the
// first one marks the demo data as present.
var demoCompanies = []demoCompany{
	{"Boladão Demo", "Boladão Demonstração Ltda", "11222333000181", "boladao-demo.example", []string{"Carla Souza", "Diego Lima"}},
	{"Acme Serviços", "Acme Serviços de TI S.A.", "11444777000161", "acme-servicos.example", []string{"Elisa Rocha"}},
}

// demoRoles are the company roles that get a login in each demo company.
var demoRoles = []tenant.Role{tenant.RoleAdmin, tenant.RoleAgent, tenant.RoleRequester, tenant.RoleViewer}

// errDemoPresent is returned by a second "seed --demo".
var errDemoPresent = errors.New("seed: the demo data is already present (company with CNPJ 11.222.333/0001-81): nothing was changed")

// seedCmd loads the demo data set through the helpdesk services: two
// companies with contacts and a user of every role, whose emails and
// generated passwords it prints. It refuses to run twice.
func seedCmd(ctx context.Context, cfg config, demo bool, stdout io.Writer) error {
	if !demo {
		return errors.New("seed: say what to seed: boladao seed --demo")
	}
	if isMemory(cfg.DatabaseURL) {
		return errors.New("seed: the in-memory database would lose the data when seed exits: point BOLADAO_DATABASE_URL at sqlite:PATH or postgres://")
	}
	b, err := openBackend(ctx, cfg.DatabaseURL, true)
	if err != nil {
		return err
	}
	defer b.Close()
	desk, err := helpdesk.New(b, helpdesk.WithBcryptCost(cfg.BcryptCost))
	if err != nil {
		return err
	}
	defer desk.Close()
	sys := tenant.System()
	existing, err := desk.Directory.ListCompanies(ctx, sys, directory.CompanyFilter{Search: demoCompanies[0].cnpj}, storage.PageRequest{Limit: 1})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if len(existing.Items) > 0 {
		return errDemoPresent
	}

	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPANY\tROLE\tEMAIL\tPASSWORD")
	contacts, assets := 0, 0
	for _, dc := range demoCompanies {
		co, err := desk.Directory.CreateCompany(ctx, sys, directory.CompanyInput{Name: dc.name, LegalName: dc.legalName, CNPJ: dc.cnpj})
		if err != nil {
			return fmt.Errorf("seed: company %s: %w", dc.name, err)
		}
		admin, err := sys.InCompany(co.ID)
		if err != nil {
			return err
		}
		var requester tenant.ContactID
		for _, role := range demoRoles {
			email := string(role) + "@" + dc.domain
			ct, err := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: demoName(role) + " (" + dc.name + ")", Email: email})
			if err != nil {
				return fmt.Errorf("seed: contact %s: %w", email, err)
			}
			if role == tenant.RoleRequester {
				requester = ct.ID
			}
			contacts++
			password := rand.Text()
			if _, err := desk.Directory.CreateUser(ctx, admin, directory.UserInput{Email: email, Password: password, Role: role, ContactID: ct.ID}); err != nil {
				return fmt.Errorf("seed: user %s: %w", email, err)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", dc.name, role, email, password)
		}
		n, err := seedAssets(ctx, desk, admin, requester)
		if err != nil {
			return err
		}
		assets += n
		for _, name := range dc.extra {
			if _, err := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: name}); err != nil {
				return fmt.Errorf("seed: contact %s: %w", name, err)
			}
			contacts++
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, `
Seeded %d companies, %d contacts, %d users and %d assets. Keep the passwords now: they are not shown again.
Not seeded yet: tickets and service orders — those modules are not part of this build.
`, len(demoCompanies), contacts, len(demoCompanies)*len(demoRoles), assets)
	return err
}

func demoName(r tenant.Role) string {
	switch r {
	case tenant.RoleAdmin:
		return "Ana Admin"
	case tenant.RoleAgent:
		return "Bruno Agente"
	case tenant.RoleRequester:
		return "Rita Solicitante"
	default:
		return "Vera Leitora"
	}
}

// seedAssets receives two batches of equipment and lends the first notebook
// to the requester, so the demo has assets in more than one state.
func seedAssets(ctx context.Context, desk *helpdesk.Desk, admin tenant.Actor, requester tenant.ContactID) (int, error) {
	batches := []inventory.IntakeInput{
		{Name: "Notebook Dell Latitude 5440", Category: "Notebook", Manufacturer: "Dell", Model: "Latitude 5440",
			Quantity: 5, Location: "Almoxarifado", Supplier: "Distribuidora Exemplo", InvoiceNumber: "NF-e 1001",
			UnitCostCents: 749900, WarrantyMonths: 36},
		{Name: "Monitor LG 24MK430H", Category: "Monitor", Manufacturer: "LG", Model: "24MK430H",
			Quantity: 3, Location: "Almoxarifado", Supplier: "Distribuidora Exemplo", InvoiceNumber: "NF-e 1002",
			UnitCostCents: 89900, WarrantyMonths: 12},
	}
	total := 0
	for i, in := range batches {
		_, assets, err := desk.Inventory.Intake(ctx, admin, in)
		if err != nil {
			return total, fmt.Errorf("seed: intake %s: %w", in.Name, err)
		}
		total += len(assets)
		if i == 0 && requester != 0 {
			if _, err := desk.Inventory.Assign(ctx, admin, assets[0].ID, requester, 0); err != nil {
				return total, fmt.Errorf("seed: assigning %s: %w", assets[0].Serial, err)
			}
		}
	}
	return total, nil
}
