package httpapi_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// ticketsPath is the collection of tickets.
const ticketsPath = "/api/helpdesk/tickets"

func ticketPath(id int64) string { return ticketsPath + "/" + strconv.FormatInt(id, 10) }

type slaTargetResp struct {
	State          string     `json:"state"`
	TargetSeconds  *int64     `json:"target_seconds"`
	ElapsedSeconds *int64     `json:"elapsed_seconds"`
	DueAt          time.Time  `json:"due_at"`
	BreachedAt     *time.Time `json:"breached_at"`
}

type slaResp struct {
	State         string        `json:"state"`
	FirstResponse slaTargetResp `json:"first_response"`
	Resolution    slaTargetResp `json:"resolution"`
	Paused        bool          `json:"paused"`
}

type nextActionResp struct {
	Name     string   `json:"name"`
	Status   string   `json:"status"`
	Required []string `json:"required"`
}

type ticketResp struct {
	ID                 int64             `json:"id"`
	CompanyID          int64             `json:"company_id"`
	Number             int64             `json:"number"`
	Title              string            `json:"title"`
	Description        string            `json:"description"`
	Priority           string            `json:"priority"`
	Category           string            `json:"category"`
	Channel            string            `json:"channel"`
	Tags               []string          `json:"tags"`
	RequesterContactID int64             `json:"requester_contact_id"`
	AssigneeUserID     *int64            `json:"assignee_user_id"`
	AssetID            *int64            `json:"asset_id"`
	Status             string            `json:"status"`
	ResolutionNote     *string           `json:"resolution_note"`
	CancelReason       *string           `json:"cancel_reason"`
	ReopenCount        int               `json:"reopen_count"`
	FirstResponseAt    *time.Time        `json:"first_response_at"`
	ResolvedAt         *time.Time        `json:"resolved_at"`
	ClosedAt           *time.Time        `json:"closed_at"`
	SLA                slaResp           `json:"sla"`
	NextActions        *[]nextActionResp `json:"next_actions"`
	Version            int64             `json:"version"`
	CreatedAt          time.Time         `json:"created_at"`
	UpdatedAt          time.Time         `json:"updated_at"`
}

// actions lists the names of t's next actions.
func (t ticketResp) actions() []string {
	out := []string{}
	if t.NextActions != nil {
		for _, a := range *t.NextActions {
			out = append(out, a.Name)
		}
	}
	return out
}

type commentResp struct {
	ID           int64     `json:"id"`
	TicketID     int64     `json:"ticket_id"`
	AuthorUserID int64     `json:"author_user_id"`
	Body         string    `json:"body"`
	Internal     bool      `json:"internal"`
	CreatedAt    time.Time `json:"created_at"`
}

// ticketIn decodes a ticket response into a fresh value.
func ticketIn(t *testing.T, r response) ticketResp {
	t.Helper()
	var x ticketResp
	r.JSON(t, &x)
	return x
}

// createTicket opens a ticket as token and requires success.
func (f *invFixture) createTicket(token string, body map[string]any, headers ...string) ticketResp {
	f.t.Helper()
	r := f.call(token, "POST", ticketsPath, body, headers...)
	require.Equal(f.t, http.StatusCreated, r.Status, "%s", r.Body)
	x := ticketIn(f.t, r)
	require.Equal(f.t, ticketPath(x.ID), r.Header.Get("Location"))
	require.Equal(f.t, etagOf(x.Version), r.Header.Get("ETag"))
	return x
}

// ticket reads a ticket as token and requires success.
func (f *invFixture) ticket(token string, id int64) ticketResp {
	f.t.Helper()
	r := f.call(token, "GET", ticketPath(id), nil)
	require.Equal(f.t, http.StatusOK, r.Status, "%s", r.Body)
	x := ticketIn(f.t, r)
	require.Equal(f.t, etagOf(x.Version), r.Header.Get("ETag"))
	require.NotNil(f.t, x.NextActions, "single-ticket responses carry next_actions")
	return x
}

// putTicket changes a ticket as token with If-Match of version (none when
// 0) and returns the response.
func (f *invFixture) putTicket(token string, id, version int64, body map[string]any) response {
	f.t.Helper()
	var h []string
	if version != 0 {
		h = []string{"If-Match", etagOf(version)}
	}
	return f.call(token, "PUT", ticketPath(id), body, h...)
}

// moveTicket moves a ticket to status (with extra fields) and requires
// success.
func (f *invFixture) moveTicket(token string, x ticketResp, status string, extra ...any) ticketResp {
	f.t.Helper()
	body := map[string]any{"status": status}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	r := f.putTicket(token, x.ID, x.Version, body)
	require.Equal(f.t, http.StatusOK, r.Status, "%s: %s", status, r.Body)
	got := ticketIn(f.t, r)
	require.Equal(f.t, status, got.Status)
	require.Equal(f.t, etagOf(got.Version), r.Header.Get("ETag"))
	return got
}

// userOf returns the user ID behind token.
func (f *invFixture) userOf(token string) int64 {
	f.t.Helper()
	r := f.call(token, "GET", "/auth/me", nil)
	require.Equal(f.t, http.StatusOK, r.Status, "%s", r.Body)
	var me struct {
		UserID int64 `json:"user_id"`
	}
	r.JSON(f.t, &me)
	require.NotZero(f.t, me.UserID)
	return me.UserID
}

