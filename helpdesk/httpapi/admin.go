package httpapi

func (a *api) adminRoutes() {}
