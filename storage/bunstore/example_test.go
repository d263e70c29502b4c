package bunstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/bunstore"
)

// Open an SQLite store (migrated on open), assemble a helpdesk over it and
// find the data again after reopening the file.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "boladao-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	url := "sqlite:" + filepath.Join(dir, "helpdesk.db")

	st, err := bunstore.Open(ctx, url) // or "postgres://user@host/db?sslmode=disable"
	if err != nil {
		panic(err)
	}
	desk, err := helpdesk.New(st)
	if err != nil {
		panic(err)
	}
	company, err := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	fmt.Println(st.Dialect(), company.ID, company.Name, err)
	_ = desk.Close()
	_ = st.Close()

	st, err = bunstore.Open(ctx, url)
	if err != nil {
		panic(err)
	}
	defer st.Close()
	migrations, _ := st.MigrationStatus(ctx)
	pending := 0
	for _, m := range migrations {
		if !m.Applied {
			pending++
		}
	}
	desk, _ = helpdesk.New(st)
	defer desk.Close()
	again, err := desk.Directory.GetCompany(ctx, tenant.System(), company.ID)
	fmt.Println(again.Name, again.Version, err, "pending migrations:", pending)
	// Output:
	// sqlite 1 Acme <nil>
	// Acme 1 <nil> pending migrations: 0
}
