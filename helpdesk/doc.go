// Package helpdesk is the facade of Boladão: New assembles every service of
// the helpdesk over one storage backend, and the resulting *Desk is the only
// thing an embedder needs to hold.
//
//	store := memory.New() // or bunstore.Open(ctx, "sqlite:./data/boladao.db")
//	desk, err := helpdesk.New(store)
//	if err != nil { ... }
//	defer desk.Close()
//	go desk.Run(ctx) // background workers
//	company, err := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
//
// Desk.InTx runs one unit of work across every domain: the services' ...Tx
// methods (Tickets.CreateTx, ServiceOrders.CreateTx, ...) and the
// embedder's own statements (bunstore.TxDB, memory.OnRollback) commit
// together, events included, or not at all.
//
// The HTTP API (helpdesk/httpapi) and the reference server (cmd/boladao) are
// built from this package's public API only.
package helpdesk
