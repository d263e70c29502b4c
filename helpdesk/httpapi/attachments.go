package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

// Files: multipart uploads ("file" parts, one or more) on tickets,
// comments, service orders and assets; lists per owner; metadata, download
// and (soft) delete by attachment ID. Uploads are streamed into the blob
// store part by part, never buffered whole, and are exempt from the JSON
// body limit (see limitBody and Config.MaxUploadBytes).
func (a *api) attachmentRoutes() {
	tickets, comments := ownerOf(attachments.TicketOwner), commentOwner
	orders, assets := ownerOf(attachments.ServiceOrderOwner), ownerOf(attachments.AssetOwner)
	a.mux.Handle("POST /api/helpdesk/tickets/{id}/attachments", a.authed(a.uploadTo(tickets)))
	a.mux.Handle("GET /api/helpdesk/tickets/{id}/attachments", a.authed(a.listAttachments(tickets)))
	a.mux.Handle("POST /api/helpdesk/tickets/{id}/comments/{comment_id}/attachments", a.authed(a.uploadTo(comments)))
	a.mux.Handle("GET /api/helpdesk/tickets/{id}/comments/{comment_id}/attachments", a.authed(a.listAttachments(comments)))
	a.mux.Handle("POST /api/helpdesk/service-orders/{id}/attachments", a.authed(a.uploadTo(orders)))
	a.mux.Handle("GET /api/helpdesk/service-orders/{id}/attachments", a.authed(a.listAttachments(orders)))
	a.mux.Handle("POST /api/helpdesk/assets/{id}/attachments", a.authed(a.uploadTo(assets)))
	a.mux.Handle("GET /api/helpdesk/assets/{id}/attachments", a.authed(a.listAttachments(assets)))
	a.mux.Handle("GET /api/helpdesk/attachments/{id}", a.authed(a.getAttachment))
	a.mux.Handle("GET /api/helpdesk/attachments/{id}/content", a.authed(a.downloadAttachment))
	a.mux.Handle("DELETE /api/helpdesk/attachments/{id}", a.authed(a.deleteAttachment))
}

func ownerOf(make func(int64) attachments.Owner) func(r *http.Request) (attachments.Owner, error) {
	return func(r *http.Request) (attachments.Owner, error) {
		id, err := idParam(r)
		return make(id), err
	}
}

func commentOwner(r *http.Request) (attachments.Owner, error) {
	ticket, err := idParam(r)
	if err != nil {
		return attachments.Owner{}, err
	}
	c, err := strconv.ParseInt(r.PathValue("comment_id"), 10, 64)
	if err != nil || c <= 0 {
		return attachments.Owner{}, fmt.Errorf("comment %q: %w", r.PathValue("comment_id"), errNotFoundID)
	}
	return attachments.CommentOwner(ticket, c), nil
}

// errNotFoundID is a malformed ID in a path: it names no resource.
var errNotFoundID = errors.New("no such resource")

// attachmentJSON is an attachment's metadata.
type attachmentJSON struct {
	ID          int64    `json:"id"`
	OwnerKind   string   `json:"owner_kind"`
	OwnerID     int64    `json:"owner_id"`
	TicketID    int64    `json:"ticket_id,omitempty"`
	Internal    bool     `json:"internal"`
	Name        string   `json:"name"`
	Size        int64    `json:"size"`
	SHA256      string   `json:"sha256"`
	ContentType string   `json:"content_type"`
	UploadedBy  int64    `json:"uploaded_by"`
	CreatedAt   timeJSON `json:"created_at"`
	DownloadURL string   `json:"download_url"`
}

func attachmentOf(at attachments.Attachment) attachmentJSON {
	return attachmentJSON{ID: at.ID, OwnerKind: string(at.OwnerKind), OwnerID: at.OwnerID, TicketID: at.TicketID,
		Internal: at.Internal, Name: at.Name, Size: at.Size, SHA256: at.SHA256, ContentType: at.ContentType,
		UploadedBy: int64(at.UploadedBy), CreatedAt: adminTime(at.CreatedAt),
		DownloadURL: "/api/helpdesk/attachments/" + strconv.FormatInt(at.ID, 10) + "/content"}
}

type attachmentListJSON struct {
	Items []attachmentJSON `json:"items"`
}

