package webui

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
)

// Files on the ticket page: the reply form takes files (a plain multipart
// form post, no JavaScript needed), each comment lists its files, and the
// files are downloaded through the console with the person's session.

func (c *console) fileRoutes() {
	c.page("GET /tickets/{id}/files/{file}", c.ticketFile)
	c.ownerFilesRoutes()
}

// maxFormFiles bounds the files of one reply.
const maxFormFiles = 20

// isMultipart reports whether r is a multipart form post.
func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return r.Method == http.MethodPost && mt == "multipart/form-data"
}

// uploadLimit is the body limit of a multipart post: four files of the
// desk's per-file limit and the form's fields.
func (c *console) uploadLimit() int64 {
	return 4*c.desk.Attachments.Policy().MaxFileBytes + 1<<20
}

// fileError is the field error of a refused file, in the person's words
// where the refusal is a known one.
func fileError(q *request, err error) error {
	var le *attachments.LimitError
	var te *attachments.TypeError
	switch {
	case errors.As(err, &le) && errors.Is(err, attachments.ErrQuotaExceeded):
		return validation.Field("file", "%s", q.T("ticket.files.quota"))
	case errors.As(err, &le):
		return validation.Field("file", "%s", q.T("ticket.files.too_large", "Max", strconv.FormatInt(le.Limit>>20, 10)))
	case errors.As(err, &te) && te.Executable:
		return validation.Field("file", "%s", q.T("ticket.files.executable", "Name", te.Name))
	case errors.As(err, &te):
		return validation.Field("file", "%s", q.T("ticket.files.type", "Name", te.Name, "Type", te.ContentType))
	}
	return err
}

// commentWithFiles reads a multipart reply (body, internal, files),
// streaming each file into the store, and writes the comment and its
// files in one unit of work.
func (c *console) commentWithFiles(w http.ResponseWriter, r *http.Request, q *request, id int64) error {
	var (
		body     string
		internal bool
		files    []attachments.Staged
	)
	refuse := func(status int, err error) error {
		return c.refuse(w, q, id, status, "comment", err, func(p *ticketPage) { p.Comment, p.Internal = body, internal })
	}
	// A ticket the person may not write to is refused before any byte is
	// stored.
	if err := c.desk.Attachments.CheckAttach(q.Context(), q.actor, attachments.TicketOwner(id)); err != nil {
		return err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return refuse(http.StatusBadRequest, validation.Field("file", "%s", err.Error()))
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return refuse(http.StatusRequestEntityTooLarge, validation.Field("file", "%s", q.T("ticket.files.too_large", "Max", strconv.FormatInt(c.desk.Attachments.Policy().MaxFileBytes>>20, 10))))
			}
			return refuse(http.StatusBadRequest, validation.Field("file", "%s", err.Error()))
		}
		switch part.FormName() {
		case "body", "internal":
			v, _ := io.ReadAll(io.LimitReader(part, 64<<10))
			if part.FormName() == "body" {
				body = string(v)
			} else {
				internal = string(v) == "1"
			}
		case "file":
			if part.FileName() == "" {
				continue // the file input left empty
			}
			if len(files) == maxFormFiles {
				return refuse(http.StatusUnprocessableEntity, validation.Field("file", "%s", q.T("ticket.files.too_many", "Max", strconv.Itoa(maxFormFiles))))
			}
			st, err := c.desk.Attachments.Stage(q.Context(), q.actor, part.FileName(), part)
			if err != nil {
				if ferr := fileError(q, err); ferr != err || errors.Is(err, validation.ErrInvalid) {
					status := http.StatusUnprocessableEntity
					if errors.Is(err, attachments.ErrTooLarge) {
						status = http.StatusRequestEntityTooLarge
					}
					return refuse(status, ferr)
				}
				return err
			}
			files = append(files, st)
		default:
			_, _ = io.Copy(io.Discard, part)
		}
	}
	if len(files) == 0 {
		_, err := c.desk.Tickets.AddComment(q.Context(), q.actor, id, body, internal)
		return c.commented(w, r, q, id, err, refuse)
	}
	_, _, err = c.desk.CommentWithFiles(q.Context(), q.actor, id, body, internal, files)
	if err != nil {
		if ferr := fileError(q, err); ferr != err {
			return refuse(http.StatusRequestEntityTooLarge, ferr)
		}
	}
	return c.commented(w, r, q, id, err, refuse)
}

// commented answers a reply: back to the conversation, or the form again
// with its errors.
func (c *console) commented(w http.ResponseWriter, r *http.Request, q *request, id int64, err error, refuse func(int, error) error) error {
	if err != nil {
		if !errors.Is(err, validation.ErrInvalid) && !errors.Is(err, storage.ErrConflict) {
			return err
		}
		return refuse(statusOf(err), err)
	}
	c.back(w, r, id, "#conversation")
	return nil
}

// ticketFile downloads a file of a ticket the person may see: always as a
// download, never sniffed or run (nosniff, a sandboxing CSP), with its
// SHA-256 as ETag and ranges honoured.
func (c *console) ticketFile(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := ticketID(r)
	if err != nil {
		return err
	}
	return c.serveFile(w, r, q, func(at attachments.Attachment) bool { return at.TicketID == id })
}

