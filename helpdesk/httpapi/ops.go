package httpapi

// Ops answers questions about the deployment that only the program that
// opened the database can: readiness, migrations, backups, warnings.
type Ops interface{}

func (a *api) opsRoutes() {}
