package httpapi

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"slices"
	"strconv"
	"strings"
)

// openAPIJSON is the OpenAPI 3.1 document of this API, served verbatim at
// GET /openapi.json. It is the contract: the tests validate every request
// they send and every response they get against it, and .ci/lint-openapi
// lints it. Edit it by hand when an endpoint changes.
//
//go:embed openapi.json
var openAPIJSON []byte

// OpenAPI returns a copy of the OpenAPI 3.1 document (JSON) describing the
// API that New serves, for embedders that publish or merge it.
func OpenAPI() []byte { return bytes.Clone(openAPIJSON) }

// The subset of OpenAPI the reference page renders.
type (
	oaDocument struct {
		Info struct {
			Title       string `json:"title"`
			Version     string `json:"version"`
			Description string `json:"description"`
		} `json:"info"`
		Tags []struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"tags"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas         map[string]*oaSchema   `json:"schemas"`
			Parameters      map[string]oaParameter `json:"parameters"`
			Responses       map[string]oaResponse  `json:"responses"`
			Headers         map[string]oaHeader    `json:"headers"`
			SecuritySchemes map[string]struct {
				Scheme       string `json:"scheme"`
				BearerFormat string `json:"bearerFormat"`
				Description  string `json:"description"`
			} `json:"securitySchemes"`
		} `json:"components"`
	}
	oaOperation struct {
		OperationID string                 `json:"operationId"`
		Summary     string                 `json:"summary"`
		Description string                 `json:"description"`
		Tags        []string               `json:"tags"`
		Parameters  []oaParameter          `json:"parameters"`
		RequestBody *oaRequestBody         `json:"requestBody"`
		Responses   map[string]oaResponse  `json:"responses"`
		Security    *[]map[string][]string `json:"security"`
	}
	oaParameter struct {
		Ref         string    `json:"$ref"`
		Name        string    `json:"name"`
		In          string    `json:"in"`
		Description string    `json:"description"`
		Required    bool      `json:"required"`
		Schema      *oaSchema `json:"schema"`
	}
	oaRequestBody struct {
		Required bool               `json:"required"`
		Content  map[string]oaMedia `json:"content"`
	}
	oaResponse struct {
		Ref         string              `json:"$ref"`
		Description string              `json:"description"`
		Headers     map[string]oaHeader `json:"headers"`
		Content     map[string]oaMedia  `json:"content"`
	}
	oaHeader struct {
		Ref         string    `json:"$ref"`
		Description string    `json:"description"`
		Required    bool      `json:"required"`
		Schema      *oaSchema `json:"schema"`
	}
	oaMedia struct {
		Schema *oaSchema `json:"schema"`
	}
	oaSchema struct {
		Ref                  string               `json:"$ref"`
		Type                 json.RawMessage      `json:"type"`
		Format               string               `json:"format"`
		Description          string               `json:"description"`
		Enum                 []any                `json:"enum"`
		Const                any                  `json:"const"`
		Properties           map[string]*oaSchema `json:"properties"`
		Required             []string             `json:"required"`
		Items                *oaSchema            `json:"items"`
		AdditionalProperties json.RawMessage      `json:"additionalProperties"`
		Minimum              *float64             `json:"minimum"`
		Maximum              *float64             `json:"maximum"`
		MinLength            *int                 `json:"minLength"`
		MaxLength            *int                 `json:"maxLength"`
		Default              any                  `json:"default"`
		WriteOnly            bool                 `json:"writeOnly"`
	}
)

// The view the reference page template renders.
type (
	docsPage struct {
		Title, Version, Description string
		Security                    []docsSecurity
		Groups                      []docsGroup
		Schemas                     []docsSchema
		Style                       template.CSS
	}
	docsSecurity struct{ Name, Format, Description string }
	docsGroup    struct {
		Tag, Description string
		Ops              []docsOperation
	}
	docsOperation struct {
		ID, Method, Path, Summary, Description, Auth string
		Params                                       []docsParam
		Bodies                                       []docsMedia
		Responses                                    []docsResponse
	}
	docsParam struct {
		Name, In, Description string
		Required              bool
		Type                  template.HTML
	}
	docsMedia struct {
		ContentType string
		Schema      template.HTML
	}
	docsResponse struct {
		Status, Description string
		Media               []docsMedia
		Headers             []docsParam
	}
	docsSchema struct {
		Name, Description string
		Type              template.HTML
		Props             []docsParam
	}
)

