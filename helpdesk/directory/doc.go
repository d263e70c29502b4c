// Package directory holds the people and organisations of a Boladão
// installation: companies (Empresa, the tenants), their contacts (Contato)
// and the user accounts that log in (UserAuth), with password hashing and
// authentication.
//
// The Service is tenant-scoped: every method takes the acting tenant.Actor,
// checks its permission, and reads or writes only that actor's company. A
// platform admin manages companies and acts in one company at a time.
// Another company's ID behaves exactly like a missing one
// (storage.ErrNotFound).
//
// Storage is reached through Store, the narrow interface this package
// declares; storage/memory and storage/bunstore implement it. Every write
// runs in one unit of work (Store.InTx) together with the domain events it
// emits (company.created, user.created, ...), which land in the outbox
// atomically with the rows.
//
// Limits: company names up to 120 characters, legal names up to 200,
// contact names up to 120, emails up to 254; passwords from 8 to 72 bytes
// (bcrypt's limit).
package directory
