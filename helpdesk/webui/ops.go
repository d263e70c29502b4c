package webui

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/netip"
	"runtime"
	"slices"
	"sort"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/loginguard"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// Operations answers what only the program that opened the database
// knows, for the operations page: the same questions httpapi.Ops answers
// for /api/deployment/status, /api/monitoring/status and the backup
// trigger. cmd/boladao passes its deployment.
type Operations interface {
	// Ready runs the readiness checks by name, nil for a check that passed.
	Ready(ctx context.Context) map[string]error
	// SchemaVersion names the latest applied schema migration, "" when
	// the backend has none.
	SchemaVersion(ctx context.Context) (string, error)
	// Backup writes a backup of the database and describes it; backends
	// that cannot be backed up return an error wrapping ErrNotSupported.
	Backup(ctx context.Context) (Backup, error)
	// Warnings lists the risky settings of the deployment.
	Warnings() []string
}

// Backup describes a backup file written by Operations.Backup.
type Backup struct {
	// Path is where the backup was written, on the server.
	Path string
	// Bytes is the size of the file.
	Bytes int64
	// SHA256 is the hex digest of the file.
	SHA256 string
	// CreatedAt is when the backup was taken.
	CreatedAt time.Time
}

// ErrNotSupported is what an Operations wraps when the deployment cannot
// do what was asked (backing up an in-memory database).
var ErrNotSupported = errors.New("not supported by this deployment")

// permOperations names what only platform admins may do on the operations
// page; the check is IsPlatformAdmin, as for the API's operations.
const permOperations tenant.Permission = "platform.operations"

// requireOperations refuses everyone but platform admins.
func requireOperations(a tenant.Actor) error {
	if a.IsPlatformAdmin() {
		return nil
	}
	return &tenant.ForbiddenError{Role: a.Role, Permission: permOperations}
}

func (c *console) opsRoutes() {
	c.page("GET /ops", c.ops)
	c.page("POST /ops/unblock", c.opsUnblock)
	c.page("POST /ops/backup", c.opsBackup)
}

// check is one readiness check for the page.
type check struct {
	Name  string
	Error string
}

// kindCount is the number of security events of one kind.
type kindCount struct {
	Kind  string
	Count int
}

// opsPage is the view model of the operations page.
type opsPage struct {
	Notice string
	// Deployment.
	Version, Schema, SchemaError, GoVersion string
	Started                                 time.Time
	Warnings                                []string
	// Monitoring.
	Healthy    bool
	Checks     []check
	Uptime     time.Duration
	Goroutines int
	// Security (the last 24 hours).
	Since   time.Time
	Counts  []kindCount
	Events  []audit.Event
	Blocked []loginguard.BlockedIP
	// Backup is the backup just taken; BackupError why it failed.
	CanBackup   bool
	Backup      *Backup
	BackupError string
}

func (c *console) opsRender(w http.ResponseWriter, q *request, status int, p opsPage) error {
	if err := requireOperations(q.actor); err != nil {
		return err
	}
	ctx := q.Context()
	now := c.now()
	p.Version, p.GoVersion, p.Started, p.Uptime = c.cfg.Version, runtime.Version(), c.started, now.Sub(c.started)
	p.Goroutines, p.Healthy = runtime.NumGoroutine(), true
	var checks map[string]error
	if ops := c.cfg.Operations; ops != nil {
		p.CanBackup = true
		p.Warnings = ops.Warnings()
		if v, err := ops.SchemaVersion(ctx); err != nil {
			p.SchemaError = err.Error()
		} else {
			p.Schema = v
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		checks = ops.Ready(cctx)
		cancel()
	} else {
		_, err := c.desk.Audit().SecurityEvents(ctx, audit.Query{Limit: 1})
		checks = map[string]error{"store": err}
	}
	for _, name := range slices.Sorted(maps.Keys(checks)) {
		ch := check{Name: name}
		if err := checks[name]; err != nil {
			ch.Error, p.Healthy = err.Error(), false
		}
		p.Checks = append(p.Checks, ch)
	}
	p.Since = now.Add(-24 * time.Hour)
	store := c.desk.Audit()
	counts, err := store.CountSecurityEvents(ctx, p.Since, now.Add(time.Second))
	if err != nil {
		return err
	}
	for k, n := range counts {
		p.Counts = append(p.Counts, kindCount{Kind: string(k), Count: n})
	}
	sort.Slice(p.Counts, func(i, j int) bool { return p.Counts[i].Kind < p.Counts[j].Kind })
	if p.Events, err = store.SecurityEvents(ctx, audit.Query{Since: p.Since, Until: now.Add(time.Second), Limit: 50}); err != nil {
		return err
	}
	p.Blocked = c.guard.Blocks().List()
	c.render(w, q, status, "ops", p)
	return nil
}

func (c *console) ops(w http.ResponseWriter, r *http.Request, q *request) error {
	return c.opsRender(w, q, http.StatusOK, opsPage{Notice: notice(q)})
}

// opsUnblock lifts the block on an address and records it in the
// security audit, as DELETE /api/security/blocks/{ip} does.
func (c *console) opsUnblock(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireOperations(q.actor); err != nil {
		return err
	}
	addr, err := netip.ParseAddr(r.PostForm.Get("ip"))
	if err != nil {
		return errNotFound
	}
	ip := addr.Unmap().String()
	if blocked, _ := c.guard.Blocked(ip); !blocked {
		return errNotFound
	}
	c.guard.Blocks().Unblock(ip)
	ev := audit.Event{At: c.now(), Kind: audit.IPUnblocked, IP: ip, UserID: q.actor.UserID,
		Detail: "block lifted by a platform admin from " + c.cfg.ClientIP(r) + " (console)"}
	if err := c.desk.Audit().RecordSecurityEvent(r.Context(), &ev); err != nil {
		c.log.ErrorContext(r.Context(), "webui: recording the unblock", "ip", ip, "error", err.Error())
	}
	c.done(w, r, "/ops", "unblocked")
	return nil
}

// opsBackup writes a backup now and shows where it went.
func (c *console) opsBackup(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireOperations(q.actor); err != nil {
		return err
	}
	ops := c.cfg.Operations
	if ops == nil {
		return c.opsRender(w, q, http.StatusServiceUnavailable, opsPage{BackupError: q.T("ops.backup_unavailable")})
	}
	b, err := ops.Backup(r.Context())
	if err != nil {
		msg := q.T("ops.backup_failed")
		if errors.Is(err, ErrNotSupported) {
			msg = q.T("ops.backup_unsupported")
		}
		c.log.ErrorContext(r.Context(), "webui: backup", "error", err.Error())
		return c.opsRender(w, q, http.StatusConflict, opsPage{BackupError: msg})
	}
	c.log.InfoContext(r.Context(), "backup written", "path", b.Path, "bytes", b.Bytes, "sha256", b.SHA256, "user_id", int64(q.actor.UserID))
	return c.opsRender(w, q, http.StatusOK, opsPage{Backup: &b})
}
