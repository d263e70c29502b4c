// Package inventory holds stock and assets: received batches of equipment
// (StockItem, Estoque), the individual units they become (Asset, Ativo) with
// serials unique per company, each asset's lifecycle and its append-only
// history.
//
// Intake is one unit of work: the stock item, its N assets, their serials,
// their history entries and the events inventory.intake_received and
// asset.created (one per asset) commit together or not at all.
//
// Serials are generated from a per-company pattern (SerialPattern) and a
// sequence per rendered prefix, so concurrent intakes never draw the same
// number. When a generated serial is already taken (an imported or manually
// set one), the generator moves on to the next number, backing off
// exponentially with jitter, and gives up with ErrSerialExhausted after
// MaxSerialAttempts.
//
// The Service is tenant-scoped like every Boladão service: another
// company's IDs behave exactly like missing ones, requesters see only the
// assets assigned to them, viewers read, agents and admins manage.
package inventory