func attachmentListOf(as []attachments.Attachment) attachmentListJSON {
	out := attachmentListJSON{Items: make([]attachmentJSON, len(as))}
	for i, at := range as {
		out.Items[i] = attachmentOf(at)
	}
	return out
}

// maxFilesPerRequest bounds the files of one upload.
const maxFilesPerRequest = 20

// maxFieldBytes bounds a text field of an upload (a comment's body).
const maxFieldBytes = 64 << 10

// errNotMultipart is an upload not sent as multipart/form-data (415).
var errNotMultipart = errors.New(`unsupported media type: send files as "Content-Type: multipart/form-data" with one or more "file" parts`)

// isUpload reports whether r is a multipart upload to an endpoint that
// takes files, which limitBody lets through up to the upload limit.
func isUpload(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data" &&
		(strings.HasSuffix(r.URL.Path, "/attachments") || strings.HasSuffix(r.URL.Path, "/comments"))
}

// upload is what a multipart request carried: its text fields and its
// files, staged in the blob store.
type upload struct {
	fields map[string]string
	files  []attachments.Staged
}

// readUpload streams the parts of a multipart request: each "file" part
// goes to the blob store as it arrives (Stage: sniffed, limited, hashed);
// the text fields named in fields are kept (up to maxFieldBytes each);
// other parts are refused.
func (a *api) readUpload(r *http.Request, p helpdesk.Principal, fields ...string) (upload, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return upload{}, errNotMultipart
	}
	up := upload{fields: map[string]string{}}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return upload{}, mbe
			}
			return upload{}, badRequest(fmt.Errorf("malformed multipart body: %w", err))
		}
		name := part.FormName()
		switch {
		case name == "file":
			fn := part.FileName()
			if fn == "" {
				// A file input left empty in a browser form.
				if n, _ := io.Copy(io.Discard, io.LimitReader(part, 1)); n == 0 {
					continue
				}
				fn = "file"
			}
			if len(up.files) == maxFilesPerRequest {
				return upload{}, fieldError("file", fmt.Sprintf("at most %d files per request", maxFilesPerRequest))
			}
			st, err := a.desk.Attachments.Stage(r.Context(), p.Actor, fn, part)
			if err != nil {
				return upload{}, err
			}
			up.files = append(up.files, st)
		case contains(fields, name):
			b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return upload{}, badRequest(err)
			}
			if len(b) > maxFieldBytes {
				return upload{}, fieldError(name, fmt.Sprintf("is longer than %d bytes", maxFieldBytes))
			}
			up.fields[name] = string(b)
		default:
			return upload{}, fieldError(truncate(name, 40), "unknown field: send \"file\" parts"+fieldsHint(fields))
		}
	}
	return up, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func fieldsHint(fields []string) string {
	if len(fields) == 0 {
		return ""
	}
	return " and " + strings.Join(fields, ", ")
}

// uploadTo answers a multipart upload of files to an owner: 201 with the
// attachments.
func (a *api) uploadTo(owner func(*http.Request) (attachments.Owner, error)) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
		o, err := owner(r)
		if err != nil {
			return err
		}
		if !isUpload(r) {
			return errNotMultipart
		}
		// A missing, foreign or read-only owner is refused before any
		// byte is stored.
		if err := a.desk.Attachments.CheckAttach(r.Context(), p.Actor, o); err != nil {
			return err
		}
		up, err := a.readUpload(r, p)
		if err != nil {
			return err
		}
		if len(up.files) == 0 {
			return fieldError("file", "is required: send one or more \"file\" parts")
		}
		added, err := a.desk.Attachments.Attach(r.Context(), p.Actor, o, up.files)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, attachmentListOf(added))
		return nil
	}
}

// commentWithFiles answers POST .../comments sent as multipart: a comment
// (fields "body" and "internal") with its files, in one unit of work.
func (a *api) commentWithFiles(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	if err := a.desk.Attachments.CheckAttach(r.Context(), p.Actor, attachments.TicketOwner(id)); err != nil {
		return err
	}
	up, err := a.readUpload(r, p, "body", "internal")
	if err != nil {
		return err
	}
	internal := false
	if v, ok := up.fields["internal"]; ok && v != "" {
		if internal, err = strconv.ParseBool(v); err != nil {
			return fieldError("internal", "must be true or false")
		}
	}
	if len(up.files) == 0 && strings.TrimSpace(up.fields["body"]) == "" {
		return fieldError("body", "is required unless files are attached")
	}
	c, added, err := a.desk.CommentWithFiles(r.Context(), p.Actor, id, up.fields["body"], internal, up.files)
	if err != nil {
		return err
	}
	out := commentWithFilesJSON{commentJSON: commentOf(c), Attachments: attachmentListOf(added).Items}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// commentWithFilesJSON is a comment created with files.
type commentWithFilesJSON struct {
	commentJSON
	Attachments []attachmentJSON `json:"attachments"`
}

func (a *api) listAttachments(owner func(*http.Request) (attachments.Owner, error)) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
		o, err := owner(r)
		if err != nil {
			return err
		}
		as, err := a.desk.Attachments.List(r.Context(), p.Actor, o)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, attachmentListOf(as))
		return nil
	}
}