// ticketIDs lists the IDs of the tickets path returns to token, following
// every page.
func (f *invFixture) ticketIDs(token, path string) []int64 {
	f.t.Helper()
	ids := []int64{}
	for _, x := range listAll[ticketResp](f, token, path, 200) {
		require.Nil(f.t, x.NextActions, "list items carry no next_actions")
		ids = append(ids, x.ID)
	}
	return ids
}

// advance moves the test clock forward by d and logs everyone in again,
// since access tokens live 15 minutes.
func (f *invFixture) advance(d time.Duration) {
	f.t.Helper()
	f.clock.Advance(d)
	for _, c := range []struct {
		name   string
		tokens map[tenant.Role]string
	}{{"acme", f.ta}, {"beta", f.tb}} {
		for role := range c.tokens {
			c.tokens[role] = f.login(string(role)+"@"+c.name+".test", "password-"+string(role)).AccessToken
		}
	}
	f.root = f.login(rootEmail, rootPassword).AccessToken
}

// requireProblem requires r to be a problem with status naming field
// (when not empty) and returns it.
func requireProblem(t *testing.T, r response, status int, field string) problem {
	t.Helper()
	require.Equal(t, status, r.Status, "%s", r.Body)
	p := r.Problem(t)
	if field != "" {
		require.Contains(t, p.Fields(), field, "%s", r.Body)
	}
	return p
}

func TestTicketCreate(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		agent, requester := f.ta[tenant.RoleAgent], f.ta[tenant.RoleRequester]
		agentContact, requesterContact := f.contactOf(agent), f.contactOf(requester)

		// An agent opens a ticket for itself, with the defaults.
		x := f.createTicket(agent, map[string]any{"title": "Impressora não imprime", "description": "Sai papel em branco.",
			"priority": "high", "tags": []string{" Impressora ", "impressora", "2º andar"}})
		require.Equal(t, int64(1), x.Number)
		require.Equal(t, "new", x.Status)
		require.Equal(t, int64(f.a.ID), x.CompanyID)
		require.Equal(t, "high", x.Priority)
		require.Equal(t, "web", x.Channel)
		require.Equal(t, []string{"impressora", "2º andar"}, x.Tags)
		require.Equal(t, agentContact, x.RequesterContactID)
		require.Nil(t, x.AssigneeUserID)
		require.Nil(t, x.AssetID)
		require.Nil(t, x.FirstResponseAt)
		require.Nil(t, x.ResolvedAt)
		require.Equal(t, int64(1), x.Version)
		require.Equal(t, time.UTC, x.CreatedAt.Location())
		// The SLA is evaluated now: both clocks run, on track.
		require.Equal(t, "on_track", x.SLA.State)
		require.False(t, x.SLA.Paused)
		for name, target := range map[string]slaTargetResp{"first_response": x.SLA.FirstResponse, "resolution": x.SLA.Resolution} {
			require.Equal(t, "on_track", target.State, name)
			require.NotNil(t, target.TargetSeconds, name)
			require.Positive(t, *target.TargetSeconds, name)
			require.NotNil(t, target.ElapsedSeconds, name)
			require.Zero(t, *target.ElapsedSeconds, name)
			require.True(t, target.DueAt.After(x.CreatedAt), "%s due %v", name, target.DueAt)
			require.Nil(t, target.BreachedAt, name)
		}
		require.Equal(t, int64(4*3600), *x.SLA.FirstResponse.TargetSeconds, "high: 4 business hours to respond")
		require.Equal(t, int64(24*3600), *x.SLA.Resolution.TargetSeconds, "high: 24 business hours to resolve")
		require.True(t, x.SLA.Resolution.DueAt.After(x.SLA.FirstResponse.DueAt))
		require.Contains(t, x.actions(), "resolve")
		for _, a := range *x.NextActions {
			if a.Name == "resolve" {
				require.Equal(t, "resolved", a.Status)
				require.Equal(t, []string{"resolution_note"}, a.Required)
			}
		}
		require.Equal(t, x, f.ticket(agent, x.ID), "GET returns what the create answered")

		// An agent may open a ticket for another contact of the company.
		forReq := f.createTicket(agent, map[string]any{"title": "Para o solicitante", "requester_contact_id": requesterContact,
			"channel": "whatsapp", "priority": "low"})
		require.Equal(t, int64(2), forReq.Number)
		require.Equal(t, requesterContact, forReq.RequesterContactID)
		require.Equal(t, "whatsapp", forReq.Channel)

		// A requester is always its own requester.
		own := f.createTicket(requester, map[string]any{"title": "Meu notebook não liga"})
		require.Equal(t, int64(3), own.Number)
		require.Equal(t, requesterContact, own.RequesterContactID)
		require.Equal(t, "medium", own.Priority)
		require.Equal(t, []string{}, own.Tags)
		require.Equal(t, []string{"cancel"}, own.actions(), "a requester may only cancel its new ticket")
		r := f.call(requester, "POST", ticketsPath, map[string]any{"title": "Para outro", "requester_contact_id": agentContact})
		requireProblem(t, r, http.StatusUnprocessableEntity, "requester_contact_id")

		// Idempotency-Key: a replay answers the stored response, with its
		// Location and ETag, and opens nothing more.
		body := map[string]any{"title": "Sem rede", "category": "Rede"}
		first := f.call(agent, "POST", ticketsPath, body, "Idempotency-Key", "ticket-1")
		require.Equal(t, http.StatusCreated, first.Status, "%s", first.Body)
		again := f.call(agent, "POST", ticketsPath, body, "Idempotency-Key", "ticket-1")
		require.Equal(t, http.StatusCreated, again.Status, "%s", again.Body)
		require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
		require.JSONEq(t, string(first.Body), string(again.Body))
		require.Equal(t, first.Header.Get("Location"), again.Header.Get("Location"))
		require.Equal(t, first.Header.Get("ETag"), again.Header.Get("ETag"))
		require.Equal(t, int64(4), ticketIn(t, first).Number)
		require.Len(t, f.ticketIDs(agent, ticketsPath), 4)
		requireProblem(t, f.call(agent, "POST", ticketsPath, with(body, "title", "Outro"), "Idempotency-Key", "ticket-1"),
			http.StatusUnprocessableEntity, "")

		// Invalid input is refused naming the field, and writes nothing.
		bAsset := f.intake(f.tb[tenant.RoleAgent], map[string]any{"name": "Switch", "category": "Rede", "quantity": 1}).Assets[0].ID
		bContact := f.contactOf(f.tb[tenant.RoleRequester])
		for _, c := range []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"empty title", map[string]any{"title": "  "}, http.StatusUnprocessableEntity, "title"},
			{"no title", map[string]any{"description": "x"}, http.StatusUnprocessableEntity, "title"},
			{"long description", map[string]any{"title": "x", "description": strings.Repeat("a", 20001)}, http.StatusUnprocessableEntity, "description"},
			{"unknown priority", map[string]any{"title": "x", "priority": "urgent"}, http.StatusUnprocessableEntity, "priority"},
			{"unknown channel", map[string]any{"title": "x", "channel": "fax"}, http.StatusUnprocessableEntity, "channel"},
			{"foreign asset", map[string]any{"title": "x", "asset_id": bAsset}, http.StatusUnprocessableEntity, "asset_id"},
			{"foreign contact", map[string]any{"title": "x", "requester_contact_id": bContact}, http.StatusUnprocessableEntity, "requester_contact_id"},
			{"too many tags", map[string]any{"title": "x", "tags": manyTags(21)}, http.StatusUnprocessableEntity, "tags"},
			{"unknown field", map[string]any{"title": "x", "urgency": "high"}, http.StatusUnprocessableEntity, "urgency"},
			{"wrong type", map[string]any{"title": 42}, http.StatusBadRequest, "title"},
			{"not JSON", "{", http.StatusBadRequest, ""},
		} {
			r := f.call(agent, "POST", ticketsPath, c.body)
			requireProblem(t, r, c.status, c.field)
			require.Empty(t, r.Header.Get("Location"), c.name)
		}
		require.Len(t, f.ticketIDs(agent, ticketsPath), 4, "nothing was written")
		// Numbering is gapless: the refused creates used no number.
		require.Equal(t, int64(5), f.createTicket(agent, map[string]any{"title": "Depois"}).Number)

		// An integration that may open tickets but not read them gets the
		// stored SLA summary and no next actions.
		_, token, err := e.desk.Directory.CreateAPIToken(t.Context(), mustIn(t, f.a), directory.APITokenInput{
			Name: "intake bot", Permissions: []tenant.Permission{tenant.PermTicketsCreate}})
		require.NoError(t, err)
		requireProblem(t, f.call(token, "POST", ticketsPath, map[string]any{"title": "Sem solicitante"}),
			http.StatusUnprocessableEntity, "requester_contact_id")
		bot := f.createTicket(token, map[string]any{"title": "Pelo robô", "channel": "api", "requester_contact_id": requesterContact})
		require.Equal(t, int64(6), bot.Number)
		require.Nil(t, bot.NextActions)
		require.Equal(t, "on_track", bot.SLA.State)
		require.False(t, bot.SLA.FirstResponse.DueAt.IsZero())
		require.Nil(t, bot.SLA.FirstResponse.TargetSeconds)
		requireProblem(t, f.call(token, "GET", ticketPath(bot.ID), nil), http.StatusForbidden, "")

		// A viewer may not open tickets; Beta's numbering is its own.
		requireProblem(t, f.call(f.ta[tenant.RoleViewer], "POST", ticketsPath, map[string]any{"title": "x"}), http.StatusForbidden, "")
		require.Equal(t, int64(1), f.createTicket(f.tb[tenant.RoleAgent], map[string]any{"title": "Beta"}).Number)
	})
}

