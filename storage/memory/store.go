package memory

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/idempotency"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// Compile-time proof that the store satisfies the contracts it serves.
var (
	_ directory.Store     = directoryStore{}
	_ directory.Tx        = (*tx)(nil)
	_ events.OutboxReader = (*Store)(nil)
	_ idempotency.Store   = (*Store)(nil)
	_ audit.Store         = (*Store)(nil)
)

// Store is an in-memory storage backend. Create it with New; the zero value
// is not usable. A Store is safe for concurrent use. Each domain reaches it
// through its own adapter (Directory, ...), all sharing the same data and
// the same transactions.
type Store struct {
	mu sync.RWMutex // write lock: one transaction; read lock: root reads
	t  *tables
}

// New returns an empty store.
func New() *Store {
	return &Store{t: newTables()}
}

// Directory returns the store as the directory package's storage contract.
func (s *Store) Directory() directory.Store {
	return directoryStore{reader: reader{s: s}, s: s}
}

// Close releases the store. It is a no-op kept for symmetry with the SQL
// backends; the data stays readable until the Store is garbage collected.
func (s *Store) Close() error { return nil }

// OutboxEvents returns the events of the outbox in the order they were
// appended, filtered by q.CompanyID and q.Type when set, at most q.Limit of
// them when q.Limit is positive.
func (s *Store) OutboxEvents(ctx context.Context, q events.OutboxQuery) ([]events.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: reading outbox: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []events.Event{}
	for _, ev := range s.t.outbox {
		if q.Limit > 0 && len(out) >= q.Limit {
			break
		}
		if (q.CompanyID != 0 && ev.CompanyID != q.CompanyID) || (q.Type != "" && ev.Type != q.Type) {
			continue
		}
		out = append(out, cloneEvent(ev))
	}
	return out, nil
}

// tables is all the data of a store. Its methods take no lock: callers hold
// the store's lock (read lock for reads, write lock for writes).
type tables struct {
	companies *table[tenant.CompanyID, directory.Company]
	contacts  *table[tenant.ContactID, directory.Contact]
	users     *table[tenant.UserID, directory.User]

	// Unique indexes.
	companyByCNPJ  map[string]tenant.CompanyID        // non-empty CNPJ
	contactByEmail map[contactEmail]tenant.ContactID  // non-empty email, per company
	userByEmail    map[string]tenant.UserID           // every user
	userByContact  map[tenant.ContactID]tenant.UserID // non-zero contact

	outbox    []events.Event
	outboxIDs map[string]struct{}
	relay     *relayTables   // see outbox_relay.go
	webhooks  *webhookTables // see webhooks.go

	refreshTokens    map[string]directory.RefreshToken // by digest
	apiTokens        *table[int64, directory.APIToken]
	apiTokenByLookup map[string]int64
	twoFactor        *twoFactorTables // see twofactor.go

	// Outside units of work (see idempotency.go and audit.go).
	idempotency    map[idempotency.Key]idempotency.Record
	securityEvents []audit.Event // in ID order
	lastSecurityID int64
	changes        *changeTables     // see changes.go
	settings       map[string]string // see settings.go

	inventory *inventoryTables // see inventory.go
	tickets   *ticketTables    // see tickets.go

	integrations  *integrationTables                    // see integrations.go
	serviceOrders *orderTables                          // see serviceorders.go
	attachments   *table[int64, attachments.Attachment] // see attachments.go
}

type contactEmail struct {
	company tenant.CompanyID
	email   string
}

func newTables() *tables {
	return &tables{
		companies:      newTable[tenant.CompanyID, directory.Company](),
		contacts:       newTable[tenant.ContactID, directory.Contact](),
		users:          newTable[tenant.UserID, directory.User](),
		companyByCNPJ:  make(map[string]tenant.CompanyID),
		contactByEmail: make(map[contactEmail]tenant.ContactID),
		userByEmail:    make(map[string]tenant.UserID),
		userByContact:  make(map[tenant.ContactID]tenant.UserID),
		outboxIDs:      make(map[string]struct{}),
		relay:          newRelayTables(),
		webhooks:       newWebhookTables(),

		refreshTokens:    make(map[string]directory.RefreshToken),
		apiTokens:        newTable[int64, directory.APIToken](),
		apiTokenByLookup: make(map[string]int64),
		twoFactor:        newTwoFactorTables(),
		idempotency:      make(map[idempotency.Key]idempotency.Record),
		settings:         make(map[string]string),
		changes:          &changeTables{},
		inventory:        newInventoryTables(),
		tickets:          newTicketTables(),
		integrations:     newIntegrationTables(),
		serviceOrders:    newOrderTables(),
		attachments:      newTable[int64, attachments.Attachment](),
	}
}

func cloneEvent(ev events.Event) events.Event {
	ev.Data = bytes.Clone(ev.Data)
	return ev
}
