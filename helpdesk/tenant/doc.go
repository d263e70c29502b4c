// Package tenant is the kernel vocabulary of Boladão's multi-tenancy: the IDs
// of companies (the tenants), users and contacts; the Actor on whose behalf
// every service call runs; the roles; and the role → permission table that
// services consult through Can.
//
// Every service method takes an Actor and checks the permission it needs
// itself, so an embedder that calls the services directly gets the same
// guards as the HTTP API. A platform admin belongs to no company and acts in
// one explicitly chosen company at a time (Actor.InCompany).
package tenant
