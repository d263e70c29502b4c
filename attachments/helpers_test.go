package attachments_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// openDir opens a local directory as the files' bucket, as the reference
// server does.
func openDir(t testing.TB, dir string) *attachments.Blobs {
	t.Helper()
	b, err := attachments.OpenDir(dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Bucket().Close() })
	return b
}

// fixture is a desk over the memory store with files in a temporary
// directory, one company, an agent, a requester and a ticket.
type fixture struct {
	dir       string
	store     *memory.Store
	desk      *helpdesk.Desk
	clock     *clock
	agent     tenant.Actor
	requester tenant.Actor
	ticketID  int64
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func newFixture(t testing.TB, p attachments.Policy, blobs func(dir string) *attachments.Blobs) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{dir: t.TempDir(), store: memory.New(), clock: &clock{now: time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)}}
	if blobs == nil {
		blobs = func(dir string) *attachments.Blobs { return openDir(t, dir) }
	}
	desk, err := helpdesk.New(f.store, helpdesk.WithClock(f.clock.Now), helpdesk.WithBcryptCost(bcrypt.MinCost),
		helpdesk.WithAttachments(blobs(f.dir), p))
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close() })
	f.desk = desk
	co, err := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	admin, _ := tenant.System().InCompany(co.ID)
	person := func(name string, role tenant.Role) tenant.Actor {
		c, err := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: name, Email: name + "@acme.example"})
		require.NoError(t, err)
		u, err := desk.Directory.CreateUser(ctx, admin, directory.UserInput{Email: c.Email, Password: "correct horse battery", Role: role, ContactID: c.ID})
		require.NoError(t, err)
		return tenant.Actor{CompanyID: co.ID, UserID: u.ID, ContactID: c.ID, Role: role}
	}
	f.agent = person("ana", tenant.RoleAgent)
	f.requester = person("rui", tenant.RoleRequester)
	tk, err := desk.Tickets.Create(ctx, f.agent, ticketInput(f.requester.ContactID))
	require.NoError(t, err)
	f.ticketID = tk.Ticket.ID
	return f
}

// files lists the regular files under the bucket directory, relative.
func (f *fixture) files(t testing.TB) []string {
	t.Helper()
	out := []string{}
	require.NoError(t, filepath.WalkDir(f.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(f.dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	}))
	return out
}
