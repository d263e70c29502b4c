package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk/auth"
	"github.com/sistemaboladao/boladao/storage"
)

// config is the server's configuration. Every field has a flag and a
// BOLADAO_* environment variable; flags win over the environment, which
// wins over the default.
type config struct {
	Addr          string
	DatabaseURL   string
	JWTSecret     string
	AdminEmail    string
	AdminPassword string
	AllowedHosts  []string
	CORSOrigins   []string
	LogLevel      slog.Level
	LogFile       string
	TLSCert       string
	TLSKey        string
	BackupDir     string
	CoverageFile  string
	BcryptCost    int
	// APIRate and APIBurst limit authenticated API requests per principal
	// (user or API token): a sustained rate a second and a burst.
	APIRate  float64
	APIBurst int
	// Limits are the API's other limits: sign-in, IP blocking, bodies and
	// pages.
	Limits limitsConfig
	Events eventsConfig // see events.go

	// PublicURL is where people reach the server, for single sign-on
	// redirect URIs ("" : from each request).
	PublicURL string
	Audit     auditConfig // see audit.go
	Files     filesConfig // see files.go
}

// limitsConfig holds the sign-in limits (shared by the API and the
// console), the IP blocker, and the API's body and page sizes.
type limitsConfig struct {
	// LoginRate is sign-in attempts a minute per account; LoginBurst
	// those allowed at once.
	LoginRate  float64
	LoginBurst int
	// LoginIPRate is sign-in and refresh attempts a second per client IP;
	// LoginIPBurst those allowed at once.
	LoginIPRate  float64
	LoginIPBurst int
	// BlockThreshold failures from one IP within BlockWindow block it for
	// BlockFor.
	BlockThreshold int
	BlockWindow    time.Duration
	BlockFor       time.Duration
	MaxBodyBytes   int64
	MaxPageSize    int
}

// setting describes one configuration entry: its flag, its variable, its
// default and where it lands. secret entries never show their value in
// the usage text.
type setting struct {
	flag, env, def, help string
	set                  func(*config, string) error
}

// settings is the configuration table. The README's table is written from
// it: keep the two in step.
func settings() []setting {
	str := func(f func(*config) *string) func(*config, string) error {
		return func(c *config, v string) error { *f(c) = v; return nil }
	}
	list := func(f func(*config) *[]string) func(*config, string) error {
		return func(c *config, v string) error { *f(c) = splitList(v); return nil }
	}
	return append([]setting{
		{"addr", "BOLADAO_ADDR", ":8080", "address to listen on", str(func(c *config) *string { return &c.Addr })},
		{"database-url", "BOLADAO_DATABASE_URL", "sqlite:./data/boladao.db",
			"database: sqlite:PATH, postgres://... or memory:", str(func(c *config) *string { return &c.DatabaseURL })},
		{"jwt-secret", "BOLADAO_JWT_SECRET", "",
			"HS256 key of access tokens, at least 32 bytes (default: generated once and stored in the database)", func(c *config, v string) error {
				if v != "" && len(v) < auth.MinSecretBytes {
					return fmt.Errorf("the JWT secret is %d bytes: use at least %d random bytes, e.g. the output of `openssl rand -base64 48`", len(v), auth.MinSecretBytes)
				}
				c.JWTSecret = v
				return nil
			}},
		{"admin-email", "BOLADAO_ADMIN_EMAIL", "admin@boladao.local",
			"email of the platform admin created on an empty database", str(func(c *config) *string { return &c.AdminEmail })},
		{"admin-password", "BOLADAO_ADMIN_PASSWORD", "",
			"password of that admin (generated and printed once when empty)", str(func(c *config) *string { return &c.AdminPassword })},
		{"allowed-hosts", "BOLADAO_ALLOWED_HOSTS", "",
			"comma-separated Host names served (empty: any)", list(func(c *config) *[]string { return &c.AllowedHosts })},
		{"cors-origins", "BOLADAO_CORS_ORIGINS", "",
			"comma-separated origins allowed to call the API from a browser", list(func(c *config) *[]string { return &c.CORSOrigins })},
		{"public-url", "BOLADAO_PUBLIC_URL", "",
			"scheme and host people reach the server at, for single sign-on redirect URIs (default: from each request)",
			str(func(c *config) *string { return &c.PublicURL })},
		{"log-level", "BOLADAO_LOG_LEVEL", "info", "debug, info, warn or error", func(c *config, v string) error {
			if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
				return fmt.Errorf("log level %q: use debug, info, warn or error", v)
			}
			return nil
		}},
		{"log-file", "BOLADAO_LOG_FILE", "",
			"also append the JSON log to this file", str(func(c *config) *string { return &c.LogFile })},
		{"tls-cert", "BOLADAO_TLS_CERT", "",
			"PEM certificate (chain) file: serve HTTPS", str(func(c *config) *string { return &c.TLSCert })},
		{"tls-key", "BOLADAO_TLS_KEY", "",
			"PEM private key file of that certificate", str(func(c *config) *string { return &c.TLSKey })},
		{"backup-dir", "BOLADAO_BACKUP_DIR", "./data/backups",
			"directory of backups taken by the API and by \"backup\"", str(func(c *config) *string { return &c.BackupDir })},
		{"bcrypt-cost", "BOLADAO_BCRYPT_COST", "10",
			"bcrypt cost of new password hashes, 10 to 14 (each step doubles the work); 4 for tests only", func(c *config, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < bcrypt.MinCost || n > 14 {
					return fmt.Errorf("bcrypt cost %q: use an integer from 10 to 14 (4 only in tests)", v)
				}
				c.BcryptCost = n
				return nil
			}},
		{"api-rate", "BOLADAO_API_RATE", "50", "authenticated API requests a second allowed per user or API token, sustained",
			positive("API rate", 1e6, func(c *config) *float64 { return &c.APIRate })},
		{"api-burst", "BOLADAO_API_BURST", "100", "authenticated API requests allowed per user or API token at once, above the rate",
			whole("API burst", 1e6, func(c *config) *int { return &c.APIBurst })},
		{"login-rate", "BOLADAO_LOGIN_RATE", "10", "sign-in attempts a minute per account, sustained (API and console)",
			positive("login rate", 1e6, func(c *config) *float64 { return &c.Limits.LoginRate })},
		{"login-burst", "BOLADAO_LOGIN_BURST", "10", "sign-in attempts per account allowed at once",
			whole("login burst", 1e6, func(c *config) *int { return &c.Limits.LoginBurst })},
		{"login-ip-rate", "BOLADAO_LOGIN_IP_RATE", "1", "sign-in and refresh attempts a second per client IP, sustained",
			positive("login IP rate", 1e6, func(c *config) *float64 { return &c.Limits.LoginIPRate })},
		{"login-ip-burst", "BOLADAO_LOGIN_IP_BURST", "30", "sign-in and refresh attempts per client IP allowed at once",
			whole("login IP burst", 1e6, func(c *config) *int { return &c.Limits.LoginIPBurst })},
		{"block-threshold", "BOLADAO_BLOCK_THRESHOLD", "20", "failures (failed sign-ins, forged tokens) from one IP that block it",
			whole("block threshold", 1e6, func(c *config) *int { return &c.Limits.BlockThreshold })},
		{"block-window", "BOLADAO_BLOCK_WINDOW", "10m", "the window in which those failures are counted",
			duration("block window", func(c *config) *time.Duration { return &c.Limits.BlockWindow })},
		{"block-for", "BOLADAO_BLOCK_FOR", "15m", "how long a blocked IP stays blocked",
			duration("block duration", func(c *config) *time.Duration { return &c.Limits.BlockFor })},
		{"max-body", "BOLADAO_MAX_BODY", "1048576", "largest API request body, in bytes or with a unit (1MiB)",
			func(c *config, v string) error {
				n, err := parseSize(v) // as the files' sizes
				if err != nil || n < 1024 || n > 1<<30 {
					return fmt.Errorf("body size %q: use a number of bytes from 1024 to 1073741824, or a size such as 1MiB", v)
				}
				c.Limits.MaxBodyBytes = n
				return nil
			}},
		{"max-page-size", "BOLADAO_MAX_PAGE_SIZE", strconv.Itoa(storage.MaxLimit), "largest page an API list answers (?limit=)",
			whole("page size", storage.MaxLimit, func(c *config) *int { return &c.Limits.MaxPageSize })},
		{"coverage-file", "BOLADAO_COVERAGE_FILE", "",
			"go test -coverprofile file served by /api/test/coverage", str(func(c *config) *string { return &c.CoverageFile })},
	}, append(append(eventSettings(), auditSettings()...), fileSettings()...)...)
}

