package httpapi

import (
	"context"
	"net/http"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// The handlers below serve the shapes every model repeats — list, create,
// read, update and remove one — from the model's service methods, its JSON
// converter and its request shapes, so that each model file holds only
// those. The service methods are passed as method values (for example
// a.desk.Directory.GetCompany); ID is the model's ID type.

// resourceJSON is the JSON shape of a single resource: it tells the ID and
// version its Location and ETag are made from.
type resourceJSON interface {
	idAndVersion() (id, version int64)
}

// listOf serves a list: it reads the page request, then the model's filter
// with filter, and writes the page list returns, converted with conv. For
// a sub-collection (a ticket's comments, an asset's history) the filter is
// the parent's ID, idParam.
func listOf[F, T, J any](a *api, filter func(*http.Request) (F, error),
	list func(context.Context, tenant.Actor, F, storage.PageRequest) (storage.Page[T], error),
	conv func(T) J) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
		pg, err := a.pageRequest(r)
		if err != nil {
			return err
		}
		f, err := filter(r)
		if err != nil {
			return err
		}
		page, err := list(r.Context(), p.Actor, f, pg)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, pageOf(page, conv))
		return nil
	}
}

// createOne creates a resource from a JSON body C: input turns the body
// into the service's input, create makes the resource and conv gives its
// JSON shape, whose ID and version adminCreate answers with.
func createOne[C, I, T any, J resourceJSON](a *api, create func(context.Context, tenant.Actor, I) (T, error),
	input func(C) I, conv func(T) J) createFunc {
	return func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) (created, error) {
		var in C
		if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
			return created{}, err
		}
		t, err := create(r.Context(), p.Actor, input(in))
		if err != nil {
			return created{}, err
		}
		return createdOf(conv(t), ""), nil
	}
}

// createdOf is the created resource whose JSON shape is body; secret, when
// not empty, is the one-time secret to add to the response.
func createdOf[J resourceJSON](body J, secret string) created {
	id, version := body.idAndVersion()
	return created{id: id, version: version, body: body, secret: secret}
}

// idempotentCreate serves a domain create under Idempotency-Key; a
// replayed 201 gets back the Location (from location) and ETag the
// idempotency store does not keep (see replayWriter).
func (a *api) idempotentCreate(location func(id int64) string, h authedHandler) authedHandler {
	return a.idempotentReplay(location, "", h)
}

// idempotentReplay is idempotentCreate for a body whose resource is its
// member named member ("" for the body itself), as the intake's
// stock_item.
func (a *api) idempotentReplay(location func(id int64) string, member string, h authedHandler) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
		rw := &replayWriter{ResponseWriter: w, location: location, member: member}
		err := a.idempotent(h)(rw, r, p)
		rw.finish()
		return err
	}
}

// writeCreated answers 201 for a resource just created with the given id,
// for services whose creation returns less than a GET shows: the resource
// read back with get and shown with details (next actions included), or
// conv(t) when the caller may create but not read; Location is
// location(id).
func writeCreated[T, D any, J resourceJSON](w http.ResponseWriter, r *http.Request, p helpdesk.Principal, t T, id int64,
	conv func(T) J, get func(context.Context, tenant.Actor, int64) (D, error), details func(D) J, location func(int64) string) {
	body := conv(t)
	if d, err := get(r.Context(), p.Actor, id); err == nil {
		body = details(d)
	}
	w.Header().Set("Location", location(id))
	_, version := body.idAndVersion()
	writeResource(w, http.StatusCreated, version, body)
}

// getOne serves GET .../{id}: it reads the resource with get and writes it
// converted with conv, with its ETag.
func getOne[ID ~int64, T any, J resourceJSON](get func(context.Context, tenant.Actor, ID) (T, error),
	conv func(T) J) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
		id, err := idParam(r)
		if err != nil {
			return err
		}
		t, err := get(r.Context(), p.Actor, ID(id))
		if err != nil {
			return err
		}
		writeOne(w, conv(t))
		return nil
	}
}

// updateOne serves PUT .../{id}: it reads the version from If-Match and
// the JSON body U, turns them into the service's patch with patch, applies
// it with update and writes the result converted with conv, with its ETag.
func updateOne[ID ~int64, U, P, T any, J resourceJSON](a *api, update func(context.Context, tenant.Actor, ID, P) (T, error),
	patch func(in U, version int64) P, conv func(T) J) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
		var in U
		id, version, err := a.changeRequest(w, r, &in)
		if err != nil {
			return err
		}
		t, err := update(r.Context(), p.Actor, ID(id), patch(in, version))
		if err != nil {
			return err
		}
		writeOne(w, conv(t))
		return nil
	}
}

// removeOne serves DELETE .../{id} as an update: it applies the patch
// remove makes for the version from If-Match, and answers 204.
func removeOne[ID ~int64, P, T any](update func(context.Context, tenant.Actor, ID, P) (T, error),
	remove func(version int64) P) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
		id, version, err := changeTarget(r)
		if err != nil {
			return err
		}
		if _, err := update(r.Context(), p.Actor, ID(id), remove(version)); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// writeOne writes one resource with 200 and its ETag.
func writeOne[J resourceJSON](w http.ResponseWriter, body J) {
	_, version := body.idAndVersion()
	writeResource(w, http.StatusOK, version, body)
}

// changeTarget reads what a change to one resource applies to: the {id}
// path wildcard and the version from If-Match (0 for any version).
func changeTarget(r *http.Request) (id, version int64, err error) {
	if id, err = idParam(r); err != nil {
		return 0, 0, err
	}
	if version, err = ifMatch(r); err != nil {
		return 0, 0, err
	}
	return id, version, nil
}

// changeRequest reads changeTarget and then the JSON body into in.
func (a *api) changeRequest(w http.ResponseWriter, r *http.Request, in any) (id, version int64, err error) {
	if id, version, err = changeTarget(r); err != nil {
		return 0, 0, err
	}
	if err := decodeJSON(w, r, in, a.cfg.MaxBodyBytes); err != nil {
		return 0, 0, err
	}
	return id, version, nil
}
