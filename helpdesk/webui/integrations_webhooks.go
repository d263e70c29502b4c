package webui

import (
	"net/http"
	"strings"

	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/storage"
)

func (c *console) webhookRoutes() {
	c.page("GET /integrations/webhooks", c.webhookList)
	c.page("POST /integrations/webhooks", c.webhookCreate)
	c.page("GET /integrations/webhooks/{id}", c.webhookDetail)
	c.page("POST /integrations/webhooks/{id}", c.webhookUpdate)
	c.page("POST /integrations/webhooks/{id}/active", c.webhookActive)
	c.page("POST /integrations/webhooks/{id}/rotate", c.webhookRotate)
	c.page("POST /integrations/webhooks/{id}/test", c.webhookTest)
	c.page("GET /integrations/webhooks/{id}/deliveries/{delivery}", c.webhookDelivery)
	c.page("POST /integrations/webhooks/{id}/deliveries/{delivery}/redeliver", c.webhookRedeliver)
	c.page("POST /integrations/webhooks/{id}/deliveries/{delivery}/skip", c.webhookSkip)
}

// endpointForm holds an endpoint form's values as entered.
type endpointForm struct {
	URL, Events, Description string
	Version                  int64
	Errors                   map[string]string
}

// webhooksPage is the view model of the endpoints list.
type webhooksPage struct {
	Endpoints []webhooks.Endpoint
	// Held counts each endpoint's deliveries held back (endpoint disabled,
	// or behind a failed delivery of their aggregate).
	Held       map[int64]int
	NextCursor string
	Notice     string
	Form       endpointForm
	// Secret is the new endpoint's signing secret, shown once.
	Secret string
}

