package webui

import (
	"bytes"
	"embed"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"reflect"
	"strconv"
	"strings"
)

//go:embed templates
var templateFS embed.FS

// view is what a page's templates receive: the request (texts, dates,
// the person) and the page's own data.
type view struct {
	*request
	// Page is the template's name.
	Page string
	// Status is the response's status code.
	Status int
	// Data is the page's view model.
	Data any
}

// templateFuncs are the few helpers templates need beyond the view's
// methods.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		// dict builds a map from name/value pairs, to pass several values
		// to a partial.
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m, nil
		},
		// options writes a select's options, the one whose value is
		// selected marked so. Selects are on most pages and some list
		// dozens of people: written in Go they cost far less than a range
		// executed by the template engine.
		"options": optionsHTML,
		"str":     func(v any) string { return fmt.Sprint(v) },
		"add":     func(a, b int) int { return a + b },
		"itoa":    func(v int64) string { return strconv.FormatInt(v, 10) },
	}
}

// optionsHTML writes opts as <option> elements, marking the one whose
// value is selected (a string of any named type; nil selects none).
func optionsHTML(opts []option, selected any) (template.HTML, error) {
	var sel string
	if selected != nil {
		v := reflect.ValueOf(selected)
		if v.Kind() != reflect.String {
			return "", fmt.Errorf("options: selected value of type %T, want a string", selected)
		}
		sel = v.String()
	}
	var b strings.Builder
	for _, o := range opts {
		b.WriteString(`<option value="`)
		b.WriteString(html.EscapeString(o.Value))
		if o.Value == sel {
			b.WriteString(`" selected>`)
		} else {
			b.WriteString(`">`)
		}
		b.WriteString(html.EscapeString(o.Label))
		b.WriteString(`</option>`)
	}
	return template.HTML(b.String()), nil
}

// parseTemplates parses one template set per page: the layout and the
// partials, plus templates/pages/<name>.html.
func (c *console) parseTemplates() (map[string]*template.Template, error) {
	base, err := template.New("").Funcs(templateFuncs()).ParseFS(templateFS, "templates/*.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("webui: templates: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("webui: templates: %w", err)
	}
	pages := make(map[string]*template.Template, len(files))
	for _, f := range files {
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("webui: templates: %w", err)
		}
		if t, err = t.ParseFS(templateFS, f); err != nil {
			return nil, fmt.Errorf("webui: templates: %w", err)
		}
		pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return pages, nil
}

// render writes a whole page: the layout around the page's "content".
func (c *console) render(w http.ResponseWriter, q *request, status int, page string, data any) {
	c.execute(w, q, status, page, "layout", data)
}

// renderFragment writes one named template of a page alone, for htmx to
// swap in.
func (c *console) renderFragment(w http.ResponseWriter, q *request, page, name string, data any) {
	c.execute(w, q, http.StatusOK, page, name, data)
}

func (c *console) execute(w http.ResponseWriter, q *request, status int, page, name string, data any) {
	t, ok := c.pages[page]
	if !ok {
		panic(fmt.Sprintf("webui: no page template %q", page))
	}
	buf := c.buffers.Get().(*bytes.Buffer)
	defer c.putBuffer(buf)
	if err := t.ExecuteTemplate(buf, name, view{request: q, Page: page, Status: status, Data: data}); err != nil {
		c.log.ErrorContext(q.Context(), "webui: rendering", "page", page, "template", name, "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Cookie, Accept-Language, HX-Request")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// maxPooledBuffer bounds the render buffers kept for reuse: a page larger
// than that (a long report) does not keep its memory.
const maxPooledBuffer = 256 << 10

// putBuffer returns a render buffer to the pool.
func (c *console) putBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	c.buffers.Put(b)
}

// errorPage is the view model of the error page.
type errorPage struct {
	Status int
	Title  string
	Text   string
}

// renderError writes the friendly error page for status.
func (c *console) renderError(w http.ResponseWriter, r *http.Request, q *request, status int) {
	name := strconv.Itoa(status)
	c.render(w, q, status, "error", errorPage{Status: status, Title: q.T("error." + name + ".title"), Text: q.T("error." + name + ".text")})
}
