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
	// people are users' names (their contacts'), as userName shows them.
	people map[tenant.UserID]string
	agents []directory.User
	loaded bool
}

func newNames(q *request) *names {
	return &names{q: q, contacts: map[tenant.ContactID]string{}, users: map[tenant.UserID]string{},
		people: map[tenant.UserID]string{}}
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
// person may not read users), and keeps their names for userName: the
// list and the names are cached per company, so a page of tickets names
// its assignees without a query per row.
func (n *names) assignees() []directory.User {
	if n.loaded {
		return n.agents
	}
	n.loaded = true
	if !n.q.actor.Can(tenant.PermUsersRead) || n.q.actor.CompanyID == 0 {
		return nil
	}
	agents, people, ok := n.q.c.names.agentsOf(n.q.actor.CompanyID)
	if !ok {
		active := true
		for _, role := range []tenant.Role{tenant.RoleAdmin, tenant.RoleAgent} {
			page, err := n.q.c.desk.Directory.ListUsers(n.q.Context(), n.q.actor,
				directory.UserFilter{Role: role, Active: &active}, storage.PageRequest{Limit: storage.MaxLimit})
			if err != nil {
				return nil
			}
			agents = append(agents, page.Items...)
		}
		people = make([]string, len(agents))
		for i, u := range agents {
			people[i] = n.personOf(u)
		}
		n.q.c.names.putAgents(n.q.actor.CompanyID, agents, people)
	}
	n.agents = agents
	names := n.q.actor.Can(tenant.PermContactsRead) // the cache may hold names another reader saw
	for i, u := range agents {
		n.users[u.ID] = u.Email
		n.people[u.ID] = u.Email
		if names {
			n.people[u.ID] = people[i]
		}
	}
	return n.agents
}

// personOf is a user's name: their contact's name when the person may
// read contacts and the contact has one, else the email.
func (n *names) personOf(u directory.User) string {
	if u.ContactID == 0 || !n.q.actor.Can(tenant.PermContactsRead) {
		return u.Email
	}
	k := nameKey{company: n.q.actor.CompanyID, id: int64(u.ContactID)}
	name, ok := n.q.c.names.name(k)
	if !ok {
		c, err := n.q.c.desk.Directory.GetContact(n.q.Context(), n.q.actor, u.ContactID)
		if err != nil {
			return u.Email
		}
		name = c.Name
		n.q.c.names.putName(k, name)
	}
	if name == "" {
		return u.Email
	}
	return name
}

// userName is a user's name (their contact's name, else their email) for
// the queue and a ticket's assignee; "" for no user. The company's agents
// come from the cached list of assignees; anyone else is read once and
// cached like the other names.
func (n *names) userName(id tenant.UserID) string {
	if id == 0 {
		return ""
	}
	if n.q.actor.Can(tenant.PermUsersRead) {
		n.assignees()
	}
	if s, ok := n.people[id]; ok {
		return s
	}
	s := n.user(id)
	if n.q.actor.Can(tenant.PermUsersRead) && !strings.HasPrefix(s, "#") {
		k := nameKey{company: n.q.actor.CompanyID, user: true, person: true, id: int64(id)}
		if name, ok := n.q.c.names.name(k); ok {
			s = name
		} else if u, err := n.q.c.desk.Directory.GetUser(n.q.Context(), n.q.actor, id); err == nil {
			s = n.personOf(u)
			n.q.c.names.putName(k, s)
		}
	}
	n.people[id] = s
	return s
}

// assigneeOptions are the choices of an assignee select, by name.
func (n *names) assigneeOptions() []option {
	var out []option
	for _, u := range n.assignees() {
		label := n.people[u.ID]
		if label != u.Email {
			label += " <" + u.Email + ">"
		}
		out = append(out, option{Value: strconv.FormatInt(int64(u.ID), 10), Label: label})
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
