package webui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// static holds the console's stylesheets and scripts. The vendored files
// keep their version in their name and their licence beside them:
//
//	static/vendor/htmx-2.0.11.min.js    htmx 2.0.11 (npm htmx.org), BSD Zero-Clause licence
//	static/vendor/pico-2.1.1.min.css    Pico CSS 2.1.1 (npm @picocss/pico), MIT licence
//
//go:embed static
var staticFS embed.FS

// staticFile is one file served under /static/, with its gzip encoding
// computed once.
type staticFile struct {
	name        string
	contentType string
	body        []byte
	gzipped     []byte
	etag        string
}

// staticFiles serves the files of static/ under content-hashed URLs
// (/static/<hash>/<name>) with year-long immutable caching: a changed file
// gets a new URL.
type staticFiles struct {
	byURL  map[string]*staticFile // "/static/<hash>/<name>"
	byName map[string]string      // "vendor/htmx-2.0.11.min.js" → its URL
}

func newStaticFiles() (*staticFiles, error) {
	s := &staticFiles{byURL: map[string]*staticFile{}, byName: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			return nil // licences and notes are not served
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:6])
		name := strings.TrimPrefix(p, "static/")
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		_, _ = zw.Write(body)
		if err := zw.Close(); err != nil {
			return err
		}
		url := "/static/" + hash + "/" + name
		s.byURL[url] = &staticFile{name: name, contentType: ct, body: body, gzipped: gz.Bytes(), etag: `"` + hash + `"`}
		s.byName[name] = url
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("webui: static files: %w", err)
	}
	return s, nil
}

// url returns the hashed URL of a static file, relative to the console.
// An unknown name is a template bug: it panics, and every page's test
// catches it.
func (s *staticFiles) url(name string) string {
	u, ok := s.byName[name]
	if !ok {
		panic(fmt.Sprintf("webui: no static file %q", name))
	}
	return u
}

// CompressedSize returns the total gzip size of the scripts and
// stylesheets the console ships, for the page-weight budget.
func (s *staticFiles) compressedSize() int {
	n := 0
	for _, f := range s.byURL {
		if strings.HasSuffix(f.name, ".js") || strings.HasSuffix(f.name, ".css") {
			n += len(f.gzipped)
		}
	}
	return n
}

func (c *console) staticRoutes() {
	c.mux.HandleFunc("GET /static/{hash}/{name...}", c.serveStatic)
}

func (c *console) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := c.static.byURL[r.URL.Path]
	if !ok {
		c.renderError(w, r, c.visitor(w, r), http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", f.etag)
	h.Add("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = f.gzipped
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// acceptsGzip reports whether the client takes gzip-encoded responses.
func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.TrimPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if weight, err := strconv.ParseFloat(q, 64); q != "" && err == nil && weight <= 0 {
			return false
		}
		return true
	}
	return false
}
