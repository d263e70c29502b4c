package httpapi

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

// Request bodies follow I-JSON (RFC 7493) and the exact-name matching of
// encoding/json/v2: encoding/json (v1) alone replaces invalid UTF-8 and
// lone surrogates with U+FFFD, keeps the last of duplicate keys and
// matches keys to fields case-insensitively, so a proxy or a firewall that
// reads the same body differently could be bypassed. strictCheck walks
// the syntactically valid body once, beside the Go type it decodes into,
// before encoding/json decodes it:
//
//   - invalid UTF-8, a lone surrogate escape (\ud800), a duplicate key in
//     an object, and a key that names a field in another case ("Title" for
//     "title") are 400 malformed-json, with the byte offset;
//   - a key that names no field is 422 validation, "unknown field";
//   - a control character in a string (NUL, ESC, DEL, C1; tab, line feed
//     and carriage return excepted) is 422 validation naming the field.

// strictChecker is the state of one strictCheck walk.
type strictChecker struct {
	raw  []byte
	pos  int
	base int64 // offset of raw in the body
	// fields collects the 422 problems (unknown fields, control
	// characters); the first 400 problem stops the walk instead.
	fields validation.Builder
	// stack is the path to the value being walked.
	stack []pathSeg
	// structs caches the fields of the struct types met in this walk.
	structs []structFields
}

// structFields are the JSON fields of one struct type.
type structFields struct {
	t      reflect.Type
	fields []jsonField
}

// jsonField is one field a struct decodes: its exact JSON name and type.
type jsonField struct {
	name string
	t    reflect.Type
}

// pathSeg is one step of the path to the value being walked: an object
// key, or an array index when key is nil.
type pathSeg struct {
	key   []byte
	index int
}

