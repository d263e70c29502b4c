package webui

import "net/http"

func (c *console) dashboardRoutes() {
	c.page("GET /dashboard", c.dashboard)
}

// dashboard is the start page of a signed-in person. It is a placeholder
// until the dashboard's figures arrive: it says which company the person
// works in, or asks a platform admin to choose one.
func (c *console) dashboard(w http.ResponseWriter, r *http.Request, q *request) error {
	c.render(w, q, http.StatusOK, "dashboard", nil)
	return nil
}