func TestTicketListFilters(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		agent, requester := f.ta[tenant.RoleAgent], f.ta[tenant.RoleRequester]
		requesterContact := f.contactOf(requester)
		asset := f.intake(agent, map[string]any{"name": "Notebook", "category": "Notebook", "quantity": 1}).Assets[0].ID

		t1 := f.createTicket(agent, map[string]any{"title": "Impressora travada", "priority": "high", "category": "Hardware",
			"tags": []string{"impressora"}, "asset_id": asset})
		t2 := f.createTicket(requester, map[string]any{"title": "Senha expirada", "description": "Não consigo entrar no e-mail",
			"category": "Acesso", "tags": []string{"email", "senha"}})
		f.advance(2 * time.Hour)
		admin := f.ta[tenant.RoleAdmin]
		agent, requester = f.ta[tenant.RoleAgent], f.ta[tenant.RoleRequester]
		mid := e.clock.Now().UTC()
		t3 := f.createTicket(agent, map[string]any{"title": "Rede lenta", "priority": "critical", "channel": "api",
			"category": "Rede"})
		t4 := f.createTicket(agent, map[string]any{"title": "Impressora sem toner", "priority": "low", "tags": []string{"impressora"},
			"requester_contact_id": requesterContact, "channel": "email"})
		t5 := f.createTicket(agent, map[string]any{"title": "Cadeira quebrada", "priority": "low"})

		r := f.call(agent, "POST", ticketPath(t3.ID)+"/assign", map[string]any{"assignee_user_id": f.userOf(agent)})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		f.moveTicket(agent, f.ticket(agent, t5.ID), "in_progress")

		all := []int64{t1.ID, t2.ID, t3.ID, t4.ID, t5.ID}
		require.Equal(t, all, f.ticketIDs(admin, ticketsPath))
		// Paging: two per page, in ID order.
		var paged []int64
		for _, x := range listAll[ticketResp](f, admin, ticketsPath, 2) {
			paged = append(paged, x.ID)
			require.NotEmpty(t, x.SLA.State, "list items carry the stored SLA summary")
			require.False(t, x.SLA.FirstResponse.DueAt.IsZero())
			require.False(t, x.SLA.Resolution.DueAt.IsZero())
		}
		require.Equal(t, all, paged)

		for _, c := range []struct {
			query string
			want  []int64
		}{
			{"status=new", []int64{t1.ID, t2.ID, t3.ID, t4.ID}},
			{"status=in_progress", []int64{t5.ID}},
			{"priority=low", []int64{t4.ID, t5.ID}},
			{"priority=critical", []int64{t3.ID}},
			{"assignee_user_id=" + strconv.FormatInt(f.userOf(agent), 10), []int64{t3.ID}},
			{"requester_contact_id=" + strconv.FormatInt(requesterContact, 10), []int64{t2.ID, t4.ID}},
			{"asset_id=" + strconv.FormatInt(asset, 10), []int64{t1.ID}},
			{"category=Rede", []int64{t3.ID}},
			{"tag=impressora", []int64{t1.ID, t4.ID}},
			{"tag=senha", []int64{t2.ID}},
			{"channel=api", []int64{t3.ID}},
			{"channel=email", []int64{t4.ID}},
			{"sla_state=on_track", all},
			{"sla_state=breached", []int64{}},
			{"created_from=" + url.QueryEscape(mid.Format(time.RFC3339)), []int64{t3.ID, t4.ID, t5.ID}},
			{"created_to=" + url.QueryEscape(mid.Format(time.RFC3339)), []int64{t1.ID, t2.ID}},
			{"q=impressora", []int64{t1.ID, t4.ID}},
			{"q=consigo", []int64{t2.ID}},
			{"q=impressora&priority=low", []int64{t4.ID}},
			{"tag=impressora&status=new&channel=web", []int64{t1.ID}},
		} {
			require.Equal(t, c.want, f.ticketIDs(admin, ticketsPath+"?"+c.query), c.query)
		}

		// Sorted lists, in pages of two: the order sort names, each ticket
		// once; a cursor of one order is refused by another.
		ids := func(items []ticketResp) []int64 {
			out := []int64{}
			for _, x := range items {
				out = append(out, x.ID)
			}
			return out
		}
		for _, c := range []struct {
			sort  string
			want  []int64
			order func(a, b ticketResp) bool // a may come before b
		}{
			{sort: "oldest", want: all},
			{sort: "newest", want: []int64{t5.ID, t4.ID, t3.ID, t2.ID, t1.ID}},
			{sort: "priority", want: []int64{t3.ID, t1.ID, t2.ID, t4.ID, t5.ID}},
			{sort: "priority&status=new", want: []int64{t3.ID, t1.ID, t2.ID, t4.ID}},
			{sort: "updated", order: func(a, b ticketResp) bool {
				return a.UpdatedAt.After(b.UpdatedAt) || a.UpdatedAt.Equal(b.UpdatedAt) && a.ID > b.ID
			}},
			{sort: "due", order: func(a, b ticketResp) bool {
				da, db := a.SLA.Resolution.DueAt, b.SLA.Resolution.DueAt
				return da.Before(db) || da.Equal(db) && a.ID < b.ID
			}},
		} {
			got := listAll[ticketResp](f, admin, ticketsPath+"?sort="+c.sort, 2)
			if c.want != nil {
				require.Equal(t, c.want, ids(got), c.sort)
				continue
			}
			require.ElementsMatch(t, all, ids(got), c.sort)
			for i := 1; i < len(got); i++ {
				require.True(t, c.order(got[i-1], got[i]), "%s: %d before %d", c.sort, got[i-1].ID, got[i].ID)
			}
		}
		r = f.call(admin, "GET", ticketsPath+"?sort=priority&limit=1", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var first struct {
			NextCursor string `json:"next_cursor"`
		}
		r.JSON(t, &first)
		require.NotEmpty(t, first.NextCursor)
		requireProblem(t, f.call(admin, "GET", ticketsPath+"?sort=updated&cursor="+url.QueryEscape(first.NextCursor), nil),
			http.StatusBadRequest, "")

		// A requester sees only the tickets it requested, whatever it asks.
		require.Equal(t, []int64{t2.ID, t4.ID}, f.ticketIDs(requester, ticketsPath))
		require.Equal(t, []int64{t2.ID, t4.ID}, f.ticketIDs(requester, ticketsPath+"?requester_contact_id="+strconv.FormatInt(f.contactOf(agent), 10)))
		require.Equal(t, []int64{t4.ID}, f.ticketIDs(requester, ticketsPath+"?tag=impressora"))

		// Malformed filters are 422 naming the parameter.
		for q, field := range map[string]string{
			"status=bogus": "status", "priority=urgent": "priority", "channel=fax": "channel", "sla_state=late": "sla_state",
			"assignee_user_id=abc": "assignee_user_id", "asset_id=-1": "asset_id", "created_from=yesterday": "created_from",
			"created_to=2026-13-01": "created_to", "limit=0": "limit", "sort=sideways": "sort", "sort=-updated": "sort",
		} {
			requireProblem(t, f.call(admin, "GET", ticketsPath+"?"+q, nil), http.StatusUnprocessableEntity, field)
		}
		requireProblem(t, f.call(admin, "GET", ticketsPath+"?cursor=nonsense", nil), http.StatusBadRequest, "")
	})
}