// splitPatterns reads event type patterns separated by commas, spaces or
// lines.
func splitPatterns(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

func (c *console) webhooksRender(w http.ResponseWriter, q *request, status int, p webhooksPage) error {
	page, err := c.desk.Webhooks.ListEndpoints(q.Context(), q.actor, pageRequest(q.r, 50))
	if err != nil {
		return err
	}
	p.Endpoints, p.NextCursor = page.Items, string(page.NextCursor)
	p.Held = make(map[int64]int, len(page.Items))
	for _, ep := range page.Items {
		st, err := c.desk.Webhooks.Stats(q.Context(), q.actor, ep.ID)
		if err != nil {
			return err
		}
		p.Held[ep.ID] = st.Held
	}
	c.render(w, q, status, "integrations_webhooks", p)
	return nil
}

func (c *console) webhookList(w http.ResponseWriter, r *http.Request, q *request) error {
	return c.webhooksRender(w, q, http.StatusOK, webhooksPage{Notice: notice(q), Form: endpointForm{Events: "ticket.*"}})
}

// webhookCreate registers an endpoint and shows its secret once.
func (c *console) webhookCreate(w http.ResponseWriter, r *http.Request, q *request) error {
	f := endpointForm{URL: strings.TrimSpace(r.PostForm.Get("url")), Events: r.PostForm.Get("events"), Description: r.PostForm.Get("description")}
	ep, err := c.desk.Webhooks.CreateEndpoint(q.Context(), q.actor, webhooks.EndpointInput{URL: f.URL, Events: splitPatterns(f.Events), Description: f.Description})
	if err != nil {
		if !refused(err) {
			return err
		}
		f.Errors = fieldErrors(q, err)
		return c.webhooksRender(w, q, http.StatusUnprocessableEntity, webhooksPage{Form: f})
	}
	return c.webhooksRender(w, q, http.StatusOK, webhooksPage{Secret: ep.Secret, Form: endpointForm{Events: "ticket.*"}})
}

// webhookPage is the view model of one endpoint: its settings, statistics
// and delivery log.
type webhookPage struct {
	Endpoint   webhooks.Endpoint
	Stats      webhooks.Stats
	Deliveries []webhooks.Delivery
	Status     string
	Statuses   []option
	NextCursor string
	Notice     string
	Form       endpointForm
	Secret     string
}

func (c *console) webhookRender(w http.ResponseWriter, q *request, status int, id int64, p webhookPage) error {
	ctx := q.Context()
	ep, err := c.desk.Webhooks.GetEndpoint(ctx, q.actor, id)
	if err != nil {
		return err
	}
	if p.Stats, err = c.desk.Webhooks.Stats(ctx, q.actor, id); err != nil {
		return err
	}
	p.Status = q.r.URL.Query().Get("status")
	var st webhooks.Status
	switch s := webhooks.Status(p.Status); s {
	case webhooks.StatusPending, webhooks.StatusSucceeded, webhooks.StatusFailed, webhooks.StatusSkipped:
		st = s
	default:
		p.Status = ""
	}
	for _, s := range []webhooks.Status{webhooks.StatusPending, webhooks.StatusSucceeded, webhooks.StatusFailed, webhooks.StatusSkipped} {
		p.Statuses = append(p.Statuses, option{Value: string(s), Label: q.T("delivery." + string(s))})
	}
	ds, err := c.desk.Webhooks.ListDeliveries(ctx, q.actor, id, webhooks.DeliveryFilter{Status: st}, pageRequest(q.r, 25))
	if err != nil {
		return err
	}
	p.Endpoint, p.Deliveries, p.NextCursor = ep, ds.Items, string(ds.NextCursor)
	if p.Form.Version == 0 && p.Form.Errors == nil {
		p.Form = endpointForm{URL: ep.URL, Events: strings.Join(ep.Events, ", "), Description: ep.Description, Version: ep.Version}
	}
	c.render(w, q, status, "integrations_webhook", p)
	return nil
}

func (c *console) webhookDetail(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return c.webhookRender(w, q, http.StatusOK, id, webhookPage{Notice: notice(q)})
}

// webhookUpdate saves the endpoint's URL, events and description in one
// write (If-Match on the version the form was read at).
func (c *console) webhookUpdate(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f := endpointForm{URL: strings.TrimSpace(r.PostForm.Get("url")), Events: r.PostForm.Get("events"), Description: r.PostForm.Get("description"), Version: formVersion(r)}
	events := splitPatterns(f.Events)
	_, err = c.desk.Webhooks.UpdateEndpoint(q.Context(), q.actor, id, f.Version, webhooks.EndpointPatch{URL: &f.URL, Events: &events, Description: &f.Description})
	if err != nil {
		if !refused(err) {
			return err
		}
		f.Errors = fieldErrors(q, err)
		return c.webhookRender(w, q, http.StatusUnprocessableEntity, id, webhookPage{Form: f})
	}
	c.done(w, r, "/integrations/webhooks/"+itoa64(id), "endpoint_saved")
	return nil
}

func (c *console) webhookActive(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	active := r.PostForm.Get("active") == "true"
	if _, err := c.desk.Webhooks.UpdateEndpoint(q.Context(), q.actor, id, formVersion(r), webhooks.EndpointPatch{Active: &active}); err != nil {
		return err
	}
	key := "endpoint_disabled"
	if active {
		key = "endpoint_enabled"
	}
	c.done(w, r, "/integrations/webhooks/"+itoa64(id), key)
	return nil
}

// webhookRotate gives the endpoint a new secret and shows it once.
func (c *console) webhookRotate(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ep, err := c.desk.Webhooks.RotateSecret(q.Context(), q.actor, id)
	if err != nil {
		return err
	}
	return c.webhookRender(w, q, http.StatusOK, id, webhookPage{Secret: ep.Secret})
}

// webhookTest sends a webhook.test event now and says how it went.
func (c *console) webhookTest(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := c.desk.Webhooks.SendTest(q.Context(), q.actor, id)
	if err != nil {
		return err
	}
	key := "test_failed"
	if d.Status == webhooks.StatusSucceeded {
		key = "test_succeeded"
	}
	c.done(w, r, "/integrations/webhooks/"+itoa64(id), key)
	return nil
}

// deliveryPage is the view model of one delivery with its attempts.
type deliveryPage struct {
	Endpoint webhooks.Endpoint
	Delivery webhooks.Delivery
	Attempts []webhooks.Attempt
	Notice   string
}

func (c *console) webhookDelivery(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	did, err := pathID(r, "delivery")
	if err != nil {
		return err
	}
	ctx := q.Context()
	ep, err := c.desk.Webhooks.GetEndpoint(ctx, q.actor, id)
	if err != nil {
		return err
	}
	attempts, err := c.desk.Webhooks.Attempts(ctx, q.actor, id, did)
	if err != nil {
		return err
	}
	d, err := c.findDelivery(q, id, did)
	if err != nil {
		return err
	}
	c.render(w, q, http.StatusOK, "integrations_delivery", deliveryPage{Endpoint: ep, Delivery: d, Attempts: attempts, Notice: notice(q)})
	return nil
}

// findDelivery reads one delivery of an endpoint through its list (the
// service reads deliveries by page), newest first.
func (c *console) findDelivery(q *request, endpoint, id int64) (webhooks.Delivery, error) {
	p := storage.PageRequest{Limit: storage.MaxLimit}
	for {
		page, err := c.desk.Webhooks.ListDeliveries(q.Context(), q.actor, endpoint, webhooks.DeliveryFilter{}, p)
		if err != nil {
			return webhooks.Delivery{}, err
		}
		for _, d := range page.Items {
			if d.ID == id {
				return d, nil
			}
			if d.ID < id {
				return webhooks.Delivery{}, storage.ErrNotFound
			}
		}
		if page.NextCursor == "" {
			return webhooks.Delivery{}, storage.ErrNotFound
		}
		p.Cursor = page.NextCursor
	}
}

// webhookRedeliver sends a delivery again.
func (c *console) webhookRedeliver(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	did, err := pathID(r, "delivery")
	if err != nil {
		return err
	}
	if _, err := c.desk.Webhooks.Redeliver(q.Context(), q.actor, id, did); err != nil {
		return err
	}
	c.desk.Webhooks.Wake()
	c.done(w, r, "/integrations/webhooks/"+itoa64(id)+"/deliveries/"+itoa64(did), "redelivery_queued")
	return nil
}

// webhookSkip gives up a failed delivery, letting the deliveries it held
// back go on.
func (c *console) webhookSkip(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	did, err := pathID(r, "delivery")
	if err != nil {
		return err
	}
	if _, err := c.desk.Webhooks.Skip(q.Context(), q.actor, id, did); err != nil {
		return err
	}
	c.desk.Webhooks.Wake()
	c.done(w, r, "/integrations/webhooks/"+itoa64(id)+"/deliveries/"+itoa64(did), "delivery_skipped")
	return nil
}