// fileView is a file as the ticket page lists it.
type fileView struct {
	ID   int64
	Name string
	Size string
	Type string
	URL  string
}

// filesOf lists the files of a ticket by owner: the ticket's own under 0,
// each comment's under its ID.
func (c *console) filesOf(q *request, ticketID int64) (map[int64][]fileView, error) {
	if !c.desk.Attachments.Enabled() {
		return nil, nil
	}
	as, err := c.desk.Attachments.List(q.Context(), q.actor, attachments.TicketOwner(ticketID))
	if err != nil {
		return nil, err
	}
	out := map[int64][]fileView{}
	for _, a := range as {
		owner := int64(0)
		if a.OwnerKind == attachments.OwnerComment {
			owner = a.OwnerID
		}
		out[owner] = append(out[owner], fileView{ID: a.ID, Name: a.Name, Size: humanSize(a.Size), Type: a.ContentType,
			URL: c.path(fmt.Sprintf("/tickets/%d/files/%d", ticketID, a.ID))})
	}
	return out, nil
}

// humanSize is n bytes for a person: 512 B, 12 KiB, 3.4 MiB.
func humanSize(n int64) string {
	switch {
	case n < 1<<10:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	default:
		return strings.TrimSuffix(strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64), ".0") + " MiB"
	}
}

// ownerFilesRoutes are the files of assets and service orders: a list with
// an upload form on their pages, and downloads by file ID.
func (c *console) ownerFilesRoutes() {
	c.page("GET /files/{file}", c.fileDownload)
	c.page("POST /assets/{id}/files", c.ownerUpload(assetID, attachments.AssetOwner, "/assets/"))
	c.page("POST /service-orders/{id}/files", c.ownerUpload(orderID, attachments.ServiceOrderOwner, "/service-orders/"))
}

// ownerFiles lists the files of an asset or a service order for its page.
func (c *console) ownerFiles(q *request, owner attachments.Owner) []fileView {
	if !c.desk.Attachments.Enabled() {
		return nil
	}
	as, err := c.desk.Attachments.List(q.Context(), q.actor, owner)
	if err != nil {
		return nil
	}
	out := make([]fileView, 0, len(as))
	for _, a := range as {
		out = append(out, fileView{ID: a.ID, Name: a.Name, Size: humanSize(a.Size), Type: a.ContentType,
			URL: c.path("/files/" + strconv.FormatInt(a.ID, 10))})
	}
	return out
}

// ownerUpload attaches the files of a multipart form to an asset or a
// service order, then goes back to its page; a refused file is the error
// page naming the refusal.
func (c *console) ownerUpload(idOf func(*http.Request) (int64, error), owner func(int64) attachments.Owner, base string) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, q *request) error {
		id, err := idOf(r)
		if err != nil {
			return err
		}
		if !isMultipart(r) {
			return validation.Field("file", "%s", q.T("ticket.reply.files"))
		}
		if err := c.desk.Attachments.CheckAttach(q.Context(), q.actor, owner(id)); err != nil {
			return err
		}
		mr, err := r.MultipartReader()
		if err != nil {
			return err
		}
		var files []attachments.Staged
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return validation.Field("file", "%s", q.T("ticket.files.too_large", "Max", strconv.FormatInt(c.desk.Attachments.Policy().MaxFileBytes>>20, 10)))
			}
			if part.FormName() != "file" || part.FileName() == "" || len(files) == maxFormFiles {
				_, _ = io.Copy(io.Discard, part)
				continue
			}
			st, err := c.desk.Attachments.Stage(q.Context(), q.actor, part.FileName(), part)
			if err != nil {
				return fileError(q, err)
			}
			files = append(files, st)
		}
		if len(files) > 0 {
			if _, err := c.desk.Attachments.Attach(q.Context(), q.actor, owner(id), files); err != nil {
				return fileError(q, err)
			}
		}
		http.Redirect(w, r, c.path(base+strconv.FormatInt(id, 10)+"#files"), http.StatusSeeOther)
		return nil
	}
}

// fileDownload downloads a file of an asset or a service order (ticket
// files go through the ticket's route).
func (c *console) fileDownload(w http.ResponseWriter, r *http.Request, q *request) error {
	return c.serveFile(w, r, q, func(attachments.Attachment) bool { return true })
}

// serveFile serves the file of the path's {file} when the person may read
// it and it belongs where the route says (in).
func (c *console) serveFile(w http.ResponseWriter, r *http.Request, q *request, in func(attachments.Attachment) bool) error {
	fileID, err := strconv.ParseInt(r.PathValue("file"), 10, 64)
	if err != nil || fileID <= 0 {
		return errNotFound
	}
	at, rd, err := c.desk.Attachments.Open(q.Context(), q.actor, fileID)
	if err != nil {
		return err
	}
	defer rd.Close()
	if !in(at) {
		return errNotFound
	}
	h := w.Header()
	for _, kv := range attachments.DownloadHeaders(at) {
		h.Set(kv[0], kv[1])
	}
	h.Set("Cache-Control", "private, no-cache")
	http.ServeContent(w, r, "", at.CreatedAt, rd)
	return nil
}