func TestTicketVisibilityAndRoles(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		agent, requester, viewer := f.ta[tenant.RoleAgent], f.ta[tenant.RoleRequester], f.ta[tenant.RoleViewer]
		mine := f.createTicket(requester, map[string]any{"title": "Meu"})
		theirs := f.createTicket(agent, map[string]any{"title": "Do agente"})

		// A requester reads its own ticket; another one behaves as missing.
		require.Equal(t, mine.ID, f.ticket(requester, mine.ID).ID)
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"GET", ticketPath(theirs.ID), nil},
			{"PUT", ticketPath(theirs.ID), map[string]any{"status": "cancelled", "reason": "engano"}},
			{"GET", ticketPath(theirs.ID) + "/comments", nil},
			{"POST", ticketPath(theirs.ID) + "/comments", map[string]any{"body": "oi"}},
		} {
			requireProblem(t, f.call(requester, c.method, c.path, c.body), http.StatusNotFound, "")
		}
		// A requester works no ticket: field edits and assignment are 403.
		requireProblem(t, f.putTicket(requester, mine.ID, 0, map[string]any{"priority": "critical"}), http.StatusForbidden, "")
		requireProblem(t, f.call(requester, "POST", ticketPath(mine.ID)+"/assign", map[string]any{"assignee_user_id": nil}),
			http.StatusForbidden, "")
		// Starting work is not a requester's move: 403 with what it may do.
		p := requireProblem(t, f.putTicket(requester, mine.ID, 0, map[string]any{"status": "in_progress"}), http.StatusForbidden, "")
		require.Equal(t, []string{"cancelled"}, p.AllowedTransitions)
		// It may cancel its own, with a reason.
		requireProblem(t, f.putTicket(requester, mine.ID, mine.Version, map[string]any{"status": "cancelled"}),
			http.StatusUnprocessableEntity, "reason")
		cancelled := f.moveTicket(requester, mine, "cancelled", "reason", "Resolvi sozinho")
		require.Equal(t, "Resolvi sozinho", *cancelled.CancelReason)
		require.Empty(t, *cancelled.NextActions)

		// A viewer reads everything and changes nothing.
		require.Equal(t, []int64{mine.ID, theirs.ID}, f.ticketIDs(viewer, ticketsPath))
		v := f.ticket(viewer, theirs.ID)
		require.Empty(t, *v.NextActions, "a viewer has no next actions")
		requireProblem(t, f.putTicket(viewer, theirs.ID, v.Version, map[string]any{"title": "Outro"}), http.StatusForbidden, "")
		p = requireProblem(t, f.putTicket(viewer, theirs.ID, v.Version, map[string]any{"status": "open"}), http.StatusForbidden, "")
		require.Equal(t, []string{}, p.AllowedTransitions)
		requireProblem(t, f.call(viewer, "POST", ticketPath(theirs.ID)+"/assign", map[string]any{"assignee_user_id": 0}),
			http.StatusForbidden, "")
		requireProblem(t, f.call(viewer, "POST", ticketPath(theirs.ID)+"/comments", map[string]any{"body": "oi"}),
			http.StatusForbidden, "")
		require.Equal(t, v, f.ticket(viewer, theirs.ID), "nothing changed")
	})
}

