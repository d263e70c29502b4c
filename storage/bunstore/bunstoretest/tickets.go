package bunstoretest

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// TicketRow is a tickets row written directly, bypassing the service: for
// bulk seeding and for the raw baselines of the benchmarks.
type TicketRow struct {
	bun.BaseModel      `bun:"table:tickets"`
	ID                 int64     `bun:"id,pk,autoincrement"`
	CompanyID          int64     `bun:"company_id"`
	Number             int64     `bun:"number"`
	Title              string    `bun:"title"`
	Description        string    `bun:"description"`
	Priority           string    `bun:"priority"`
	Category           string    `bun:"category"`
	Channel            string    `bun:"channel"`
	Tags               string    `bun:"tags"`
	RequesterContactID int64     `bun:"requester_contact_id"`
	AssigneeUserID     int64     `bun:"assignee_user_id,nullzero"`
	Status             string    `bun:"status"`
	ReopenCount        int       `bun:"reopen_count"`
	Pauses             string    `bun:"pauses"`
	SLAState           string    `bun:"sla_state"`
	ResponseDueAt      time.Time `bun:"response_due_at"`
	ResolutionDueAt    time.Time `bun:"resolution_due_at"`
	NextSLACheckAt     time.Time `bun:"next_sla_check_at,nullzero"`
	FirstResponseAt    time.Time `bun:"first_response_at,nullzero"`
	ResolvedAt         time.Time `bun:"resolved_at,nullzero"`
	ClosedAt           time.Time `bun:"closed_at,nullzero"`
	Version            int64     `bun:"version"`
	CreatedAt          time.Time `bun:"created_at"`
	UpdatedAt          time.Time `bun:"updated_at"`
}

// TicketSeed sizes a bulk-loaded ticket data set: Companies companies of
// PerCompany tickets each, created in the year before Now, their rows
// interleaved in ID order.
type TicketSeed struct {
	Companies, PerCompany int
	// Now is the data set's present (default TicketSeedNow).
	Now time.Time
	// Company, when set, is the measured company, an existing one; the
	// other Companies-1 are created. Otherwise every company is created.
	Company tenant.CompanyID
}

// TicketSeedNow is the default present of a seeded data set.
var TicketSeedNow = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

// SeededTickets describes a seeded data set's measured company.
type SeededTickets struct {
	Company   tenant.CompanyID
	Requester tenant.ContactID
	// Agents, of the measured company, are the assignees of its tickets.
	Agents []tenant.UserID
}

// seedFamilies are the seeded tickets' titles, descriptions, categories and
// tags.
var seedFamilies = [...]struct{ title, description, category, tag string }{
	{"Impressora não imprime", "A impressora do financeiro parou de imprimir", "Hardware", "printer"},
	{"VPN caiu", "Sem acesso remoto desde cedo", "Rede", "vpn"},
	{"Notebook lento", "Demora muito para ligar", "Hardware", "notebook"},
	{"Senha expirada", "Não consigo entrar no sistema", "Acesso", "password"},
	{"E-mail não sincroniza", "O Outlook não recebe mensagens", "Software", "email"},
	{"Monitor piscando", "A tela pisca o tempo todo", "Hardware", "monitor"},
}

// seedStatus spreads the statuses over r in [0, 20): closed 55 %, resolved
// 10 %, new 5 %, open 10 %, in_progress 10 %, pending_customer 5 %,
// cancelled 5 %.
func seedStatus(r uint64) tickets.Status {
	switch {
	case r <= 10:
		return tickets.StatusClosed
	case r <= 12:
		return tickets.StatusResolved
	case r == 13:
		return tickets.StatusNew
	case r <= 15:
		return tickets.StatusOpen
	case r <= 17:
		return tickets.StatusInProgress
	case r == 18:
		return tickets.StatusPendingCustomer
	}
	return tickets.StatusCancelled
}