// positive parses a positive number up to max into the field f returns.
func positive(name string, max float64, f func(*config) *float64) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n <= 0 || n > max {
			return fmt.Errorf("%s %q: use a positive number up to %g", name, v, max)
		}
		*f(c) = n
		return nil
	}
}

// whole parses a whole number from 1 to max into the field f returns.
func whole(name string, max int, f func(*config) *int) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > max {
			return fmt.Errorf("%s %q: use a whole number from 1 to %d", name, v, max)
		}
		*f(c) = n
		return nil
	}
}

// duration parses a positive duration into the field f returns.
func duration(name string, f func(*config) *time.Duration) func(*config, string) error {
	return func(c *config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("%s %q: use a positive duration such as 10s or 168h", name, v)
		}
		*f(c) = d
		return nil
	}
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// validate reports settings that cannot work together.
func (c config) validate() error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("TLS needs both BOLADAO_TLS_CERT and BOLADAO_TLS_KEY (or -tls-cert and -tls-key)")
	}
	return nil
}

// parseConfig reads defaults, then the environment, then flags, and allows
// no positional argument.
func parseConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	c, rest, err := parseCommand(name, args, getenv, stderr, nil)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected arguments: %s", strings.Join(rest, " "))
	}
	return c, err
}

// parseCommand is parseConfig for commands with flags of their own
// (registered by extra) and positional arguments, which it returns. Flags
// may come before or after the positional arguments.
func parseCommand(name string, args []string, getenv func(string) string, stderr io.Writer,
	extra func(*flag.FlagSet)) (config, []string, error) {
	var c config
	fs := flag.NewFlagSet("boladao "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	values := map[string]*string{}
	for _, s := range settings() {
		v := s.def
		if e := getenv(s.env); e != "" {
			v = e
		}
		// The default shown by -h is the built-in one: a secret taken from
		// the environment must not be printed.
		values[s.flag] = fs.String(s.flag, s.def, s.help+" ($"+s.env+")")
		*values[s.flag] = v
	}
	if extra != nil {
		extra(fs)
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return c, nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	for _, s := range settings() {
		if err := s.set(&c, *values[s.flag]); err != nil {
			return c, nil, fmt.Errorf("-%s / %s: %w", s.flag, s.env, err)
		}
	}
	if err := c.validate(); err != nil {
		return c, nil, err
	}
	return c, positional, nil
}