// httpMethods are the path item keys that are operations, in display order.
var httpMethods = []string{"get", "post", "put", "patch", "delete"}

// renderDocs renders the reference page of the embedded document and the
// Content-Security-Policy that lets its one inline style block apply.
func renderDocs() (page []byte, csp string, err error) {
	var doc oaDocument
	if err := json.Unmarshal(openAPIJSON, &doc); err != nil {
		return nil, "", fmt.Errorf("httpapi: parsing the embedded OpenAPI document: %w", err)
	}
	view := docsPage{Title: doc.Info.Title, Version: doc.Info.Version, Description: doc.Info.Description, Style: template.CSS(docsStyle)}
	for _, name := range sortedKeys(doc.Components.SecuritySchemes) {
		s := doc.Components.SecuritySchemes[name]
		view.Security = append(view.Security, docsSecurity{Name: name, Format: strings.TrimSpace(s.Scheme + " " + s.BearerFormat), Description: s.Description})
	}
	group := map[string]int{} // tag → index in view.Groups
	for _, t := range doc.Tags {
		group[t.Name] = len(view.Groups)
		view.Groups = append(view.Groups, docsGroup{Tag: t.Name, Description: t.Description})
	}
	for _, path := range sortedKeys(doc.Paths) {
		item := doc.Paths[path]
		var shared []oaParameter
		if raw, ok := item["parameters"]; ok {
			if err := json.Unmarshal(raw, &shared); err != nil {
				return nil, "", fmt.Errorf("httpapi: OpenAPI %s parameters: %w", path, err)
			}
		}
		for _, method := range httpMethods {
			raw, ok := item[method]
			if !ok {
				continue
			}
			var op oaOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				return nil, "", fmt.Errorf("httpapi: OpenAPI %s %s: %w", method, path, err)
			}
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			i, ok := group[tag]
			if !ok {
				i = len(view.Groups)
				group[tag] = i
				view.Groups = append(view.Groups, docsGroup{Tag: tag})
			}
			view.Groups[i].Ops = append(view.Groups[i].Ops, doc.operationView(strings.ToUpper(method), path, op, shared))
		}
	}
	for _, name := range sortedKeys(doc.Components.Schemas) {
		s := doc.Components.Schemas[name]
		sv := docsSchema{Name: name, Description: s.Description, Type: schemaLabel(s)}
		sv.Props = propsOf(s)
		view.Schemas = append(view.Schemas, sv)
	}
	var buf bytes.Buffer
	if err := docsTemplate.Execute(&buf, view); err != nil {
		return nil, "", fmt.Errorf("httpapi: rendering the API reference: %w", err)
	}
	sum := sha256.Sum256([]byte(docsStyle))
	csp = "default-src 'self'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
	return buf.Bytes(), csp, nil
}

func (doc *oaDocument) operationView(method, path string, op oaOperation, shared []oaParameter) docsOperation {
	v := docsOperation{ID: op.OperationID, Method: method, Path: path, Summary: op.Summary, Description: op.Description, Auth: "none"}
	if op.Security == nil || len(*op.Security) > 0 {
		var names []string
		if op.Security != nil {
			for _, req := range *op.Security {
				names = append(names, sortedKeys(req)...)
			}
		}
		v.Auth = strings.Join(names, " or ")
		if v.Auth == "" {
			v.Auth = "none"
		}
	}
	for _, p := range append(slices.Clone(shared), op.Parameters...) {
		p = doc.parameter(p)
		v.Params = append(v.Params, docsParam{Name: p.Name, In: p.In, Description: p.Description, Required: p.Required, Type: schemaLabel(p.Schema)})
	}
	if op.RequestBody != nil {
		for _, ct := range sortedKeys(op.RequestBody.Content) {
			v.Bodies = append(v.Bodies, docsMedia{ContentType: ct, Schema: schemaLabel(op.RequestBody.Content[ct].Schema)})
		}
	}
	for _, status := range sortedKeys(op.Responses) {
		r := doc.response(op.Responses[status])
		rv := docsResponse{Status: status, Description: r.Description}
		for _, ct := range sortedKeys(r.Content) {
			rv.Media = append(rv.Media, docsMedia{ContentType: ct, Schema: schemaLabel(r.Content[ct].Schema)})
		}
		for _, name := range sortedKeys(r.Headers) {
			h := doc.header(r.Headers[name])
			rv.Headers = append(rv.Headers, docsParam{Name: name, Description: h.Description, Required: h.Required, Type: schemaLabel(h.Schema)})
		}
		v.Responses = append(v.Responses, rv)
	}
	return v
}