func TestTicketLifecycle(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		agent, requester := f.ta[tenant.RoleAgent], f.ta[tenant.RoleRequester]
		x := f.createTicket(requester, map[string]any{"title": "Notebook não liga", "priority": "high"})
		require.Equal(t, []string{"open", "start", "resolve", "cancel"}, f.ticket(agent, x.ID).actions())

		// Assignment: only an agent or admin of this company.
		assign := func(user any, headers ...string) response {
			return f.call(agent, "POST", ticketPath(x.ID)+"/assign", map[string]any{"assignee_user_id": user}, headers...)
		}
		requireProblem(t, assign(f.userOf(f.tb[tenant.RoleAgent])), http.StatusUnprocessableEntity, "assignee_user_id")
		requireProblem(t, assign(f.userOf(requester)), http.StatusUnprocessableEntity, "assignee_user_id")
		requireProblem(t, assign(-1), http.StatusUnprocessableEntity, "assignee_user_id")
		requireProblem(t, f.call(agent, "POST", ticketPath(x.ID)+"/assign", map[string]any{}), http.StatusUnprocessableEntity, "assignee_user_id")
		requireProblem(t, assign(f.userOf(agent), "If-Match", etagOf(x.Version+1)), http.StatusPreconditionFailed, "")
		r := assign(f.userOf(agent), "If-Match", etagOf(x.Version))
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		x = ticketIn(t, r)
		require.Equal(t, f.userOf(agent), *x.AssigneeUserID)
		require.Equal(t, etagOf(x.Version), r.Header.Get("ETag"))
		require.NotNil(t, x.NextActions)
		// Unassigning with null, then assigning again without If-Match.
		r = assign(nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.Nil(t, ticketIn(t, r).AssigneeUserID)
		r = assign(f.userOf(f.ta[tenant.RoleAdmin]))
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		x = ticketIn(t, r)
		require.Equal(t, f.userOf(f.ta[tenant.RoleAdmin]), *x.AssigneeUserID)

		// Stale If-Match: 412, and nothing changes.
		requireProblem(t, f.putTicket(agent, x.ID, x.Version-1, map[string]any{"title": "Outro"}), http.StatusPreconditionFailed, "")
		requireProblem(t, f.call(agent, "PUT", ticketPath(x.ID), map[string]any{"title": "Outro"}, "If-Match", "v1"),
			http.StatusBadRequest, "")
		require.Equal(t, x.Version, f.ticket(agent, x.ID).Version)
		require.Equal(t, "Notebook não liga", f.ticket(agent, x.ID).Title)

		// Field edits.
		r = f.putTicket(agent, x.ID, x.Version, map[string]any{"title": "Notebook Dell não liga", "category": "Hardware",
			"tags": []string{"Notebook"}, "priority": "critical"})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		x = ticketIn(t, r)
		require.Equal(t, "Notebook Dell não liga", x.Title)
		require.Equal(t, "critical", x.Priority)
		require.Equal(t, []string{"notebook"}, x.Tags)
		require.Equal(t, int64(3600), *x.SLA.FirstResponse.TargetSeconds, "a priority change re-targets the SLA")
		for field, body := range map[string]map[string]any{
			"title":    {"title": ""},
			"priority": {"priority": "urgent"},
			"status":   {"status": "done"},
		} {
			requireProblem(t, f.putTicket(agent, x.ID, x.Version, body), http.StatusUnprocessableEntity, field)
		}
		requireProblem(t, f.putTicket(agent, x.ID, x.Version, map[string]any{"assignee_user_id": 1}), http.StatusUnprocessableEntity, "assignee_user_id")

		// start → wait_for_customer pauses the clocks.
		x = f.moveTicket(agent, x, "in_progress")
		f.advance(10 * time.Minute)
		agent = f.ta[tenant.RoleAgent]
		x = f.moveTicket(agent, x, "pending_customer")
		require.True(t, x.SLA.Paused)
		require.Equal(t, "paused", x.SLA.State)
		require.Equal(t, "paused", x.SLA.Resolution.State)
		require.Equal(t, "paused", f.ticketIDsState(agent, "sla_state=paused", x.ID), "the list filters on the stored state")
		elapsed := *x.SLA.Resolution.ElapsedSeconds
		f.advance(time.Hour)
		agent, requester = f.ta[tenant.RoleAgent], f.ta[tenant.RoleRequester]
		require.Equal(t, elapsed, *f.ticket(agent, x.ID).SLA.Resolution.ElapsedSeconds, "a paused clock stands still")

		// resolve needs a resolution note; the refusal changes nothing.
		p := requireProblem(t, f.putTicket(agent, x.ID, x.Version, map[string]any{"status": "resolved"}),
			http.StatusUnprocessableEntity, "resolution_note")
		require.Nil(t, p.AllowedTransitions)
		require.Equal(t, x.Version, f.ticket(agent, x.ID).Version)
		x = f.moveTicket(agent, x, "resolved", "resolution_note", "Fonte trocada")
		require.Equal(t, "Fonte trocada", *x.ResolutionNote)
		require.NotNil(t, x.ResolvedAt)
		require.False(t, x.SLA.Paused)
		require.Equal(t, "met", x.SLA.Resolution.State)
		require.Equal(t, []string{"close", "reopen"}, x.actions())

		// The requester reopens it; it is resolved again and closed.
		x = f.moveTicket(requester, f.ticket(requester, x.ID), "open")
		require.Equal(t, 1, x.ReopenCount)
		require.Nil(t, x.ResolvedAt)
		require.Nil(t, x.ResolutionNote)
		require.NotNil(t, x.FirstResponseAt, "the first resolution counts as the first response")
		x = f.moveTicket(agent, f.ticket(agent, x.ID), "resolved", "resolution_note", "Placa-mãe trocada")
		x = f.moveTicket(agent, x, "closed")
		require.NotNil(t, x.ClosedAt)
		require.NotNil(t, x.NextActions)
		require.Empty(t, *x.NextActions, "a closed ticket has no next actions")
		require.Empty(t, f.ticket(requester, x.ID).actions())

		// Nothing leaves closed: 409 with no allowed transitions.
		p = requireProblem(t, f.putTicket(agent, x.ID, x.Version, map[string]any{"status": "open"}), http.StatusConflict, "")
		require.NotNil(t, p.AllowedTransitions)
		require.Empty(t, p.AllowedTransitions)
		require.Equal(t, x.Version, f.ticket(agent, x.ID).Version)
		// A closed ticket is neither assigned nor commented.
		requireProblem(t, assign(f.userOf(agent)), http.StatusConflict, "")
		requireProblem(t, f.call(agent, "POST", ticketPath(x.ID)+"/comments", map[string]any{"body": "oi"}), http.StatusConflict, "")

		// An illegal move from an open ticket lists the legal ones.
		y := f.createTicket(agent, map[string]any{"title": "Outro"})
		p = requireProblem(t, f.putTicket(agent, y.ID, y.Version, map[string]any{"status": "closed"}), http.StatusConflict, "")
		require.ElementsMatch(t, []string{"open", "in_progress", "resolved", "cancelled"}, p.AllowedTransitions)
	})
}

