// Command boladao is Boladão's reference server: it reads its configuration
// from flags and BOLADAO_* environment variables, opens the storage backend
// named by the database URL, assembles the helpdesk and serves its HTTP API.
//
// Usage:
//
//	boladao [serve]              migrate, bootstrap the platform admin and serve (default)
//	boladao migrate [status]     show which schema migrations are applied
//	boladao migrate up           apply pending migrations
//	boladao seed --demo          load the demo companies, users, tickets and service orders (once)
//	boladao backup [--out PATH]  write a backup (default: into BOLADAO_BACKUP_DIR)
//	boladao restore FILE         load a backup into the configured database
//	boladao version              print the version
//
// With no configuration at all it stores its data in SQLite under ./data
// and listens on :8080. Every flag also reads a BOLADAO_* variable; flags
// win over the environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return // the flag package printed the usage
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "boladao:", err)
		os.Exit(1)
	}
}

// run executes one subcommand. It is main without the process: tests call it
// with their own arguments, environment and outputs.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		cfg, err := parseConfig("serve", args, getenv, stderr)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stdout, nil)
	case "migrate":
		sub := "status"
		if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
			sub, args = args[0], args[1:]
		}
		cfg, err := parseConfig("migrate", args, getenv, stderr)
		if err != nil {
			return err
		}
		return migrateCmd(ctx, cfg, sub, stdout)
	case "seed":
		var demo bool
		cfg, rest, err := parseCommand("seed", args, getenv, stderr, func(fs *flag.FlagSet) {
			fs.BoolVar(&demo, "demo", false, "load the demo data set")
		})
		if err != nil {
			return err
		}
		if len(rest) > 0 {
			return fmt.Errorf("seed: unexpected arguments: %s", strings.Join(rest, " "))
		}
		return seedCmd(ctx, cfg, demo, stdout)
	case "backup":
		var out string
		cfg, rest, err := parseCommand("backup", args, getenv, stderr, func(fs *flag.FlagSet) {
			fs.StringVar(&out, "out", "", "backup file, or directory to write a timestamped file into (default $BOLADAO_BACKUP_DIR)")
		})
		if err != nil {
			return err
		}
		if len(rest) > 0 {
			return fmt.Errorf("backup: unexpected arguments: %s (use --out PATH)", strings.Join(rest, " "))
		}
		return backupCmd(ctx, cfg, out, stdout)
	case "restore":
		cfg, rest, err := parseCommand("restore", args, getenv, stderr, nil)
		if err != nil {
			return err
		}
		if len(rest) != 1 {
			return fmt.Errorf("restore: name one backup file: boladao restore FILE")
		}
		return restoreCmd(ctx, cfg, rest[0], stdout)
	case "version":
		_, err := fmt.Fprintln(stdout, "boladao", version)
		return err
	case "help", "-h", "--help":
		_, err := fmt.Fprint(stdout, usage)
		return err
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `usage: boladao [command] [flags]

commands:
  serve                migrate, bootstrap the platform admin and serve (default)
  migrate [status]     show which schema migrations are applied
  migrate up           apply pending migrations
  seed --demo          load the demo companies, users, equipment, tickets and service orders
                       (refuses to run twice)
  backup [--out PATH]  write a backup: into PATH when it is a directory, else to the file PATH
                       (default: a timestamped file in $BOLADAO_BACKUP_DIR)
  restore FILE         load a backup into the configured database
                       (SQLite: stop the server first; PostgreSQL: into an empty database)
  version              print the version

Run "boladao serve -h" for the flags; every flag also reads a BOLADAO_* variable.
`