func refName(ref string) string { return ref[strings.LastIndexByte(ref, '/')+1:] }

func (doc *oaDocument) parameter(p oaParameter) oaParameter {
	if p.Ref != "" {
		return doc.Components.Parameters[refName(p.Ref)]
	}
	return p
}

func (doc *oaDocument) response(r oaResponse) oaResponse {
	if r.Ref != "" {
		return doc.Components.Responses[refName(r.Ref)]
	}
	return r
}

func (doc *oaDocument) header(h oaHeader) oaHeader {
	if h.Ref != "" {
		return doc.Components.Headers[refName(h.Ref)]
	}
	return h
}

// schemaLabel describes a schema in one line of HTML: a link for a
// reference, "array of …", or the type with its format and constraints.
func schemaLabel(s *oaSchema) template.HTML {
	if s == nil {
		return "any"
	}
	if s.Ref != "" {
		name := html.EscapeString(refName(s.Ref))
		return template.HTML(`<a href="#schema-` + name + `">` + name + `</a>`)
	}
	var types []string
	if len(s.Type) > 0 && s.Type[0] == '[' {
		_ = json.Unmarshal(s.Type, &types)
	} else if len(s.Type) > 0 {
		var t string
		_ = json.Unmarshal(s.Type, &t)
		types = []string{t}
	}
	label := html.EscapeString(strings.Join(types, " | "))
	if label == "" {
		label = "any"
	}
	if slices.Contains(types, "array") {
		label = "array of " + string(schemaLabel(s.Items))
	}
	var notes []string
	if s.Format != "" {
		notes = append(notes, s.Format)
	}
	if s.Const != nil {
		notes = append(notes, "always "+jsonText(s.Const))
	}
	if len(s.Enum) > 0 {
		vals := make([]string, len(s.Enum))
		for i, e := range s.Enum {
			vals[i] = jsonText(e)
		}
		notes = append(notes, "one of "+strings.Join(vals, ", "))
	}
	if s.Minimum != nil || s.Maximum != nil {
		notes = append(notes, rangeText(s.Minimum, s.Maximum))
	}
	if s.MinLength != nil || s.MaxLength != nil {
		var lo, hi *float64
		if s.MinLength != nil {
			f := float64(*s.MinLength)
			lo = &f
		}
		if s.MaxLength != nil {
			f := float64(*s.MaxLength)
			hi = &f
		}
		notes = append(notes, "length "+rangeText(lo, hi))
	}
	if s.Default != nil {
		notes = append(notes, "default "+jsonText(s.Default))
	}
	if s.WriteOnly {
		notes = append(notes, "write-only")
	}
	if string(s.AdditionalProperties) == "false" {
		notes = append(notes, "no other fields")
	}
	if len(notes) > 0 {
		label += " <small>(" + html.EscapeString(strings.Join(notes, "; ")) + ")</small>"
	}
	return template.HTML(label)
}

func propsOf(s *oaSchema) []docsParam {
	var out []docsParam
	for _, name := range sortedKeys(s.Properties) {
		p := s.Properties[name]
		out = append(out, docsParam{Name: name, Description: p.Description, Required: slices.Contains(s.Required, name), Type: schemaLabel(p)})
	}
	return out
}