// ticketIDsState returns the stored SLA state of ticket id as listed with
// query, or "" when the query does not list it.
func (f *invFixture) ticketIDsState(token, query string, id int64) string {
	f.t.Helper()
	for _, x := range listAll[ticketResp](f, token, ticketsPath+"?"+query, 200) {
		if x.ID == id {
			return x.SLA.State
		}
	}
	return ""
}

func TestTicketComments(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		agent, requester := f.ta[tenant.RoleAgent], f.ta[tenant.RoleRequester]
		x := f.createTicket(requester, map[string]any{"title": "Sem acesso à VPN"})
		comments := ticketPath(x.ID) + "/comments"
		comment := func(token string, body map[string]any, headers ...string) commentResp {
			t.Helper()
			r := f.call(token, "POST", comments, body, headers...)
			require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
			var c commentResp
			r.JSON(t, &c)
			return c
		}
		list := func(token string) []commentResp { return listAll[commentResp](f, token, comments, 2) }

		note := comment(agent, map[string]any{"body": "Verificar o certificado", "internal": true})
		require.True(t, note.Internal)
		require.Equal(t, x.ID, note.TicketID)
		require.Equal(t, f.userOf(agent), note.AuthorUserID)
		require.Nil(t, f.ticket(agent, x.ID).FirstResponseAt, "an internal note is no response")

		reply := comment(requester, map[string]any{"body": "Ainda sem acesso"})
		require.False(t, reply.Internal)
		require.Nil(t, f.ticket(agent, x.ID).FirstResponseAt, "the requester's reply is no response")
		requireProblem(t, f.call(requester, "POST", comments, map[string]any{"body": "segredo", "internal": true}),
			http.StatusUnprocessableEntity, "internal")
		requireProblem(t, f.call(agent, "POST", comments, map[string]any{"body": " "}), http.StatusUnprocessableEntity, "body")
		requireProblem(t, f.call(agent, "POST", comments, map[string]any{"body": strings.Repeat("a", 20001)}),
			http.StatusUnprocessableEntity, "body")
		requireProblem(t, f.call(agent, "POST", comments, map[string]any{"body": "x", "visibility": "all"}),
			http.StatusUnprocessableEntity, "visibility")

		e.clock.Advance(5 * time.Minute)
		answer := comment(agent, map[string]any{"body": "Reinstale o cliente"}, "Idempotency-Key", "reply-1")
		r := f.call(agent, "POST", comments, map[string]any{"body": "Reinstale o cliente"}, "Idempotency-Key", "reply-1")
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		require.Equal(t, "true", r.Header.Get("Idempotent-Replayed"))

		got := f.ticket(agent, x.ID)
		require.NotNil(t, got.FirstResponseAt, "the first public agent reply is the first response")
		require.True(t, answer.CreatedAt.Equal(*got.FirstResponseAt))
		require.Equal(t, "met", got.SLA.FirstResponse.State)

		// Staff see everything, oldest first; requesters never see notes.
		ids := func(cs []commentResp) []int64 {
			out := []int64{}
			for _, c := range cs {
				out = append(out, c.ID)
			}
			return out
		}
		require.Equal(t, []int64{note.ID, reply.ID, answer.ID}, ids(list(agent)))
		require.Equal(t, []int64{note.ID, reply.ID, answer.ID}, ids(list(f.ta[tenant.RoleViewer])))
		require.Equal(t, []int64{reply.ID, answer.ID}, ids(list(requester)))
		for _, c := range list(requester) {
			require.False(t, c.Internal)
		}
	})
}