// path renders the path to the value being walked ("sub.items[2]"), only
// when a problem names it.
func (c *strictChecker) path() string {
	var b strings.Builder
	for _, q := range c.stack {
		if q.key == nil {
			fmt.Fprintf(&b, "[%d]", q.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.Write(q.key)
	}
	return b.String()
}

// strictCheck checks raw, one syntactically valid JSON value that starts
// at offset base of the body, against t, the type it will decode into
// (nil for any). It returns a *DecodeError (400), a *validation.Error
// (422) or nil.
func strictCheck(raw []byte, base int64, t reflect.Type) error {
	c := &strictChecker{raw: raw, base: base}
	if err := c.value(t); err != nil {
		return err
	}
	return c.fields.Err()
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// shape resolves t to the type whose JSON shape the walk can follow:
// pointers are followed, and a type that decodes itself (time.Time,
// json.RawMessage, an enum with UnmarshalText) or an interface is nil,
// walked without a shape.
func shape(t reflect.Type) reflect.Type {
	for t != nil {
		if t.Kind() == reflect.Interface {
			return nil
		}
		if t.PkgPath() == "" && t.Kind() != reflect.Pointer {
			return t // a predeclared or unnamed type: no methods
		}
		if t.Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
			return nil
		}
		if t.Kind() != reflect.Pointer {
			if t.Kind() == reflect.Struct && (t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType)) {
				return nil
			}
			return t
		}
		t = t.Elem()
	}
	return nil
}

func (c *strictChecker) skipSpace() {
	for c.pos < len(c.raw) {
		switch c.raw[c.pos] {
		case ' ', '\t', '\r', '\n':
			c.pos++
		default:
			return
		}
	}
}

func (c *strictChecker) fail(at int, field, format string, args ...any) *DecodeError {
	return &DecodeError{Offset: c.base + int64(at), Field: field, Msg: fmt.Sprintf(format, args...)}
}

// value walks one value at c.pos with the expected type t.
func (c *strictChecker) value(t reflect.Type) error {
	c.skipSpace()
	if c.pos >= len(c.raw) {
		return nil // unreachable: raw is valid JSON
	}
	t = shape(t)
	switch c.raw[c.pos] {
	case '{':
		return c.object(t)
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		c.pos++
		for i := 0; ; i++ {
			c.skipSpace()
			if c.raw[c.pos] == ']' {
				c.pos++
				return nil
			}
			if c.raw[c.pos] == ',' {
				c.pos++
			}
			c.stack = append(c.stack, pathSeg{index: i})
			if err := c.value(elem); err != nil {
				return err
			}
			c.stack = c.stack[:len(c.stack)-1]
		}
	case '"':
		_, ctl, err := c.str(false)
		if err != nil {
			return err
		}
		if ctl >= 0 {
			c.controlChar(rune(ctl))
		}
		return nil
	default: // number, true, false, null
		for c.pos < len(c.raw) && strings.IndexByte(",]} \t\r\n", c.raw[c.pos]) < 0 {
			c.pos++
		}
		return nil
	}
}

// controlChar records a control character in the string value at path.
func (c *strictChecker) controlChar(r rune) {
	field := c.path()
	if field == "" {
		field = "body"
	}
	if r == 0 {
		c.fields.Add(field, "must not contain a NUL byte")
		return
	}
	c.fields.Add(field, "must not contain control characters (found U+%04X)", r)
}

// object walks an object at c.pos. For a struct type every key must name
// one of its fields exactly; for a map any key is accepted.
func (c *strictChecker) object(t reflect.Type) error {
	var (
		fields []jsonField
		elem   reflect.Type
		isMap  bool
	)
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields = c.fieldsOf(t)
		case reflect.Map:
			isMap, elem = true, t.Elem()
		}
	}
	var seen keySet
	c.pos++ // {
	for {
		c.skipSpace()
		switch c.raw[c.pos] {
		case '}':
			c.pos++
			return nil
		case ',':
			c.pos++
			c.skipSpace()
		}
		keyAt := c.pos
		key, ctl, err := c.str(true)
		if err != nil {
			return err
		}
		c.stack = append(c.stack, pathSeg{key: key})
		if !seen.add(key) {
			return c.fail(keyAt, c.path(), "duplicate key %q: send each key once (I-JSON, RFC 7493)", key)
		}
		c.skipSpace()
		c.pos++ // :
		var vt reflect.Type
		switch {
		case fields != nil:
			ft, name, found := lookupField(fields, key)
			switch {
			case found && name == "":
				vt = ft
			case found:
				return c.fail(keyAt, c.path(), "key %q must be spelled %q: keys are case-sensitive", key, name)
			default:
				c.fields.Add(c.path(), "unknown field")
			}
		case isMap:
			if ctl >= 0 {
				c.controlChar(rune(ctl))
			}
			vt = elem
		default:
			if ctl >= 0 {
				c.controlChar(rune(ctl))
			}
		}
		if err := c.value(vt); err != nil {
			return err
		}
		c.stack = c.stack[:len(c.stack)-1]
	}
}

// keySet is the set of keys of one object: an array while small, a map
// beyond.
type keySet struct {
	n    int
	few  [16][]byte
	many map[string]struct{}
}

// add adds key and reports whether it was new.
func (k *keySet) add(key []byte) bool {
	if k.many != nil {
		if _, dup := k.many[string(key)]; dup {
			return false
		}
		k.many[string(key)] = struct{}{}
		return true
	}
	for _, s := range k.few[:k.n] {
		if bytes.Equal(s, key) {
			return false
		}
	}
	if k.n < len(k.few) {
		k.few[k.n] = key
		k.n++
		return true
	}
	k.many = make(map[string]struct{}, 2*len(k.few))
	for _, s := range k.few {
		k.many[string(s)] = struct{}{}
	}
	k.many[string(key)] = struct{}{}
	return true
}

// lookupField finds the field key names. found with an empty name is an
// exact match; found with a name is a match in another case only, name
// being the field's spelling.
func lookupField(fields []jsonField, key []byte) (t reflect.Type, name string, found bool) {
	for _, f := range fields {
		if f.name == string(key) {
			return f.t, "", true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, string(key)) {
			return nil, f.name, true
		}
	}
	return nil, "", false
}

