package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// The events and webhooks API.
//
//	POST   /api/integrations/events/publish                        publish a custom.* event for the caller's company (202)
//	GET    /api/integrations/events/pending                        events not yet relayed, and dead letters
//	POST   /api/integrations/webhooks                              create an endpoint (201; the only answer with "secret")
//	GET    /api/integrations/webhooks                              list endpoints
//	GET    /api/integrations/webhooks/{id}                         read one (ETag)
//	PUT    /api/integrations/webhooks/{id}                         change url, events, description, active (If-Match)
//	DELETE /api/integrations/webhooks/{id}                         delete with its deliveries (204)
//	POST   /api/integrations/webhooks/{id}/test                    send a webhook.test event now
//	GET    /api/integrations/webhooks/{id}/stats                   delivery statistics
//	GET    /api/integrations/webhooks/{id}/deliveries              deliveries, newest first, with their attempts
//	POST   /api/integrations/webhooks/{id}/deliveries/{delivery_id}/redeliver   send again
//	POST   /api/integrations/webhooks/{id}/rotate-secret           new secret (answered once)
//	POST   /api/integrations/webhooks/process                      relay the outbox and send what is due now
//
// Authorization (integrations.manage), tenant scoping and validation
// belong to the desk and webhooks.Service.

const webhooksBase = "/api/integrations/webhooks"

func (a *api) eventRoutes() {
	a.mux.Handle("POST /api/integrations/events/publish", a.authed(a.publishEvent))
	a.mux.Handle("GET /api/integrations/events/pending", a.authed(a.pendingEvents))
	a.mux.Handle("POST /api/integrations/webhooks", a.authed(a.createWebhook))
	a.mux.Handle("GET /api/integrations/webhooks", a.authed(a.listWebhooks))
	a.mux.Handle("POST /api/integrations/webhooks/process", a.authed(a.processWebhooks))
	a.mux.Handle("GET /api/integrations/webhooks/{id}", a.authed(a.getWebhook))
	a.mux.Handle("PUT /api/integrations/webhooks/{id}", a.authed(a.updateWebhook))
	a.mux.Handle("DELETE /api/integrations/webhooks/{id}", a.authed(a.deleteWebhook))
	a.mux.Handle("POST /api/integrations/webhooks/{id}/test", a.authed(a.testWebhook))
	a.mux.Handle("GET /api/integrations/webhooks/{id}/stats", a.authed(a.webhookStats))
	a.mux.Handle("GET /api/integrations/webhooks/{id}/deliveries", a.authed(a.webhookDeliveries))
	a.mux.Handle("POST /api/integrations/webhooks/{id}/deliveries/{delivery_id}/redeliver", a.authed(a.redeliverWebhook))
	a.mux.Handle("POST /api/integrations/webhooks/{id}/deliveries/{delivery_id}/skip", a.authed(a.skipWebhookDelivery))
	a.mux.Handle("POST /api/integrations/webhooks/{id}/rotate-secret", a.authed(a.rotateWebhookSecret))
}

type publishRequest struct {
	Type          string          `json:"type"`
	AggregateType string          `json:"aggregate_type"`
	AggregateID   string          `json:"aggregate_id"`
	Data          json.RawMessage `json:"data"`
}

func (a *api) publishEvent(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in publishRequest
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	ev, err := a.desk.PublishCustom(r.Context(), p.Actor, helpdesk.CustomEvent{Type: in.Type,
		AggregateType: in.AggregateType, AggregateID: in.AggregateID, Data: in.Data})
	if err != nil {
		return err
	}
	a.desk.Relay().Wake()
	writeJSON(w, http.StatusAccepted, ev)
	return nil
}

// pendingEventJSON is an outbox event waiting for the relay, or a dead
// letter.
type pendingEventJSON struct {
	events.Event
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	DeadAt        time.Time `json:"dead_at,omitzero"`
}