func rangeText(lo, hi *float64) string {
	f := func(v *float64) string { return strconv.FormatFloat(*v, 'f', -1, 64) }
	switch {
	case lo != nil && hi != nil:
		return f(lo) + " to " + f(hi)
	case lo != nil:
		return "at least " + f(lo)
	default:
		return "at most " + f(hi)
	}
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func sortedKeys[M ~map[K]V, K cmp.Ordered, V any](m M) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// docsStyle is the page's only style sheet, allowed by its hash in the
// page's Content-Security-Policy; the page loads nothing else.
const docsStyle = `
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 2rem;color:#1d2330}
h1{margin-bottom:0}h2{border-bottom:2px solid #dde;padding-top:1rem}
code,.path{font-family:ui-monospace,monospace}
details.op{border:1px solid #dde;border-radius:6px;margin:.5rem 0;padding:.4rem .8rem}
summary{cursor:pointer}.m{display:inline-block;min-width:4.5rem;font-weight:700}
.get{color:#17663a}.post{color:#1a4fa0}.put{color:#8a5a00}.delete{color:#a31d1d}.patch{color:#6b3fa0}
table{border-collapse:collapse;width:100%;margin:.3rem 0 .8rem}
th,td{border-bottom:1px solid #eef;text-align:left;padding:.25rem .5rem;vertical-align:top}
small{color:#556}.req{color:#a31d1d}
nav a{margin-right:1rem}
`

var docsTemplate = template.Must(template.New("docs").Funcs(template.FuncMap{"lower": strings.ToLower}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} {{.Version}}</title>
<style>{{.Style}}</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p><small>version {{.Version}} · <a href="openapi.json">openapi.json</a></small></p>
<p>{{.Description}}</p>
<nav>{{range .Groups}}<a href="#tag-{{.Tag}}">{{.Tag}}</a>{{end}}<a href="#schemas">schemas</a></nav>
<h2 id="security">Authentication</h2>
<table><tr><th>scheme</th><th>format</th><th>description</th></tr>
{{range .Security}}<tr><td><code>{{.Name}}</code></td><td>{{.Format}}</td><td>{{.Description}}</td></tr>
{{end}}</table>
{{range .Groups}}
<h2 id="tag-{{.Tag}}">{{.Tag}}</h2>
<p>{{.Description}}</p>
{{range .Ops}}
<details class="op" id="op-{{.ID}}">
<summary><span class="m {{.Method | lower}}">{{.Method}}</span> <span class="path">{{.Path}}</span> — {{.Summary}}</summary>
<p>{{.Description}}</p>
<p><small>operationId <code>{{.ID}}</code> · authentication: {{.Auth}}</small></p>
{{if .Params}}<h4>Parameters</h4>
<table><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr>
{{range .Params}}<tr><td><code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{.In}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>
{{end}}</table>{{end}}
{{if .Bodies}}<h4>Request body</h4>
<table><tr><th>content type</th><th>schema</th></tr>
{{range .Bodies}}<tr><td><code>{{.ContentType}}</code></td><td>{{.Schema}}</td></tr>
{{end}}</table>{{end}}
<h4>Responses</h4>
<table><tr><th>status</th><th>description</th><th>body</th><th>headers</th></tr>
{{range .Responses}}<tr><td><b>{{.Status}}</b></td><td>{{.Description}}</td>
<td>{{range .Media}}<code>{{.ContentType}}</code>: {{.Schema}}<br>{{end}}</td>
<td>{{range .Headers}}<code>{{.Name}}</code>{{if .Required}} <span class="req">always</span>{{end}}<br>{{end}}</td></tr>
{{end}}</table>
</details>
{{end}}{{end}}
<h2 id="schemas">Schemas</h2>
{{range .Schemas}}
<h3 id="schema-{{.Name}}">{{.Name}}</h3>
<p>{{.Type}} {{.Description}}</p>
{{if .Props}}<table><tr><th>field</th><th>type</th><th>description</th></tr>
{{range .Props}}<tr><td><code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>
{{end}}</table>{{end}}
{{end}}
</body>
</html>
`))
