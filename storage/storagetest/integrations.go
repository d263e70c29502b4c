package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events/whatsapp"
	"github.com/sistemaboladao/boladao/helpdesk/ai"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/sso"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// IntegrationsBackend is what a backend offers to the integrations
// (events/whatsapp, helpdesk/ai).
type IntegrationsBackend interface {
	WhatsApp() whatsapp.Store
	AI() ai.Store
	SSO() sso.Store // see sso.go
}

var integrationCases = []struct {
	name string
	fn   func(t *testing.T, b Backend)
}{
	{"WhatsAppSettingsRoundTrip", testWhatsAppSettings},
	{"WhatsAppRulesRoundTrip", testWhatsAppRules},
	{"WhatsAppMessagesUniqueAndIsolated", testWhatsAppMessages},
	{"WhatsAppContactByPhoneAndActiveTicket", testWhatsAppContactAndTicket},
	{"AISettingsRoundTrip", testAISettings},
	{"AITrainingSamplesNewestFirstAndCapped", testAITrainingSamples},
	{"SSOSettingsRoundTrip", testSSOSettings},
	{"SSOCompaniesForDomain", testSSOCompaniesForDomain},
}

func testWhatsAppSettings(t *testing.T, b Backend) {
	s := b.WhatsApp()
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")

	_, err := s.WhatsAppSettings(ctx(t), f.co.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	st := whatsapp.Settings{CompanyID: f.co.ID, Enabled: true, BaseURL: "http://127.0.0.1:9", APIVersion: "v21.0",
		PhoneNumberID: "106540352242922", AccessToken: "token-1", AppSecret: "secret-1",
		VerifyTokenDigest: whatsapp.DigestVerifyToken("verify-1"), CreatedAt: at, UpdatedAt: at}
	require.NoError(t, s.SaveWhatsAppSettings(ctx(t), &st))
	require.EqualValues(t, 1, st.Version)
	got, err := s.WhatsAppSettings(ctx(t), f.co.ID)
	require.NoError(t, err)
	require.Equal(t, st, got)
	again := st
	again.Version = 0
	require.ErrorIs(t, s.SaveWhatsAppSettings(ctx(t), &again), storage.ErrConflict)

	byPhone, err := s.WhatsAppSettingsByPhoneNumberID(ctx(t), "106540352242922")
	require.NoError(t, err)
	require.Equal(t, f.co.ID, byPhone.CompanyID)
	byToken, err := s.WhatsAppSettingsByVerifyToken(ctx(t), whatsapp.DigestVerifyToken("verify-1"))
	require.NoError(t, err)
	require.Equal(t, f.co.ID, byToken.CompanyID)
	for _, fn := range []func() error{
		func() error { _, err := s.WhatsAppSettingsByPhoneNumberID(ctx(t), "1"); return err },
		func() error { _, err := s.WhatsAppSettingsByPhoneNumberID(ctx(t), ""); return err },
		func() error { _, err := s.WhatsAppSettingsByVerifyToken(ctx(t), ""); return err },
		func() error { _, err := s.WhatsAppSettings(ctx(t), other.co.ID); return err },
	} {
		require.ErrorIs(t, fn(), storage.ErrNotFound)
	}

	// The outcome is bookkeeping: no version change, kept by later saves.
	require.NoError(t, s.RecordWhatsAppResult(ctx(t), f.co.ID, at.Add(time.Minute), ""))
	require.NoError(t, s.RecordWhatsAppResult(ctx(t), f.co.ID, at.Add(2*time.Minute), "code 131047: window"))
	require.ErrorIs(t, s.RecordWhatsAppResult(ctx(t), other.co.ID, at, ""), storage.ErrNotFound)
	st.AccessToken, st.UpdatedAt = "token-2", at.Add(time.Hour)
	require.NoError(t, s.SaveWhatsAppSettings(ctx(t), &st))
	require.EqualValues(t, 2, st.Version)
	got, err = s.WhatsAppSettings(ctx(t), f.co.ID)
	require.NoError(t, err)
	require.Equal(t, st, got)
	require.Equal(t, "token-2", got.AccessToken)
	require.True(t, got.LastSuccessAt.Equal(at.Add(time.Minute)))
	require.Equal(t, "code 131047: window", got.LastError)
	require.True(t, got.LastErrorAt.Equal(at.Add(2*time.Minute)))
	require.True(t, got.CreatedAt.Equal(at))

	stale := got
	stale.Version = 1
	require.ErrorIs(t, s.SaveWhatsAppSettings(ctx(t), &stale), storage.ErrStale)

	// Business numbers and verify tokens are unique across companies.
	theirs := whatsapp.Settings{CompanyID: other.co.ID, PhoneNumberID: "106540352242922", CreatedAt: at, UpdatedAt: at}
	require.ErrorIs(t, s.SaveWhatsAppSettings(ctx(t), &theirs), storage.ErrConflict)
	theirs = whatsapp.Settings{CompanyID: other.co.ID, VerifyTokenDigest: whatsapp.DigestVerifyToken("verify-1"), CreatedAt: at, UpdatedAt: at}
	require.ErrorIs(t, s.SaveWhatsAppSettings(ctx(t), &theirs), storage.ErrConflict)
	theirs = whatsapp.Settings{CompanyID: other.co.ID, CreatedAt: at, UpdatedAt: at}
	require.NoError(t, s.SaveWhatsAppSettings(ctx(t), &theirs), "empty numbers do not collide")
	_, err = s.WhatsAppSettingsByPhoneNumberID(ctx(t), "")
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func testWhatsAppRules(t *testing.T, b Backend) {
	s := b.WhatsApp()
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	r1 := whatsapp.Rule{CompanyID: f.co.ID, EventType: "ticket.created", TemplateName: "ticket_opened", Language: "pt_BR",
		Parameters: []string{"contact_name", "number"}, Active: true, CreatedAt: at, UpdatedAt: at}
	r2 := whatsapp.Rule{CompanyID: f.co.ID, EventType: "ticket.status_changed", TemplateName: "ticket_status", Language: "pt_BR",
		Parameters: []string{}, Active: false, CreatedAt: at, UpdatedAt: at}
	r3 := whatsapp.Rule{CompanyID: other.co.ID, EventType: "ticket.created", TemplateName: "x", Language: "en_US",
		Parameters: []string{}, Active: true, CreatedAt: at, UpdatedAt: at}
	for _, r := range []*whatsapp.Rule{&r1, &r2, &r3} {
		require.NoError(t, s.InsertWhatsAppRule(ctx(t), r))
		require.NotZero(t, r.ID)
		require.EqualValues(t, 1, r.Version)
	}
	all, err := s.WhatsAppRules(ctx(t), f.co.ID, "")
	require.NoError(t, err)
	require.Equal(t, []whatsapp.Rule{r1, r2}, all)
	created, err := s.WhatsAppRules(ctx(t), f.co.ID, "ticket.created")
	require.NoError(t, err)
	require.Equal(t, []whatsapp.Rule{r1}, created)
	got, err := s.WhatsAppRuleByID(ctx(t), f.co.ID, r1.ID)
	require.NoError(t, err)
	require.Equal(t, r1, got)
	_, err = s.WhatsAppRuleByID(ctx(t), f.co.ID, r3.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)

	r1.Parameters, r1.Active, r1.UpdatedAt = []string{"title"}, false, at.Add(time.Hour)
	require.NoError(t, s.UpdateWhatsAppRule(ctx(t), &r1))
	require.EqualValues(t, 2, r1.Version)
	got, err = s.WhatsAppRuleByID(ctx(t), f.co.ID, r1.ID)
	require.NoError(t, err)
	require.Equal(t, r1, got)
	stale := r1
	stale.Version = 1
	require.ErrorIs(t, s.UpdateWhatsAppRule(ctx(t), &stale), storage.ErrStale)
	foreign := r3
	foreign.CompanyID = f.co.ID
	require.ErrorIs(t, s.UpdateWhatsAppRule(ctx(t), &foreign), storage.ErrNotFound)

	require.ErrorIs(t, s.DeleteWhatsAppRule(ctx(t), f.co.ID, r3.ID), storage.ErrNotFound)
	require.NoError(t, s.DeleteWhatsAppRule(ctx(t), f.co.ID, r2.ID))
	require.ErrorIs(t, s.DeleteWhatsAppRule(ctx(t), f.co.ID, r2.ID), storage.ErrNotFound)
	all, err = s.WhatsAppRules(ctx(t), f.co.ID, "")
	require.NoError(t, err)
	require.Equal(t, []whatsapp.Rule{r1}, all)
	theirs, err := s.WhatsAppRules(ctx(t), other.co.ID, "")
	require.NoError(t, err)
	require.Equal(t, []whatsapp.Rule{r3}, theirs)
}

func testWhatsAppMessages(t *testing.T, b Backend) {
	s := b.WhatsApp()
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	tk := f.create(t, tickets.CreateInput{Title: "t"})
	msg := func(co tenant.CompanyID, contact tenant.ContactID, waID, eventID string, rule int64) whatsapp.Message {
		return whatsapp.Message{CompanyID: co, Direction: whatsapp.Outbound, WAMessageID: waID, ContactID: contact,
			Phone: "+5511987654321", Kind: "template", Body: "ticket_opened", EventID: eventID, RuleID: rule,
			Status: whatsapp.StatusPending, CreatedAt: at, UpdatedAt: at}
	}
	m1 := msg(f.co.ID, f.req.ContactID, "", "evt_1", 7)
	require.NoError(t, s.InsertWhatsAppMessage(ctx(t), &m1))
	require.NotZero(t, m1.ID)
	dupEvent := msg(f.co.ID, f.req.ContactID, "", "evt_1", 7)
	require.ErrorIs(t, s.InsertWhatsAppMessage(ctx(t), &dupEvent), storage.ErrConflict)
	otherRule := msg(f.co.ID, f.req.ContactID, "", "evt_1", 8)
	require.NoError(t, s.InsertWhatsAppMessage(ctx(t), &otherRule))

	m1.WAMessageID, m1.Status, m1.UpdatedAt, m1.SentAt = "wamid.A", whatsapp.StatusSent, at.Add(time.Second), at.Add(time.Second)
	m1.TicketID = tk.ID
	require.NoError(t, s.UpdateWhatsAppMessage(ctx(t), &m1))
	got, err := s.WhatsAppMessageByWAID(ctx(t), f.co.ID, "wamid.A")
	require.NoError(t, err)
	require.Equal(t, m1, got)

	byEvent, err := s.WhatsAppMessageForEvent(ctx(t), f.co.ID, "evt_1", 7)
	require.NoError(t, err)
	require.Equal(t, m1, byEvent)
	for _, miss := range []func() error{
		func() error { _, err := s.WhatsAppMessageForEvent(ctx(t), f.co.ID, "evt_1", 9); return err },
		func() error { _, err := s.WhatsAppMessageForEvent(ctx(t), f.co.ID, "", 0); return err },
		func() error { _, err := s.WhatsAppMessageForEvent(ctx(t), other.co.ID, "evt_1", 7); return err },
	} {
		require.ErrorIs(t, miss(), storage.ErrNotFound)
	}

	inbound := msg(f.co.ID, f.req.ContactID, "wamid.A", "", 0)
	require.ErrorIs(t, s.InsertWhatsAppMessage(ctx(t), &inbound), storage.ErrConflict, "one message ID per company")
	theirs := msg(other.co.ID, other.req.ContactID, "wamid.A", "evt_1", 7)
	require.NoError(t, s.InsertWhatsAppMessage(ctx(t), &theirs), "IDs are unique per company")
	_, err = s.WhatsAppMessageByWAID(ctx(t), f.co.ID, "")
	require.ErrorIs(t, err, storage.ErrNotFound)
	theirsRead, err := s.WhatsAppMessageByWAID(ctx(t), other.co.ID, "wamid.A")
	require.NoError(t, err)
	require.Equal(t, theirs.ID, theirsRead.ID)

	foreign := theirs
	foreign.CompanyID = f.co.ID
	require.ErrorIs(t, s.UpdateWhatsAppMessage(ctx(t), &foreign), storage.ErrNotFound)
	require.ErrorIs(t, s.DeleteWhatsAppMessage(ctx(t), f.co.ID, theirs.ID), storage.ErrNotFound)

	for i := range 5 {
		m := msg(f.co.ID, f.req.ContactID, "wamid.page"+string(rune('a'+i)), "", 0)
		require.NoError(t, s.InsertWhatsAppMessage(ctx(t), &m))
	}
	var ids []int64
	p := storage.PageRequest{Limit: 3}
	for {
		page, err := s.ListWhatsAppMessages(ctx(t), f.co.ID, p)
		require.NoError(t, err)
		for _, m := range page.Items {
			require.Equal(t, f.co.ID, m.CompanyID)
			ids = append(ids, m.ID)
		}
		if page.NextCursor == "" {
			break
		}
		p.Cursor = page.NextCursor
	}
	require.Len(t, ids, 7)
	require.IsIncreasing(t, ids)
	_, err = s.ListWhatsAppMessages(ctx(t), f.co.ID, storage.PageRequest{Cursor: "garbage"})
	require.ErrorIs(t, err, storage.ErrBadCursor)

	require.NoError(t, s.DeleteWhatsAppMessage(ctx(t), f.co.ID, otherRule.ID))
	again := msg(f.co.ID, f.req.ContactID, "", "evt_1", 8)
	require.NoError(t, s.InsertWhatsAppMessage(ctx(t), &again), "a deleted claim can be taken again")
}

func testWhatsAppContactAndTicket(t *testing.T, b Backend) {
	s := b.WhatsApp()
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	ana, err := f.dir.CreateContact(ctx(t), f.admin, directory.ContactInput{Name: "Ana", Phone: "+5511912345678", WhatsAppOptIn: true})
	require.NoError(t, err)
	_, err = other.dir.CreateContact(ctx(t), other.admin, directory.ContactInput{Name: "Bia", Phone: "+5511900000000"})
	require.NoError(t, err)
	got, err := s.ContactByPhone(ctx(t), f.co.ID, "+5511912345678")
	require.NoError(t, err)
	require.Equal(t, ana, got)
	for _, phone := range []string{"+5511900000000", "", "+5511999999999"} {
		_, err := s.ContactByPhone(ctx(t), f.co.ID, phone)
		require.ErrorIs(t, err, storage.ErrNotFound, phone)
	}
	c, err := s.ContactByID(ctx(t), f.co.ID, ana.ID)
	require.NoError(t, err)
	require.Equal(t, ana, c)

	_, err = s.ActiveTicketOfContact(ctx(t), f.co.ID, ana.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	first := f.create(t, tickets.CreateInput{Title: "first", RequesterContactID: ana.ID})
	second := f.create(t, tickets.CreateInput{Title: "second", RequesterContactID: ana.ID})
	f.create(t, tickets.CreateInput{Title: "someone else's"})
	id, err := s.ActiveTicketOfContact(ctx(t), f.co.ID, ana.ID)
	require.NoError(t, err)
	require.Equal(t, second.ID, id, "the newest active ticket")
	f.update(t, f.agent, second.ID, tickets.Patch{Status: ptr(tickets.StatusResolved), ResolutionNote: "done"})
	id, err = s.ActiveTicketOfContact(ctx(t), f.co.ID, ana.ID)
	require.NoError(t, err)
	require.Equal(t, first.ID, id)
	_, err = s.ActiveTicketOfContact(ctx(t), other.co.ID, ana.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func testAISettings(t *testing.T, b Backend) {
	s := b.AI()
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	_, err := s.AISettings(ctx(t), f.co.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	st := ai.Settings{CompanyID: f.co.ID, Enabled: true, Provider: ai.ProviderOpenAI, BaseURL: "http://127.0.0.1:9/v1",
		Model: "gpt-4o-mini", APIKey: "sk-test", Threshold: 0.85, CreatedAt: at, UpdatedAt: at}
	require.NoError(t, s.SaveAISettings(ctx(t), &st))
	require.EqualValues(t, 1, st.Version)
	got, err := s.AISettings(ctx(t), f.co.ID)
	require.NoError(t, err)
	require.Equal(t, st, got)
	dup := st
	dup.Version = 0
	require.ErrorIs(t, s.SaveAISettings(ctx(t), &dup), storage.ErrConflict)

	require.NoError(t, s.RecordAIResult(ctx(t), f.co.ID, at.Add(time.Minute), ""))
	require.NoError(t, s.RecordAIResult(ctx(t), f.co.ID, at.Add(2*time.Minute), "timeout"))
	require.ErrorIs(t, s.RecordAIResult(ctx(t), other.co.ID, at, ""), storage.ErrNotFound)
	st.Provider, st.Threshold, st.UpdatedAt = ai.ProviderBuiltin, 0.5, at.Add(time.Hour)
	require.NoError(t, s.SaveAISettings(ctx(t), &st))
	require.EqualValues(t, 2, st.Version)
	require.Equal(t, "timeout", st.LastError)
	require.True(t, st.LastSuccessAt.Equal(at.Add(time.Minute)))
	got, err = s.AISettings(ctx(t), f.co.ID)
	require.NoError(t, err)
	require.Equal(t, st, got)
	stale := got
	stale.Version = 1
	require.ErrorIs(t, s.SaveAISettings(ctx(t), &stale), storage.ErrStale)
	_, err = s.AISettings(ctx(t), other.co.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func testAITrainingSamples(t *testing.T, b Backend) {
	s := b.AI()
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	var want []string
	for i := range 6 {
		tk := f.create(t, tickets.CreateInput{Title: fmt.Sprintf("ticket %d", i), Description: "d", Category: "network",
			Priority: sla.PriorityHigh})
		if i%3 == 2 {
			continue // stays open: not a sample
		}
		f.clock.Advance(time.Minute)
		f.update(t, f.agent, tk.ID, tickets.Patch{Status: ptr(tickets.StatusResolved), ResolutionNote: "ok"})
		want = append([]string{tk.Title}, want...)
	}
	other.create(t, tickets.CreateInput{Title: "theirs"})

	got, err := s.TrainingSamples(ctx(t), f.co.ID, 100)
	require.NoError(t, err)
	var titles []string
	for _, smp := range got {
		titles = append(titles, smp.Title)
		require.Equal(t, "network", smp.Category)
		require.Equal(t, sla.PriorityHigh, smp.Priority)
		require.Equal(t, "d", smp.Description)
	}
	require.Equal(t, want, titles, "newest resolution first, open tickets left out")
	capped, err := s.TrainingSamples(ctx(t), f.co.ID, 2)
	require.NoError(t, err)
	require.Len(t, capped, 2)
	require.Equal(t, want[0], capped[0].Title)
	none, err := s.TrainingSamples(ctx(t), other.co.ID, 100)
	require.NoError(t, err)
	require.Empty(t, none)
}
