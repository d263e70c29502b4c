// Command boladao is Boladão's reference server: it reads its configuration
// from flags and BOLADAO_* environment variables, opens the storage backend
// named by the database URL, assembles the helpdesk and serves its HTTP API.
//
// Usage:
//
//	boladao [serve]          migrate, bootstrap the platform admin and serve (default)
//	boladao migrate [status] show which schema migrations are applied
//	boladao migrate up       apply pending migrations
//	boladao version          print the version
//
// With no configuration at all it stores its data in SQLite under ./data
// and listens on :8080.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
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
  serve            migrate, bootstrap the platform admin and serve (default)
  migrate [status] show which schema migrations are applied
  migrate up       apply pending migrations
  version          print the version

Run "boladao serve -h" for the flags; every flag also reads a BOLADAO_* variable.
`
