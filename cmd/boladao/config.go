package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// config is the server's configuration. Every field has a flag and a
// BOLADAO_* environment variable; flags win over the environment.
type config struct {
	Addr          string
	DatabaseURL   string
	AdminEmail    string
	AdminPassword string
	LogLevel      slog.Level
}

// setting describes one configuration entry: its flag, its variable, its
// default and where it lands.
type setting struct {
	flag, env, def, help string
	set                  func(*config, string) error
}

func settings() []setting {
	str := func(f func(*config) *string) func(*config, string) error {
		return func(c *config, v string) error { *f(c) = v; return nil }
	}
	return []setting{
		{"addr", "BOLADAO_ADDR", ":8080", "address to listen on", str(func(c *config) *string { return &c.Addr })},
		{"database-url", "BOLADAO_DATABASE_URL", "sqlite:./data/boladao.db",
			"database: sqlite:PATH, postgres://... or memory:", str(func(c *config) *string { return &c.DatabaseURL })},
		{"admin-email", "BOLADAO_ADMIN_EMAIL", "admin@boladao.local",
			"email of the platform admin created on an empty database", str(func(c *config) *string { return &c.AdminEmail })},
		{"admin-password", "BOLADAO_ADMIN_PASSWORD", "",
			"password of that admin (generated and printed once when empty)", str(func(c *config) *string { return &c.AdminPassword })},
		{"log-level", "BOLADAO_LOG_LEVEL", "info", "debug, info, warn or error", func(c *config, v string) error {
			if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
				return fmt.Errorf("log level %q: use debug, info, warn or error", v)
			}
			return nil
		}},
	}
}

// parseConfig reads defaults, then the environment, then flags.
func parseConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("boladao "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	values := map[string]*string{}
	for _, s := range settings() {
		v := s.def
		if e := getenv(s.env); e != "" {
			v = e
		}
		values[s.flag] = fs.String(s.flag, v, s.help+" ($"+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	for _, s := range settings() {
		if err := s.set(&c, *values[s.flag]); err != nil {
			return c, fmt.Errorf("-%s / %s: %w", s.flag, s.env, err)
		}
	}
	return c, nil
}