func (a *api) pendingEvents(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	if err := p.Actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return err
	}
	pg, err := a.pageRequest(r)
	if err != nil {
		return err
	}
	recs, err := a.desk.PendingEvents(r.Context(), events.OutboxQuery{CompanyID: p.Actor.CompanyID,
		Type: r.URL.Query().Get("type"), Limit: pg.Limit})
	if err != nil {
		return err
	}
	out := listPage[pendingEventJSON]{Items: make([]pendingEventJSON, len(recs))}
	for i, rec := range recs {
		out.Items[i] = pendingEventJSON{Event: rec.Event, Attempts: rec.Attempts, NextAttemptAt: rec.NextAttemptAt,
			LastError: rec.LastError, DeadAt: rec.DeadAt}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// webhookJSON is an endpoint; Secret is set only on create and rotation,
// HeldDeliveries only on a single endpoint's read.
type webhookJSON struct {
	webhooks.Endpoint
	Secret         string `json:"secret,omitempty"`
	HeldDeliveries *int   `json:"held_deliveries,omitempty"`
}

func (j webhookJSON) idAndVersion() (int64, int64) { return j.ID, j.Version }

func webhookLocation(id int64) string { return webhooksBase + "/" + strconv.FormatInt(id, 10) }

type webhookRequest struct {
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Description *string   `json:"description"`
	Active      *bool     `json:"active"`
}

func (a *api) createWebhook(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in webhookRequest
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	ein := webhooks.EndpointInput{Active: in.Active}
	if in.URL != nil {
		ein.URL = *in.URL
	}
	if in.Events != nil {
		ein.Events = *in.Events
	}
	if in.Description != nil {
		ein.Description = *in.Description
	}
	ep, err := a.desk.Webhooks.CreateEndpoint(r.Context(), p.Actor, ein)
	if err != nil {
		return err
	}
	w.Header().Set("Location", webhookLocation(ep.ID))
	w.Header().Set("Cache-Control", "no-store")
	writeResource(w, http.StatusCreated, ep.Version, webhookJSON{Endpoint: ep, Secret: ep.Secret})
	return nil
}

func (a *api) listWebhooks(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	pg, err := a.pageRequest(r)
	if err != nil {
		return err
	}
	page, err := a.desk.Webhooks.ListEndpoints(r.Context(), p.Actor, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(page, func(e webhooks.Endpoint) webhookJSON { return webhookJSON{Endpoint: e} }))
	return nil
}

func (a *api) getWebhook(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	ep, err := a.desk.Webhooks.GetEndpoint(r.Context(), p.Actor, id)
	if err != nil {
		return err
	}
	st, err := a.desk.Webhooks.Stats(r.Context(), p.Actor, id)
	if err != nil {
		return err
	}
	writeOne(w, webhookJSON{Endpoint: ep, HeldDeliveries: &st.Held})
	return nil
}

func (a *api) updateWebhook(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in webhookRequest
	id, version, err := a.changeRequest(w, r, &in)
	if err != nil {
		return err
	}
	ep, err := a.desk.Webhooks.UpdateEndpoint(r.Context(), p.Actor, id, version, webhooks.EndpointPatch{
		URL: in.URL, Events: in.Events, Description: in.Description, Active: in.Active})
	if err != nil {
		return err
	}
	writeOne(w, webhookJSON{Endpoint: ep})
	return nil
}

func (a *api) deleteWebhook(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	if err := a.desk.Webhooks.DeleteEndpoint(r.Context(), p.Actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *api) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	ep, err := a.desk.Webhooks.RotateSecret(r.Context(), p.Actor, id)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeResource(w, http.StatusOK, ep.Version, webhookJSON{Endpoint: ep, Secret: ep.Secret})
	return nil
}

func (a *api) testWebhook(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	d, err := a.desk.Webhooks.SendTest(r.Context(), p.Actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *api) webhookStats(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	st, err := a.desk.Webhooks.Stats(r.Context(), p.Actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// deliveryJSON is a delivery with its attempts (the delivery log).
type deliveryJSON struct {
	webhooks.Delivery
	AttemptLog []webhooks.Attempt `json:"attempt_log"`
}

func (a *api) webhookDeliveries(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	pg, err := a.pageRequest(r)
	if err != nil {
		return err
	}
	f := webhooks.DeliveryFilter{Status: webhooks.Status(r.URL.Query().Get("status"))}
	page, err := a.desk.Webhooks.ListDeliveries(r.Context(), p.Actor, id, f, pg)
	if err != nil {
		return err
	}
	out := listPage[deliveryJSON]{Items: make([]deliveryJSON, len(page.Items)), NextCursor: string(page.NextCursor)}
	for i, d := range page.Items {
		log, err := a.desk.Webhooks.Attempts(r.Context(), p.Actor, id, d.ID)
		if err != nil {
			return err
		}
		out.Items[i] = deliveryJSON{Delivery: d, AttemptLog: log}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *api) redeliverWebhook(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, did, err := deliveryParams(r)
	if err != nil {
		return err
	}
	d, err := a.desk.Webhooks.Redeliver(r.Context(), p.Actor, id, did)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, d)
	return nil
}

// skipWebhookDelivery gives up a failed delivery, letting the later ones
// of its aggregate go.
func (a *api) skipWebhookDelivery(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, did, err := deliveryParams(r)
	if err != nil {
		return err
	}
	d, err := a.desk.Webhooks.Skip(r.Context(), p.Actor, id, did)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// deliveryParams reads the endpoint and delivery IDs of the path.
func deliveryParams(r *http.Request) (int64, int64, error) {
	id, err := idParam(r)
	if err != nil {
		return 0, 0, err
	}
	did, err := strconv.ParseInt(r.PathValue("delivery_id"), 10, 64)
	if err != nil || did <= 0 {
		return 0, 0, storage.ErrNotFound
	}
	return id, did, nil
}

// processJSON says how much one "process now" call did.
type processJSON struct {
	Relayed   int `json:"relayed"`
	Attempted int `json:"attempted"`
}

// processWebhooks relays the outbox and sends every due delivery now. It
// is meant for operators and tests; Desk.Run does the same continuously.
func (a *api) processWebhooks(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	if err := p.Actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return err
	}
	relayed, err := a.desk.Relay().Drain(r.Context())
	if err != nil {
		return err
	}
	attempted, err := a.desk.Webhooks.ProcessDue(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, processJSON{Relayed: relayed, Attempted: attempted})
	return nil
}
