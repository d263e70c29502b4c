package httpapi

func (a *api) docRoutes() {}