// fieldsOf lists the JSON names of the fields of struct type t, as
// encoding/json sees them: the tag's name or the Go name, "-" skipped,
// untagged embedded structs promoted.
func (c *strictChecker) fieldsOf(t reflect.Type) []jsonField {
	for _, sf := range c.structs {
		if sf.t == t {
			return sf.fields
		}
	}
	out := addFields(t, make([]jsonField, 0, t.NumField()), 0)
	c.structs = append(c.structs, structFields{t: t, fields: out})
	return out
}

// addFields appends the fields of t; a shallower field hides a deeper one
// of the same name, as in encoding/json.
func addFields(t reflect.Type, out []jsonField, depth int) []jsonField {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && depth < 8 {
				out = addFields(ft, out, depth+1)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, t: f.Type})
	}
	return out
}

// str reads the string at c.pos (its opening quote) and returns its
// value (when want is set), the first control character it holds (-1 for none; tab, line
// feed and carriage return are not counted), or a *DecodeError for invalid
// UTF-8 or a lone surrogate.
func (c *strictChecker) str(want bool) ([]byte, int, error) {
	start := c.pos
	c.pos++ // opening quote
	ctl := -1
	escaped := false
	for {
		b := c.raw[c.pos]
		switch {
		case b == '"':
			c.pos++
			switch {
			case !want:
				return nil, ctl, nil
			case !escaped:
				return c.raw[start+1 : c.pos-1], ctl, nil
			}
			var s string
			if err := json.Unmarshal(c.raw[start:c.pos], &s); err != nil {
				return nil, ctl, c.fail(start, c.path(), "invalid string: %v", err)
			}
			return []byte(s), ctl, nil
		case b == '\\':
			escaped = true
			at := c.pos
			esc := c.raw[c.pos+1]
			c.pos += 2
			switch esc {
			case 'b':
				if ctl < 0 {
					ctl = '\b'
				}
			case 'f':
				if ctl < 0 {
					ctl = '\f'
				}
			case 'u':
				r := hex4(c.raw[c.pos : c.pos+4])
				c.pos += 4
				switch {
				case r >= 0xdc00 && r <= 0xdfff:
					return nil, ctl, c.fail(at, c.path(), "lone surrogate escape \\u%04x in a string: send valid Unicode (I-JSON, RFC 7493)", r)
				case r >= 0xd800 && r <= 0xdbff:
					if c.pos+6 > len(c.raw) || c.raw[c.pos] != '\\' || c.raw[c.pos+1] != 'u' {
						return nil, ctl, c.fail(at, c.path(), "lone surrogate escape \\u%04x in a string: send valid Unicode (I-JSON, RFC 7493)", r)
					}
					lo := hex4(c.raw[c.pos+2 : c.pos+6])
					if lo < 0xdc00 || lo > 0xdfff {
						return nil, ctl, c.fail(at, c.path(), "lone surrogate escape \\u%04x in a string: send valid Unicode (I-JSON, RFC 7493)", r)
					}
					c.pos += 6
				case r < 0x20 || (r >= 0x7f && r <= 0x9f):
					if ctl < 0 && r != '\t' && r != '\n' && r != '\r' {
						ctl = r
					}
				}
			}
		case b < utf8.RuneSelf:
			if b == 0x7f && ctl < 0 {
				ctl = 0x7f
			}
			c.pos++
		default:
			r, size := utf8.DecodeRune(c.raw[c.pos:])
			if r == utf8.RuneError && size <= 1 {
				return nil, ctl, c.fail(c.pos, c.path(), "invalid UTF-8 in a string: send the body as UTF-8 (I-JSON, RFC 7493)")
			}
			if r >= 0x80 && r <= 0x9f && ctl < 0 {
				ctl = int(r)
			}
			c.pos += size
		}
	}
}

// hex4 decodes four hex digits (valid: the body passed the JSON syntax
// check).
func hex4(b []byte) int {
	n := 0
	for _, c := range b {
		n <<= 4
		switch {
		case c >= '0' && c <= '9':
			n |= int(c - '0')
		case c >= 'a' && c <= 'f':
			n |= int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			n |= int(c-'A') + 10
		}
	}
	return n
}