func (a *api) getAttachment(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	at, err := a.desk.Attachments.Get(r.Context(), p.Actor, id)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", strconv.Quote(at.SHA256))
	writeJSON(w, http.StatusOK, attachmentOf(at))
	return nil
}

func (a *api) deleteAttachment(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	if _, err := a.desk.Attachments.Delete(r.Context(), p.Actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// downloadAttachment serves a file's bytes: always as a download
// (Content-Disposition: attachment), never sniffed or rendered as a page
// (nosniff, a sandboxing CSP), with the SHA-256 as its ETag; ranges,
// If-None-Match and If-Range are honoured by http.ServeContent over the
// blob's seekable reader.
func (a *api) downloadAttachment(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	at, rd, err := a.desk.Attachments.Open(r.Context(), p.Actor, id)
	if err != nil {
		return err
	}
	defer rd.Close()
	h := w.Header()
	for _, kv := range attachments.DownloadHeaders(at) {
		h.Set(kv[0], kv[1])
	}
	http.ServeContent(&problemOnError{ResponseWriter: w, r: r}, r, "", at.CreatedAt, rd)
	return nil
}

// problemOnError turns the errors http.ServeContent answers in plain text
// (416 for an unsatisfiable range, 412 for a failed If-Match) into
// problems, as every error of the API is.
type problemOnError struct {
	http.ResponseWriter
	r      *http.Request
	failed bool
}

func (p *problemOnError) WriteHeader(status int) {
	if status < 400 {
		p.ResponseWriter.WriteHeader(status)
		return
	}
	p.failed = true
	p.Header().Del("Content-Disposition")
	slug, detail := "precondition-failed", "the file has changed: its ETag no longer matches If-Match"
	if status == http.StatusRequestedRangeNotSatisfiable {
		slug, detail = "range-not-satisfiable", "the range is outside the file: see Content-Range for its size"
	}
	writeProblem(p.ResponseWriter, p.r, newProblem(status, slug, detail))
}

func (p *problemOnError) Write(b []byte) (int, error) {
	if p.failed {
		return len(b), nil
	}
	return p.ResponseWriter.Write(b)
}

// uploadProblem maps the attachments errors to problems; ok is false for
// other errors.
func uploadProblem(err error) (Problem, bool) {
	var le *attachments.LimitError
	var te *attachments.TypeError
	switch {
	case errors.As(err, &le) && errors.Is(err, attachments.ErrQuotaExceeded):
		return newProblem(http.StatusRequestEntityTooLarge, "files-quota-exceeded", le.Error()), true
	case errors.As(err, &le):
		return newProblem(http.StatusRequestEntityTooLarge, "file-too-large", le.Error()), true
	case errors.As(err, &te):
		return problemFor(validation.Field("file", "%s", te.Error())), true
	case errors.Is(err, attachments.ErrNoBlobStore):
		return newProblem(http.StatusServiceUnavailable, "files-unavailable", "this server stores no files: set BOLADAO_FILES_URL"), true
	case errors.Is(err, errNotMultipart):
		return newProblem(http.StatusUnsupportedMediaType, "unsupported-media-type", errNotMultipart.Error()), true
	case errors.Is(err, errNotFoundID):
		return newProblem(http.StatusNotFound, "not-found", "no such resource"), true
	}
	return Problem{}, false
}

// commentRoute answers POST .../comments: JSON (honouring
// Idempotency-Key), or multipart/form-data with files.
func (a *api) commentRoute(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	if isUpload(r) {
		return a.commentWithFiles(w, r, p)
	}
	return a.idempotent(a.addComment)(w, r, p)
}
