package bunstoretest

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage/bunstore"
)

// AssetSeed sizes a bulk-loaded asset data set: Total assets in Companies
// companies, Main of them in the measured company, the rest spread evenly
// over the others, the companies' rows interleaved in ID order.
type AssetSeed struct {
	Total, Companies, Main int
	// Company, when set, is the measured company, an existing one; the
	// other Companies-1 are created. Otherwise every company is created.
	Company tenant.CompanyID
}

// String names the size, e.g. for the file of a reusable data set.
func (a AssetSeed) String() string { return fmt.Sprintf("%d-%d-%d", a.Total, a.Companies, a.Main) }

// AssetSearch is the measured asset query: the status and the two-term text
// search that together keep 7.5% of a company's seeded assets (in_use 30%,
// the Dell notebooks a quarter of the families).
var AssetSearch = inventory.AssetFilter{Status: inventory.StatusInUse, Search: "note dell"}

// assetFamilies are what the seeded assets are, in turn.
var assetFamilies = [...]struct{ name, category, manufacturer, model string }{
	{"Notebook Dell Latitude 5440", "Notebook", "Dell", "Latitude 5440"},
	{"Notebook Dell Vostro 3520", "Notebook", "Dell", "Vostro 3520"},
	{"Notebook Lenovo ThinkPad T14", "Notebook", "Lenovo", "ThinkPad T14 Gen 4"},
	{"Monitor LG UltraWide 34", "Monitor", "LG", "34WN80C-B"},
	{"Mouse Logitech M90", "Periférico", "Logitech", "M90"},
	{"Teclado Logitech K120", "Periférico", "Logitech", "K120"},
	{"Impressora HP LaserJet Pro", "Impressora", "HP", "M404dn"},
	{"Dock Station Dell WD19", "Periférico", "Dell", "WD19S"},
}

// assetRow is an assets row written directly, bypassing the service.
type assetRow struct {
	bun.BaseModel      `bun:"table:assets"`
	ID                 int64     `bun:"id,pk,autoincrement"`
	CompanyID          int64     `bun:"company_id"`
	Serial             string    `bun:"serial"`
	ManufacturerSerial string    `bun:"manufacturer_serial"`
	Name               string    `bun:"name"`
	Category           string    `bun:"category"`
	Manufacturer       string    `bun:"manufacturer"`
	Model              string    `bun:"model"`
	Status             string    `bun:"status"`
	Location           string    `bun:"location"`
	Version            int64     `bun:"version"`
	CreatedAt          time.Time `bun:"created_at"`
	UpdatedAt          time.Time `bun:"updated_at"`
}

// SeedAssets empties the inventory of s and bulk-loads the data set size
// describes, with multi-row inserts of 1,000 rows in transactions of
// 50,000, then updates the planner's statistics. Statuses are in_stock
// 60%, in_use 30%, in_repair 5%, retired 5%. It returns the measured
// company.
func SeedAssets(ctx context.Context, s *bunstore.Store, size AssetSeed) (tenant.CompanyID, error) {
	if size.Companies < 2 || size.Main < 1 || size.Total < size.Main {
		return 0, fmt.Errorf("seeding assets: %s is not total-companies-main with 2 companies or more", size)
	}
	for _, table := range []string{"asset_history", "assets", "stock_items", "serial_sequences"} {
		if _, err := s.DB().ExecContext(ctx, "DELETE FROM "+table); err != nil {
			return 0, fmt.Errorf("seeding assets: emptying %s: %w", table, err)
		}
	}
	companies := make([]tenant.CompanyID, 0, size.Companies)
	if size.Company != 0 {
		companies = append(companies, size.Company)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	err := s.Directory().InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
		for i := len(companies); i < size.Companies; i++ {
			c := directory.Company{Name: fmt.Sprintf("Assets %03d", i), Timezone: "America/Sao_Paulo", Active: true, CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertCompany(ctx, &c); err != nil {
				return err
			}
			companies = append(companies, c.ID)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("seeding assets: %w", err)
	}
	main, others := companies[0], companies[1:]
	every := max(1, size.Total/size.Main) // one row in every is the main company's
	seq := make(map[tenant.CompanyID]int, size.Companies)
	locations := []string{"Sede", "Filial 1", "Filial 2", "Filial 3", "Depósito"}
	const batch, perTx = 1000, 50_000
	for start := 0; start < size.Total; start += perTx {
		err := s.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for from := start; from < min(start+perTx, size.Total); from += batch {
				rows := make([]assetRow, 0, batch)
				for i := from; i < min(from+batch, size.Total); i++ {
					company := main
					if i%every != 0 {
						company = others[i%len(others)]
					}
					seq[company]++
					h := uint64(i+1) * 0x9E3779B97F4A7C15
					fam := assetFamilies[(h>>33)%uint64(len(assetFamilies))]
					status := inventory.StatusInStock // 60%
					switch r := (h >> 45) % 20; {
					case r == 19:
						status = inventory.StatusRetired // 5%
					case r == 18:
						status = inventory.StatusInRepair // 5%
					case r >= 12:
						status = inventory.StatusInUse // 30%
					}
					rows = append(rows, assetRow{CompanyID: int64(company),
						Serial:             fmt.Sprintf("B%d-2026-%06d", company, seq[company]),
						ManufacturerSerial: fmt.Sprintf("SN%08X", i), Name: fam.name, Category: fam.category,
						Manufacturer: fam.manufacturer, Model: fam.model, Status: string(status),
						Location: locations[(h>>50)%uint64(len(locations))], Version: 1, CreatedAt: now, UpdatedAt: now})
				}
				if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("seeding assets: %w", err)
		}
	}
	if err := settle(ctx, s, "assets"); err != nil {
		return 0, fmt.Errorf("seeding assets: %w", err)
	}
	return main, nil
}
