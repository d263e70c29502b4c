package httpapi_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/serviceorders"
)

// part is one part of a multipart upload: a file when filename is set.
type part struct {
	field, filename string
	data            []byte
}

func multipartBody(t *testing.T, parts ...part) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.filename != "" {
			w, err = mw.CreateFormFile(p.field, p.filename)
		} else {
			w, err = mw.CreateFormField(p.field)
		}
		require.NoError(t, err)
		_, err = w.Write(p.data)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return mw.FormDataContentType(), buf.Bytes()
}

// raw sends a request with a body of its own content type, checked
// against the OpenAPI document like every exchange of the env. Downloads
// (whose bodies are files) are checked for their status and headers by
// the tests themselves.
func (e *env) raw(method, path, contentType string, body []byte, check bool, headers ...string) response {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.srv.URL+path, bytes.NewReader(body))
	require.NoError(e.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		v := headers[i+1]
		if headers[i] == "Authorization" {
			v = "Bearer " + v
		}
		req.Header.Set(headers[i], v)
	}
	resp, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	r := response{Status: resp.StatusCode, Header: resp.Header, Body: out}
	if check {
		checkExchange(e.t, e.srv.URL, req, body, r)
	}
	return r
}

func (e *env) upload(path, token string, parts ...part) response {
	e.t.Helper()
	ct, body := multipartBody(e.t, parts...)
	return e.raw("POST", path, ct, body, true, "Authorization", token)
}