// SeedTickets bulk-loads the data set size describes with multi-row inserts
// of 1,000 rows in transactions of 50,000, then updates the planner's
// statistics. The measured company receives a requester and five agents.
// Statuses, priorities, SLA states, response and resolution times are
// spread deterministically; one ticket in 30 was reopened twice.
func SeedTickets(ctx context.Context, s *bunstore.Store, size TicketSeed) (SeededTickets, error) {
	if size.Companies < 1 || size.PerCompany < 0 {
		return SeededTickets{}, fmt.Errorf("seeding tickets: %d companies of %d tickets", size.Companies, size.PerCompany)
	}
	now := size.Now
	if now.IsZero() {
		now = TicketSeedNow
	}
	companies := make([]tenant.CompanyID, 0, size.Companies)
	contacts := make(map[tenant.CompanyID]tenant.ContactID, size.Companies)
	var agents []tenant.UserID
	err := s.Directory().InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
		if size.Company != 0 {
			companies = append(companies, size.Company)
		}
		for i := len(companies); i < size.Companies; i++ {
			c := directory.Company{Name: fmt.Sprintf("Seed %03d", i), Timezone: "America/Sao_Paulo", Active: true, CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertCompany(ctx, &c); err != nil {
				return err
			}
			companies = append(companies, c.ID)
		}
		for _, c := range companies {
			ct := directory.Contact{CompanyID: c, Name: "Requester", Active: true, CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertContact(ctx, &ct); err != nil {
				return err
			}
			contacts[c] = ct.ID
		}
		for i := range 5 {
			u := directory.User{CompanyID: companies[0], Email: fmt.Sprintf("seed-agent%d-%d@example.com", i, companies[0]),
				PasswordHash: []byte("x"), Role: tenant.RoleAgent, Active: true, CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertUser(ctx, &u); err != nil {
				return err
			}
			agents = append(agents, u.ID)
		}
		return nil
	})
	if err != nil {
		return SeededTickets{}, fmt.Errorf("seeding tickets: %w", err)
	}
	main := companies[0]
	// Continue each company's numbering after the tickets it already has.
	seq := make(map[tenant.CompanyID]int64, len(companies))
	var top int64
	if err := s.DB().NewSelect().TableExpr("tickets").ColumnExpr("COALESCE(MAX(number), 0)").
		Where("company_id = ?", int64(main)).Scan(ctx, &top); err != nil {
		return SeededTickets{}, fmt.Errorf("seeding tickets: %w", err)
	}
	seq[main] = top
	total := size.Companies * size.PerCompany
	const batch, perTx = 1000, 50_000
	for start := 0; start < total; start += perTx {
		err := s.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for from := start; from < min(start+perTx, total); from += batch {
				rows := make([]TicketRow, 0, batch)
				for i := from; i < min(from+batch, total); i++ {
					company := companies[i%len(companies)]
					seq[company]++
					rows = append(rows, seedRow(i, company, seq[company], contacts[company], now, company == main, agents))
				}
				if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return SeededTickets{}, fmt.Errorf("seeding tickets: %w", err)
		}
	}
	// Move the counters past the seeded numbers, so that the service's
	// creations continue the sequences.
	err = s.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for company, last := range seq {
			var err error
			if s.Dialect() == bunstore.Postgres {
				_, err = tx.ExecContext(ctx, "SELECT setval(?, ?)", fmt.Sprintf("ticket_numbers_%d", company), last)
			} else {
				_, err = tx.ExecContext(ctx, `INSERT INTO ticket_counters (company_id, next_number) VALUES (?, ?)
ON CONFLICT (company_id) DO UPDATE SET next_number = excluded.next_number`, int64(company), last+1)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return SeededTickets{}, fmt.Errorf("seeding tickets: counters: %w", err)
	}
	if err := settle(ctx, s, "tickets"); err != nil {
		return SeededTickets{}, fmt.Errorf("seeding tickets: %w", err)
	}
	return SeededTickets{Company: main, Requester: contacts[main], Agents: agents}, nil
}

// seedRow is the i-th seeded ticket, number number of company.
func seedRow(i int, company tenant.CompanyID, number int64, requester tenant.ContactID, now time.Time, assigned bool, agents []tenant.UserID) TicketRow {
	h := uint64(i+1) * 0x9E3779B97F4A7C15
	fam := seedFamilies[(h>>33)%uint64(len(seedFamilies))]
	status := seedStatus((h >> 45) % 20)
	pr := sla.Priorities()[(h>>40)%4]
	created := now.Add(-time.Duration((h>>8)%(365*24*60)) * time.Minute)
	r := TicketRow{CompanyID: int64(company), Number: number, Title: fam.title, Description: fam.description,
		Priority: string(pr), Category: fam.category, Channel: "web", Tags: `["` + fam.tag + `"]`,
		RequesterContactID: int64(requester), Status: string(status), Pauses: "[]", SLAState: "on_track",
		ResponseDueAt: created.Add(8 * time.Hour), ResolutionDueAt: created.Add(72 * time.Hour), Version: 1,
		CreatedAt: created, UpdatedAt: created.Add(time.Minute)}
	if (h>>50)%30 == 0 {
		r.ReopenCount = 2
	}
	if assigned && status != tickets.StatusNew {
		r.AssigneeUserID = int64(agents[(h>>20)%uint64(len(agents))])
	}
	if status != tickets.StatusNew {
		r.FirstResponseAt = created.Add(time.Duration((h>>20)%480) * time.Minute)
	}
	switch status {
	case tickets.StatusResolved, tickets.StatusClosed:
		r.ResolvedAt = created.Add(time.Duration((h>>30)%96) * time.Hour)
		r.UpdatedAt = r.ResolvedAt
		r.SLAState = "met"
		if !r.ResolvedAt.Before(r.ResolutionDueAt) {
			r.SLAState = "breached"
		}
		if status == tickets.StatusClosed {
			r.ClosedAt = r.ResolvedAt.Add(time.Hour)
		}
	case tickets.StatusCancelled:
	default:
		r.SLAState = []string{"on_track", "on_track", "at_risk", "breached"}[(h>>12)%4]
		r.NextSLACheckAt = created.Add(72 * time.Hour)
	}
	return r
}
