package attachments_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
	"github.com/sistemaboladao/boladao/tickets"
)

// A requester replies with a file: Stage streams the bytes into the
// bucket (a local directory here), CommentWithFiles writes the comment,
// its attachment and their events in one unit of work. An agent then
// downloads the file; a script is refused before anything is stored.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "boladao-files-example-")
	defer os.RemoveAll(dir)
	blobs, err := attachments.OpenDir(dir)
	if err != nil {
		panic(err)
	}
	defer blobs.Bucket().Close()
	st := memory.New()
	now := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	desk, err := helpdesk.New(st, helpdesk.WithClock(func() time.Time { return now }), helpdesk.WithBcryptCost(bcrypt.MinCost),
		helpdesk.WithAttachments(blobs, attachments.Policy{MaxFileBytes: 10 << 20}))
	if err != nil {
		panic(err)
	}
	defer desk.Close()
	co, _ := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	admin, _ := tenant.System().InCompany(co.ID)
	rita, _ := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: "Rita", Email: "rita@acme.example"})
	user, _ := desk.Directory.CreateUser(ctx, admin, directory.UserInput{Email: rita.Email, Password: "correct horse battery",
		Role: tenant.RoleRequester, ContactID: rita.ID})
	requester := user.Actor()
	tk, _ := desk.Tickets.Create(ctx, requester, tickets.CreateInput{Title: "Nota fiscal ilegível"})

	file, err := desk.Attachments.Stage(ctx, requester, "../nota.txt", strings.NewReader("NF 1234: R$ 99,90\n"))
	if err != nil {
		panic(err)
	}
	_, added, err := desk.CommentWithFiles(ctx, requester, tk.Ticket.ID, "Segue a nota.", false, []attachments.Staged{file})
	if err != nil {
		panic(err)
	}
	fmt.Println(added[0].Name, added[0].Size, added[0].ContentType)

	a, r, err := desk.Attachments.Open(ctx, admin, added[0].ID)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(r)
	r.Close()
	fmt.Printf("%s: %q\n", a.Name, body)

	_, err = desk.Attachments.Stage(ctx, requester, "limpa.sh", strings.NewReader("#!/bin/sh\n"))
	fmt.Println(err)

	evs, _ := st.OutboxEvents(ctx, events.OutboxQuery{Type: "attachment.added"})
	fmt.Println(len(evs), "attachment.added event")
	// Output:
	// nota.txt 18 text/plain; charset=utf-8
	// nota.txt: "NF 1234: R$ 99,90\n"
	// file type not accepted: "limpa.sh" (text/x-shellscript) is a program or a script, which are not accepted
	// 1 attachment.added event
}
