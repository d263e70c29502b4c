package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sistemaboladao/boladao/storage/bunstore"
)

// migrateCmd shows ("status") or applies ("up") schema migrations.
func migrateCmd(ctx context.Context, cfg config, sub string, stdout io.Writer) error {
	if sub != "status" && sub != "up" {
		return fmt.Errorf("migrate: unknown subcommand %q: use status or up", sub)
	}
	b, err := openBackend(ctx, cfg.DatabaseURL, false)
	if err != nil {
		return err
	}
	defer b.Close()
	st, ok := b.(*bunstore.Store)
	if !ok {
		_, err := fmt.Fprintln(stdout, "the in-memory store has no schema to migrate")
		return err
	}
	if sub == "up" {
		applied, err := st.Migrate(ctx)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(stdout, "schema is current; nothing to apply")
		}
		for _, name := range applied {
			fmt.Fprintln(stdout, "applied", name)
		}
	}
	ms, err := st.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, m := range ms {
		state := "pending"
		if m.Applied {
			state = "applied"
		}
		fmt.Fprintf(stdout, "%-8s %s\n", state, m.Name)
	}
	return nil
}