func TestTicketAnalytics(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		admin, agent := f.ta[tenant.RoleAdmin], f.ta[tenant.RoleAgent]
		type analytics struct {
			From             time.Time `json:"from"`
			To               time.Time `json:"to"`
			ByStatusPriority []struct {
				Status, Priority string
				Count            int
			} `json:"by_status_priority"`
			PerDay []struct {
				Day               string
				Created, Resolved int
			} `json:"per_day"`
			FirstResponse struct {
				Count       int   `json:"count"`
				MeanSeconds int64 `json:"mean_seconds"`
				P90Seconds  int64 `json:"p90_seconds"`
			} `json:"first_response"`
			Resolution struct {
				Count       int   `json:"count"`
				MeanSeconds int64 `json:"mean_seconds"`
				P90Seconds  int64 `json:"p90_seconds"`
			} `json:"resolution"`
			SLACompliancePercent *float64 `json:"sla_compliance_percent"`
			Backlog              []struct {
				Bucket string
				Count  int
			} `json:"backlog"`
			Load []struct {
				UserID int64 `json:"user_id"`
				Active int
			} `json:"load"`
			Escalations []struct {
				TicketID *int64 `json:"ticket_id"`
				Reason   string `json:"reason"`
			} `json:"escalations"`
		}
		get := func(token, query string) analytics {
			t.Helper()
			r := f.call(token, "GET", "/api/helpdesk/analytics"+query, nil)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			var a analytics
			r.JSON(t, &a)
			return a
		}

		empty := get(admin, "")
		require.Empty(t, empty.ByStatusPriority)
		require.Nil(t, empty.SLACompliancePercent, "nothing resolved: no compliance")
		require.True(t, empty.To.Equal(e.clock.Now()), "to defaults to now")
		require.Equal(t, 30*24*time.Hour, empty.To.Sub(empty.From), "the default window is 30 days")

		t1 := f.createTicket(agent, map[string]any{"title": "A", "priority": "high"})
		f.createTicket(agent, map[string]any{"title": "B", "priority": "high"})
		f.createTicket(agent, map[string]any{"title": "C", "priority": "low"})
		f.createTicket(f.tb[tenant.RoleAgent], map[string]any{"title": "Beta", "priority": "low"})
		r := f.call(agent, "POST", ticketPath(t1.ID)+"/assign", map[string]any{"assignee_user_id": f.userOf(agent)})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		f.advance(30 * time.Minute)
		admin, agent = f.ta[tenant.RoleAdmin], f.ta[tenant.RoleAgent]
		f.moveTicket(agent, f.ticket(agent, t1.ID), "resolved", "resolution_note", "feito")
		e.clock.Advance(time.Minute)

		a := get(admin, "?from="+url.QueryEscape("2026-06-01T00:00:00Z")+"&to="+url.QueryEscape("2026-08-01T00:00:00Z"))
		require.True(t, a.From.Equal(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)))
		require.True(t, a.To.Equal(time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)))
		cells := map[string]int{}
		for _, c := range a.ByStatusPriority {
			cells[c.Status+"/"+c.Priority] += c.Count
		}
		require.Equal(t, map[string]int{"new/high": 1, "resolved/high": 1, "new/low": 1}, cells)
		created, resolved := 0, 0
		for _, d := range a.PerDay {
			created += d.Created
			resolved += d.Resolved
		}
		require.Equal(t, 3, created)
		require.Equal(t, 1, resolved)
		require.Equal(t, 1, a.Resolution.Count)
		require.InDelta(t, 30*60, a.Resolution.MeanSeconds, 2)
		require.NotNil(t, a.SLACompliancePercent)
		require.InDelta(t, 100.0, *a.SLACompliancePercent, 0.001)
		backlog := 0
		for _, b := range a.Backlog {
			backlog += b.Count
		}
		require.Equal(t, 2, backlog, "two tickets are still active")
		require.NotNil(t, a.Load)
		require.NotNil(t, a.Escalations)

		// Viewers read analytics; requesters may not.
		require.Equal(t, a, get(f.ta[tenant.RoleViewer], "?from="+url.QueryEscape("2026-06-01T00:00:00Z")+"&to="+url.QueryEscape("2026-08-01T00:00:00Z")))
		requireProblem(t, f.call(f.ta[tenant.RoleRequester], "GET", "/api/helpdesk/analytics", nil), http.StatusForbidden, "")
		requireProblem(t, f.call(admin, "GET", "/api/helpdesk/analytics?from=ontem", nil), http.StatusUnprocessableEntity, "from")
		requireProblem(t, f.call(admin, "GET", "/api/helpdesk/analytics?from="+url.QueryEscape("2026-08-01T00:00:00Z")+
			"&to="+url.QueryEscape("2026-06-01T00:00:00Z"), nil), http.StatusUnprocessableEntity, "to")
	})
}

