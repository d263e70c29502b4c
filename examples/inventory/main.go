// Command inventory embeds Boladão's inventory with the in-memory store: it
// receives a batch of notebooks, lists the assets the intake created,
// assigns one to a contact and prints its history.
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/memory"
)

func main() {
	ctx := context.Background()
	clock := func() time.Time { return time.Date(2026, 8, 3, 14, 0, 0, 0, time.UTC) }
	desk, err := helpdesk.New(memory.New(), helpdesk.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}
	defer desk.Close()

	company, err := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme Informática"})
	if err != nil {
		log.Fatal(err)
	}
	admin, _ := tenant.System().InCompany(company.ID)
	ana, err := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: "Ana Souza"})
	if err != nil {
		log.Fatal(err)
	}

	stock, assets, err := desk.Inventory.Intake(ctx, admin, inventory.IntakeInput{
		Name: "Notebook Dell Latitude 5440", Category: "Notebook", Manufacturer: "Dell", Model: "Latitude 5440",
		Quantity: 3, Location: "Almoxarifado SP", Supplier: "Distribuidora XYZ", InvoiceNumber: "NF-e 000123",
		UnitCostCents: 749900, WarrantyMonths: 36,
		ManufacturerSerials: []string{"DL5440-A1", "DL5440-A2", "DL5440-A3"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("stock item %d: %d × %s, R$ %d,%02d each, invoice %s\n", stock.ID, stock.Quantity, stock.Name,
		stock.UnitCostCents/100, stock.UnitCostCents%100, stock.InvoiceNumber)
	for _, a := range assets {
		fmt.Printf("  asset %d: %s (manufacturer %s), %s, warranty until %s\n", a.ID, a.Serial, a.ManufacturerSerial,
			a.Status, a.WarrantyUntil.Format("2006-01-02"))
	}

	if _, err := desk.Inventory.Assign(ctx, admin, assets[0].ID, ana.ID, 0); err != nil {
		log.Fatal(err)
	}
	page, err := desk.Inventory.ListAssets(ctx, admin, inventory.AssetFilter{Status: inventory.StatusInStock}, storage.PageRequest{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("in stock: %d assets\n", len(page.Items))
	found, err := desk.Inventory.ListAssets(ctx, admin, inventory.AssetFilter{Search: "ACME-2026-000001"}, storage.PageRequest{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("search ACME-2026-000001: %s assigned to contact %d\n", found.Items[0].Serial, found.Items[0].AssigneeContactID)

	history, err := desk.Inventory.History(ctx, admin, assets[0].ID, storage.PageRequest{})
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range history.Items {
		fmt.Printf("  history: %s %s %q → %q\n", h.Action, h.Field, h.From, h.To)
	}
}