type attachmentJSON struct {
	ID          int64  `json:"id"`
	OwnerKind   string `json:"owner_kind"`
	OwnerID     int64  `json:"owner_id"`
	TicketID    int64  `json:"ticket_id"`
	Internal    bool   `json:"internal"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
	DownloadURL string `json:"download_url"`
}

type attachmentList struct {
	Items []attachmentJSON `json:"items"`
}

func pngFile(n int) []byte {
	b := make([]byte, n)
	copy(b, "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	for i := 16; i < n; i++ {
		b[i] = byte(i * 13)
	}
	return b
}

func hexSum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// filesEnv is an env whose desk keeps files in a temporary directory, with
// a small per-file limit.
func filesEnv(t *testing.T, open func(t *testing.T) helpdesk.Store, policy attachments.Policy) (*env, string) {
	dir := t.TempDir()
	blobs, err := attachments.OpenDir(dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = blobs.Bucket().Close() })
	return newEnv(t, open(t), httpapi.Config{APIRate: 1000, APIBurst: 1000}, helpdesk.WithAttachments(blobs, policy)), dir
}

func countFiles(t *testing.T, dir string) int {
	n := 0
	require.NoError(t, filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	}))
	return n
}

func TestAttachmentsAPI(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e, dir := filesEnv(t, b.open, attachments.Policy{MaxFileBytes: 256 << 10})
			co, tok := e.company("Acme")
			_, other := e.company("Other")
			ctx := t.Context()
			admin, _ := tenant.System().InCompany(co.ID)
			users, err := e.desk.Directory.ListUsers(ctx, admin, dirUserFilter("requester"), pageAll())
			require.NoError(t, err)
			requester := users.Items[0]
			var tk struct {
				ID int64 `json:"id"`
			}
			r := e.do("POST", "/api/helpdesk/tickets", map[string]any{"title": "Impressora", "priority": "high",
				"requester_contact_id": requester.ContactID}, "Authorization", tok[tenant.RoleAgent])
			require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
			r.JSON(t, &tk)
			base := "/api/helpdesk/tickets/" + strconv.FormatInt(tk.ID, 10)

			// An agent attaches a photo (a traversal name is cut to its base).
			img := pngFile(100 << 10)
			r = e.upload(base+"/attachments", tok[tenant.RoleAgent], part{"file", "../../etc/passwd.png", img})
			require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
			var up attachmentList
			r.JSON(t, &up)
			require.Len(t, up.Items, 1)
			photo := up.Items[0]
			require.Equal(t, "passwd.png", photo.Name)
			require.Equal(t, "image/png", photo.ContentType)
			require.Equal(t, hexSum(img), photo.SHA256)
			require.EqualValues(t, len(img), photo.Size)

			// Download: the bytes, as an attachment, never sniffed or run.
			dl := func(path, token string, headers ...string) response {
				return e.raw("GET", path, "", nil, false, append([]string{"Authorization", token}, headers...)...)
			}
			r = dl(photo.DownloadURL, tok[tenant.RoleRequester])
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			require.Equal(t, img, r.Body)
			require.Equal(t, `attachment; filename="passwd.png"; filename*=UTF-8''passwd.png`, r.Header.Get("Content-Disposition"))
			require.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
			require.Contains(t, r.Header.Get("Content-Security-Policy"), "sandbox")
			require.Equal(t, `"`+photo.SHA256+`"`, r.Header.Get("ETag"))
			require.Equal(t, "image/png", r.Header.Get("Content-Type"))
			require.Equal(t, "bytes", r.Header.Get("Accept-Ranges"))
			// ETag and ranges.
			r = dl(photo.DownloadURL, tok[tenant.RoleAgent], "If-None-Match", `"`+photo.SHA256+`"`)
			require.Equal(t, http.StatusNotModified, r.Status)
			require.Empty(t, r.Body)
			r = dl(photo.DownloadURL, tok[tenant.RoleAgent], "Range", "bytes=1000-1999")
			require.Equal(t, http.StatusPartialContent, r.Status)
			require.Equal(t, img[1000:2000], r.Body)
			require.Equal(t, fmt.Sprintf("bytes 1000-1999/%d", len(img)), r.Header.Get("Content-Range"))
			r = dl(photo.DownloadURL, tok[tenant.RoleAgent], "Range", "bytes=0-9", "If-Range", `"stale"`)
			require.Equal(t, http.StatusOK, r.Status, "a stale If-Range gets the whole file")
			require.Len(t, r.Body, len(img))
			r = dl(photo.DownloadURL, tok[tenant.RoleAgent], "Range", fmt.Sprintf("bytes=%d-", len(img)+10))
			require.Equal(t, http.StatusRequestedRangeNotSatisfiable, r.Status)
			require.Equal(t, http.StatusRequestedRangeNotSatisfiable, r.Problem(t).Status)
			r = dl(photo.DownloadURL, tok[tenant.RoleAgent], "If-Match", `"other"`)
			require.Equal(t, http.StatusPreconditionFailed, r.Status)

			// A requester's reply with a file, and an agent's internal note with one.
			r = e.upload(base+"/comments", tok[tenant.RoleRequester], part{"body", "", []byte("segue o print")},
				part{"file", "tela.png", pngFile(2000)}, part{"file", "", nil})
			require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
			var reply struct {
				ID          int64            `json:"id"`
				Body        string           `json:"body"`
				Attachments []attachmentJSON `json:"attachments"`
			}
			r.JSON(t, &reply)
			require.Equal(t, "segue o print", reply.Body)
			require.Len(t, reply.Attachments, 1)
			require.Equal(t, "comment", reply.Attachments[0].OwnerKind)
			r = e.upload(base+"/comments", tok[tenant.RoleAgent], part{"internal", "", []byte("true")},
				part{"file", "nota fiscal.pdf", []byte("%PDF-1.7\n% invoice\n")})
			require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
			var note struct {
				ID          int64            `json:"id"`
				Internal    bool             `json:"internal"`
				Attachments []attachmentJSON `json:"attachments"`
			}
			r.JSON(t, &note)
			require.True(t, note.Internal)
			secret := note.Attachments[0]
			require.True(t, secret.Internal)
			require.Equal(t, "application/pdf", secret.ContentType)

			list := func(token string) []string {
				r := e.do("GET", base+"/attachments", nil, "Authorization", token)
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
				var l attachmentList
				r.JSON(t, &l)
				out := []string{}
				for _, a := range l.Items {
					out = append(out, a.Name)
				}
				return out
			}
			require.Equal(t, []string{"passwd.png", "tela.png", "nota fiscal.pdf"}, list(tok[tenant.RoleAgent]))
			require.Equal(t, []string{"passwd.png", "tela.png"}, list(tok[tenant.RoleRequester]))
			require.Equal(t, []string{"passwd.png", "tela.png", "nota fiscal.pdf"}, list(tok[tenant.RoleViewer]))
			// The requester never reaches the internal note's file.
			for _, path := range []string{"/api/helpdesk/attachments/" + strconv.FormatInt(secret.ID, 10), secret.DownloadURL} {
				r = dl(path, tok[tenant.RoleRequester])
				require.Equal(t, http.StatusNotFound, r.Status, path)
			}
			r = e.do("GET", base+"/comments/"+strconv.FormatInt(note.ID, 10)+"/attachments", nil, "Authorization", tok[tenant.RoleRequester])
			require.Equal(t, http.StatusNotFound, r.Status)
			// Another company's people: 404 everywhere.
			for _, path := range []string{"/api/helpdesk/attachments/" + strconv.FormatInt(photo.ID, 10), photo.DownloadURL} {
				r = dl(path, other[tenant.RoleAdmin])
				require.Equal(t, http.StatusNotFound, r.Status, path)
			}
			r = e.do("GET", base+"/attachments", nil, "Authorization", other[tenant.RoleAgent])
			require.Equal(t, http.StatusNotFound, r.Status)
			r = e.upload(base+"/attachments", other[tenant.RoleAgent], part{"file", "x.png", pngFile(100)})
			require.Equal(t, http.StatusNotFound, r.Status)
			// A viewer reads but uploads and deletes nothing.
			r = e.upload(base+"/attachments", tok[tenant.RoleViewer], part{"file", "x.png", pngFile(100)})
			require.Equal(t, http.StatusForbidden, r.Status)
			r = e.do("DELETE", "/api/helpdesk/attachments/"+strconv.FormatInt(photo.ID, 10), nil, "Authorization", tok[tenant.RoleViewer])
			require.Equal(t, http.StatusForbidden, r.Status)

			// Bad files: refused precisely, nothing stored.
			before := countFiles(t, dir)
			elf := append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 1000)...)
			for _, c := range []struct {
				parts  []part
				status int
				slug   string
			}{
				{[]part{{"file", "big.png", pngFile(256<<10 + 1)}}, http.StatusRequestEntityTooLarge, "file-too-large"},
				{[]part{{"file", "ok.png", pngFile(100)}, {"file", "big.png", pngFile(300 << 10)}}, http.StatusRequestEntityTooLarge, "file-too-large"},
				{[]part{{"file", "relatorio.pdf", elf}}, http.StatusUnprocessableEntity, "validation"},
				{[]part{{"file", "setup.exe", []byte("MZ")}}, http.StatusUnprocessableEntity, "validation"},
				{[]part{{"file", "run.sh", []byte("#!/bin/sh\nrm -rf /\n")}}, http.StatusUnprocessableEntity, "validation"},
				{[]part{{"file", "vazio.png", nil}}, http.StatusUnprocessableEntity, "validation"},
				{[]part{{"other", "", []byte("x")}}, http.StatusUnprocessableEntity, "validation"},
				{nil, http.StatusUnprocessableEntity, "validation"},
			} {
				r = e.upload(base+"/attachments", tok[tenant.RoleAgent], c.parts...)
				require.Equal(t, c.status, r.Status, "%s", r.Body)
				require.Equal(t, httpapi.ProblemTypeBase+c.slug, r.Problem(t).Type)
			}
			r = e.do("POST", base+"/attachments", map[string]string{"file": "x"}, "Authorization", tok[tenant.RoleAgent])
			require.Equal(t, http.StatusUnsupportedMediaType, r.Status)
			require.Equal(t, []string{"passwd.png", "tela.png", "nota fiscal.pdf"}, list(tok[tenant.RoleAgent]))
			// The refused "ok.png" that came before the oversized file was
			// staged: it stays until the collector takes it, invisible.
			require.LessOrEqual(t, countFiles(t, dir), before+1)

			// A zip is stored as it is, never unpacked.
			var zbuf bytes.Buffer
			zw := zip.NewWriter(&zbuf)
			zf, err := zw.Create("../../../evil.txt")
			require.NoError(t, err)
			_, err = zf.Write(bytes.Repeat([]byte("A"), 1<<20))
			require.NoError(t, err)
			require.NoError(t, zw.Close())
			r = e.upload(base+"/attachments", tok[tenant.RoleAgent], part{"file", "logs.zip", zbuf.Bytes()})
			require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
			r.JSON(t, &up)
			require.Equal(t, "application/zip", up.Items[0].ContentType)
			r = dl(up.Items[0].DownloadURL, tok[tenant.RoleAgent])
			require.Equal(t, zbuf.Bytes(), r.Body)

			// Soft delete: the requester deletes its own upload, then it is gone.
			r = e.do("DELETE", "/api/helpdesk/attachments/"+strconv.FormatInt(photo.ID, 10), nil, "Authorization", tok[tenant.RoleRequester])
			require.Equal(t, http.StatusForbidden, r.Status, "not its upload")
			r = e.do("DELETE", "/api/helpdesk/attachments/"+strconv.FormatInt(reply.Attachments[0].ID, 10), nil, "Authorization", tok[tenant.RoleRequester])
			require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
			r = dl(reply.Attachments[0].DownloadURL, tok[tenant.RoleAgent])
			require.Equal(t, http.StatusNotFound, r.Status)
			require.Equal(t, []string{"passwd.png", "nota fiscal.pdf", "logs.zip"}, list(tok[tenant.RoleAgent]))

			// Service orders and assets take files too.
			so, err := e.desk.ServiceOrders.Create(ctx, admin, serviceorders.CreateInput{TicketID: tk.ID, Description: "Troca do fusor"})
			require.NoError(t, err)
			r = e.upload("/api/helpdesk/service-orders/"+strconv.FormatInt(so.ID, 10)+"/attachments", tok[tenant.RoleAgent],
				part{"file", "assinatura.png", pngFile(500)})
			require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
			r = e.do("GET", "/api/helpdesk/service-orders/"+strconv.FormatInt(so.ID, 10)+"/attachments", nil, "Authorization", tok[tenant.RoleViewer])
			require.Equal(t, http.StatusOK, r.Status)
			r.JSON(t, &up)
			require.Len(t, up.Items, 1)
			require.Equal(t, "service_order", up.Items[0].OwnerKind)
		})
	}
}