func TestTicketTenantIsolation(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		x := f.createTicket(f.ta[tenant.RoleRequester], map[string]any{"title": "Da Acme"})
		path := ticketPath(x.ID)
		// Beta's users, and a platform admin acting in Beta, see Acme's
		// ticket as missing, for every method.
		callers := map[string][]string{}
		for _, role := range []tenant.Role{tenant.RoleAdmin, tenant.RoleAgent, tenant.RoleRequester, tenant.RoleViewer} {
			callers["beta "+string(role)] = []string{"Authorization", f.tb[role]}
		}
		callers["root in beta"] = []string{"Authorization", e.root, "X-Company-ID", strconv.FormatInt(int64(f.b.ID), 10)}
		for who, h := range callers {
			for _, c := range []struct {
				method, path string
				body         any
			}{
				{"GET", path, nil},
				{"PUT", path, map[string]any{"status": "cancelled", "reason": "x"}},
				{"PUT", path, map[string]any{"title": "x"}},
				{"POST", path + "/assign", map[string]any{"assignee_user_id": 0}},
				{"GET", path + "/comments", nil},
				{"POST", path + "/comments", map[string]any{"body": "x"}},
			} {
				e.clock.Advance(20 * time.Millisecond)
				r := e.do(c.method, c.path, c.body, h...)
				if r.Status == http.StatusForbidden {
					// The role may not do this at all: refused before any
					// lookup, so it reveals nothing either.
					require.Contains(t, []string{"beta requester", "beta viewer"}, who, "%s %s %s: %s", who, c.method, c.path, r.Body)
					continue
				}
				require.Equal(t, http.StatusNotFound, r.Status, "%s %s %s: %s", who, c.method, c.path, r.Body)
			}
			e.clock.Advance(20 * time.Millisecond)
			r := e.do("GET", ticketsPath, nil, h...)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			require.JSONEq(t, `{"items":[]}`, string(r.Body), who)
		}
		// Unknown and malformed IDs are missing too.
		requireProblem(t, f.call(f.ta[tenant.RoleAdmin], "GET", ticketPath(x.ID+1000), nil), http.StatusNotFound, "")
		requireProblem(t, f.call(f.ta[tenant.RoleAdmin], "GET", ticketsPath+"/abc", nil), http.StatusNotFound, "")
		// Acme still sees it unchanged.
		require.Equal(t, x.Version, f.ticket(f.ta[tenant.RoleAdmin], x.ID).Version)
	})
}

// manyTags returns n distinct tags.
func manyTags(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "tag" + strconv.Itoa(i)
	}
	return out
}
