package webui

import (
	"strconv"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// option is one choice of a select: its value and its label.
type option struct {
	Value string
	Label string
}

// names resolves the people a page shows, reading each once per request
// and only what the person may read (a requester sees names only where
// the services let them).
type names struct {
	q        *request
	contacts map[tenant.ContactID]string
	users    map[tenant.UserID]string
	agents   []directory.User
	loaded   bool
}

func newNames(q *request) *names {
	return &names{q: q, contacts: map[tenant.ContactID]string{}, users: map[tenant.UserID]string{}}
}

// contact is a contact's name, "#id" when it cannot be read.
func (n *names) contact(id tenant.ContactID) string {
	if id == 0 {
		return ""
	}
	if s, ok := n.contacts[id]; ok {
		return s
	}
	s := "#" + strconv.FormatInt(int64(id), 10)
	k := nameKey{company: n.q.actor.CompanyID, id: int64(id)}
	if id == n.q.actor.ContactID {
		s = n.q.T("tickets.you")
	} else if n.q.actor.Can(tenant.PermContactsRead) {
		if name, ok := n.q.c.names.name(k); ok {
			s = name
		} else if c, err := n.q.c.desk.Directory.GetContact(n.q.Context(), n.q.actor, id); err == nil {
			s = c.Name
			n.q.c.names.putName(k, s)
		}
	}
	n.contacts[id] = s
	return s
}

// user is a user's email, "#id" when it cannot be read.
func (n *names) user(id tenant.UserID) string {
	if id == 0 {
		return ""
	}
	if s, ok := n.users[id]; ok {
		return s
	}
	s := "#" + strconv.FormatInt(int64(id), 10)
	k := nameKey{company: n.q.actor.CompanyID, user: true, id: int64(id)}
	if id == n.q.actor.UserID {
		s = n.q.Email()
	} else if !n.q.actor.Can(tenant.PermUsersRead) {
		s = n.q.T("tickets.support") // a requester sees the helpdesk, not its staff list
	} else {
		if name, ok := n.q.c.names.name(k); ok {
			s = name
		} else if u, err := n.q.c.desk.Directory.GetUser(n.q.Context(), n.q.actor, id); err == nil {
			s = u.Email
			n.q.c.names.putName(k, s)
		}
	}
	n.users[id] = s
	return s
}

// assignees lists the company's active agents and admins (empty when the
// person may not read users).
func (n *names) assignees() []directory.User {
	if n.loaded {
		return n.agents
	}
	n.loaded = true
	if !n.q.actor.Can(tenant.PermUsersRead) || n.q.actor.CompanyID == 0 {
		return nil
	}
	if cached, ok := n.q.c.names.agentsOf(n.q.actor.CompanyID); ok {
		n.agents = cached
	} else {
		active := true
		for _, role := range []tenant.Role{tenant.RoleAdmin, tenant.RoleAgent} {
			page, err := n.q.c.desk.Directory.ListUsers(n.q.Context(), n.q.actor,
				directory.UserFilter{Role: role, Active: &active}, storage.PageRequest{Limit: storage.MaxLimit})
			if err != nil {
				return nil
			}
			n.agents = append(n.agents, page.Items...)
		}
		n.q.c.names.putAgents(n.q.actor.CompanyID, n.agents)
	}
	for _, u := range n.agents {
		n.users[u.ID] = u.Email
	}
	return n.agents
}

// assigneeOptions are the choices of an assignee select.
func (n *names) assigneeOptions() []option {
	var out []option
	for _, u := range n.assignees() {
		out = append(out, option{Value: strconv.FormatInt(int64(u.ID), 10), Label: u.Email})
	}
	return out
}

// statusOptions are the ticket statuses, translated.
func statusOptions(q *request) []option {
	var out []option
	for _, s := range tickets.Statuses() {
		out = append(out, option{Value: string(s), Label: q.T(key("status", s))})
	}
	return out
}

// priorityOptions are the priorities, translated.
func priorityOptions(q *request) []option {
	var out []option
	for _, p := range sla.Priorities() {
		out = append(out, option{Value: string(p), Label: q.T(key("priority", p))})
	}
	return out
}

// channelOptions are the channels, translated.
func channelOptions(q *request) []option {
	var out []option
	for _, c := range tickets.Channels() {
		out = append(out, option{Value: string(c), Label: q.T(key("channel", c))})
	}
	return out
}

// slaOptions are the SLA states, translated.
func slaOptions(q *request) []option {
	var out []option
	for _, s := range []sla.State{sla.StateOnTrack, sla.StateAtRisk, sla.StateBreached, sla.StatePaused, sla.StateMet} {
		out = append(out, option{Value: string(s), Label: q.T(key("sla", s))})
	}
	return out
}

// splitTags reads a comma-separated list of tags.
func splitTags(s string) []string {
	var out []string
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}
