package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

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

// seedCmd loads the demo data set through the helpdesk services (see
// seedDemo). It refuses the in-memory database, whose data would be lost
// when the command exits, and refuses to run twice.
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
	_, err = seedDemo(ctx, b, cfg.BcryptCost, time.Now(), stdout)
	return err
}

// demoSummary counts what seedDemo wrote.
type demoSummary struct {
	Companies, Contacts, Users, Assets, Tickets, Comments, Orders, Activities, Parts int
}

// seedDemo writes the demo data set into store through the facade's
// services, as of now: two companies with contacts and a user of every role
// (whose emails and generated passwords it prints), equipment, tickets in
// every state and service orders in every state. Tickets and orders carry a
// history: the services run on a clock that seedDemo sets back to when each
// step happened, so SLA clocks read as they would on a living desk at now
// (some met, some at risk, some breached, some paused). It refuses to run
// on a database that already holds the demo data, and changes nothing then.
func seedDemo(ctx context.Context, store helpdesk.Store, bcryptCost int, now time.Time, stdout io.Writer) (demoSummary, error) {
	var sum demoSummary
	clock := &demoClock{now: now.UTC(), end: now.UTC()}
	desk, err := helpdesk.New(store, helpdesk.WithBcryptCost(bcryptCost), helpdesk.WithClock(clock.Now))
	if err != nil {
		return sum, err
	}
	defer desk.Close()
	sys := tenant.System()
	existing, err := desk.Directory.ListCompanies(ctx, sys, directory.CompanyFilter{Search: demoCompanies[0].cnpj}, storage.PageRequest{Limit: 1})
	if err != nil {
		return sum, fmt.Errorf("seed: %w", err)
	}
	if len(existing.Items) > 0 {
		return sum, errDemoPresent
	}

	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPANY\tROLE\tEMAIL\tPASSWORD")
	for _, dc := range demoCompanies {
		// The company and its people exist from a month before now, so
		// that the tickets' history comes after them.
		clock.set(now.AddDate(0, -1, 0))
		co, err := desk.Directory.CreateCompany(ctx, sys, directory.CompanyInput{Name: dc.name, LegalName: dc.legalName, CNPJ: dc.cnpj})
		if err != nil {
			return sum, fmt.Errorf("seed: company %s: %w", dc.name, err)
		}
		sum.Companies++
		admin, err := sys.InCompany(co.ID)
		if err != nil {
			return sum, err
		}
		cast := demoCast{company: co}
		for _, role := range demoRoles {
			email := string(role) + "@" + dc.domain
			ct, err := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: demoName(role) + " (" + dc.name + ")", Email: email})
			if err != nil {
				return sum, fmt.Errorf("seed: contact %s: %w", email, err)
			}
			sum.Contacts++
			password := rand.Text()
			u, err := desk.Directory.CreateUser(ctx, admin, directory.UserInput{Email: email, Password: password, Role: role, ContactID: ct.ID})
			if err != nil {
				return sum, fmt.Errorf("seed: user %s: %w", email, err)
			}
			sum.Users++
			cast.set(role, u.Actor())
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", dc.name, role, email, password)
		}
		for _, name := range dc.extra {
			ct, err := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: name})
			if err != nil {
				return sum, fmt.Errorf("seed: contact %s: %w", name, err)
			}
			cast.colleagues = append(cast.colleagues, ct.ID)
			sum.Contacts++
		}
		stock, err := seedAssets(ctx, desk, admin, cast.requester.ContactID, &sum)
		if err != nil {
			return sum, err
		}
		w := demoWork{desk: desk, clock: clock, cast: cast, stock: stock, sum: &sum}
		if err := w.tickets(ctx); err != nil {
			return sum, fmt.Errorf("seed: %s: %w", dc.name, err)
		}
		if err := w.orders(ctx); err != nil {
			return sum, fmt.Errorf("seed: %s: %w", dc.name, err)
		}
	}
	if err := tw.Flush(); err != nil {
		return sum, err
	}
	_, err = fmt.Fprintf(stdout, `
Seeded %d companies, %d contacts, %d users and %d assets; %d tickets in every state with %d comments and notes; %d service orders in every state with %d activities and %d parts.
Keep the passwords now: they are not shown again.
`, sum.Companies, sum.Contacts, sum.Users, sum.Assets, sum.Tickets, sum.Comments, sum.Orders, sum.Activities, sum.Parts)
	return sum, err
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

// demoStock is the equipment seedAssets received.
type demoStock struct {
	// lent is the notebook lent to the requester; memory the stock item
	// service orders take parts from.
	lent   inventory.Asset
	memory inventory.StockItem
}

// seedAssets receives three batches of equipment and lends the first
// notebook to the requester, so the demo has assets in more than one
// state and stock for service orders' parts.
func seedAssets(ctx context.Context, desk *helpdesk.Desk, admin tenant.Actor, requester tenant.ContactID, sum *demoSummary) (demoStock, error) {
	batches := []inventory.IntakeInput{
		{Name: "Notebook Dell Latitude 5440", Category: "Notebook", Manufacturer: "Dell", Model: "Latitude 5440",
			Quantity: 5, Location: "Almoxarifado", Supplier: "Distribuidora Exemplo", InvoiceNumber: "NF-e 1001",
			UnitCostCents: 749900, WarrantyMonths: 36},
		{Name: "Monitor LG 24MK430H", Category: "Monitor", Manufacturer: "LG", Model: "24MK430H",
			Quantity: 3, Location: "Almoxarifado", Supplier: "Distribuidora Exemplo", InvoiceNumber: "NF-e 1002",
			UnitCostCents: 89900, WarrantyMonths: 12},
		{Name: "Memória DDR4 8 GB", Category: "Peça", Manufacturer: "Kingston", Model: "KVR32S22S8/8",
			Quantity: 4, Location: "Bancada técnica", Supplier: "Distribuidora Exemplo", InvoiceNumber: "NF-e 1003",
			UnitCostCents: 18900, WarrantyMonths: 12},
	}
	var out demoStock
	for i, in := range batches {
		st, assets, err := desk.Inventory.Intake(ctx, admin, in)
		if err != nil {
			return out, fmt.Errorf("seed: intake %s: %w", in.Name, err)
		}
		sum.Assets += len(assets)
		switch i {
		case 0:
			if out.lent, err = desk.Inventory.Assign(ctx, admin, assets[0].ID, requester, 0); err != nil {
				return out, fmt.Errorf("seed: assigning %s: %w", assets[0].Serial, err)
			}
		case 2:
			out.memory = st
		}
	}
	return out, nil
}
