package validation

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrInvalid is the sentinel every *Error matches with errors.Is.
var ErrInvalid = errors.New("invalid input")

// FieldError is one problem with one input field. Field is the snake_case
// name used in the JSON API.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	// Err is the error the message was made from, when there was one (see
	// Builder.Add and Builder.Check): callers that show the message in
	// another language tell its kind with errors.Is and errors.As. It is
	// never encoded.
	Err error `json:"-"`
}

// Error is a validation failure naming every bad field.
type Error struct {
	Fields []FieldError
}

// Error lists every bad field with its message.
func (e *Error) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Has reports whether the error names field.
func (e *Error) Has(field string) bool {
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Field returns an *Error for a single field.
func Field(field, format string, args ...any) *Error {
	return &Error{Fields: []FieldError{{Field: field, Message: fmt.Sprintf(format, args...)}}}
}

// Builder collects field errors. The zero value is ready to use.
type Builder struct {
	fields []FieldError
}

// Add records a problem with field. The first error among args, if any,
// is kept as the field error's Err.
func (b *Builder) Add(field, format string, args ...any) {
	fe := FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
	for _, a := range args {
		if err, ok := a.(error); ok {
			fe.Err = err
			break
		}
	}
	b.fields = append(b.fields, fe)
}

// Check records err (if not nil) against field, using its message and
// keeping err as the field error's Err.
func (b *Builder) Check(field string, err error) {
	if err != nil {
		b.fields = append(b.fields, FieldError{Field: field, Message: err.Error(), Err: err})
	}
}

// Err returns the collected *Error, or nil when nothing was added.
func (b *Builder) Err() error {
	if len(b.fields) == 0 {
		return nil
	}
	return &Error{Fields: b.fields}
}

// Text trims s and checks it holds between min and max characters (runes)
// and no control characters but tab, line feed and carriage return (text
// from a browser's textarea has CRLF line breaks). It returns the trimmed
// text.
func (b *Builder) Text(field, s string, min, max int) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		b.Add(field, "must be valid UTF-8")
	case n < min && min == 1:
		b.Add(field, "is required")
	case n < min:
		b.Add(field, "must have at least %d characters", min)
	case n > max:
		b.Add(field, "must have at most %d characters (has %d)", max, n)
	case strings.IndexByte(s, 0) >= 0:
		b.Add(field, "must not contain a NUL byte")
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
		b.Add(field, "must not contain control characters")
	}
	return s
}

// MaxSearchLength is the longest free-text search (the "q" filter of every
// list) accepted, in characters. A longer one is refused rather than cut: a
// search that long matches nothing useful and only costs the database.
const MaxSearchLength = 200

// MaxFilterLength is the longest exact-match text filter (a category, a
// tag, a location, a serial) accepted, in characters: longer than any value
// the services store (an email address has at most 254).
const MaxFilterLength = 254

// Control returns the first control character of s (C0, DEL or C1, the
// NUL byte included) and true, or false when s has none. allowWhitespace
// lets tab, line feed and carriage return through, for multi-line text.
func Control(s string, allowWhitespace bool) (rune, bool) {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			if allowWhitespace && (r == '\t' || r == '\n' || r == '\r') {
				continue
			}
			return r, true
		}
	}
	return 0, false
}

// PlainText reports whether s is valid UTF-8 without control characters
// (the NUL byte included, tab and line breaks too): what a one-line value
// such as a tag or a serial may hold.
func PlainText(s string) bool {
	return utf8.ValidString(s) && !hasControl(s)
}

// Filter checks a text filter of a list or a lookup (a category, a tag, a
// serial): valid UTF-8, no control characters (a NUL byte could otherwise
// reach a query) and at most MaxFilterLength characters. An empty filter
// is valid: it filters nothing.
func (b *Builder) Filter(field, s string) {
	b.filter(field, s, MaxFilterLength)
}

// Search checks a free-text search as Filter does, with the limit
// MaxSearchLength.
func (b *Builder) Search(field, s string) {
	b.filter(field, s, MaxSearchLength)
}

func (b *Builder) filter(field, s string, limit int) {
	switch {
	case !utf8.ValidString(s):
		b.Add(field, "must be valid UTF-8")
	case strings.IndexByte(s, 0) >= 0:
		b.Add(field, "must not contain a NUL byte")
	case hasControl(s):
		b.Add(field, "must not contain control characters")
	case utf8.RuneCountInString(s) > limit:
		b.Add(field, "must have at most %d characters (has %d)", limit, utf8.RuneCountInString(s))
	}
}

func hasControl(s string) bool {
	_, found := Control(s, false)
	return found
}

// MaxEmailLength is the longest email address accepted (RFC 5321 path limit).
const MaxEmailLength = 254

// Email normalises an email address (trimmed, lower-cased) and checks that it
// is a plain address such as "ana@example.com.br": no display name, one @,
// a domain with a dot.
func Email(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", errors.New("is required")
	}
	if len(s) > MaxEmailLength {
		return "", fmt.Errorf("must have at most %d characters", MaxEmailLength)
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return "", errors.New("must be a valid email address such as ana@example.com")
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.ContainsAny(s, " \"()<>[]\\,;:") {
		return "", errors.New("must be a valid email address such as ana@example.com")
	}
	return s, nil
}

// Phone normalises a phone number to E.164 ("+5511987654321"). It accepts
// the usual punctuation (spaces, dots, dashes, parentheses). A number with
// no country code of 10 or 11 digits is taken as Brazilian (+55), the
// common case for Boladão's users; "00" international prefixes are
// accepted. The result has 8 to 15 digits after the "+".
func Phone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("is required")
	}
	plus := strings.HasPrefix(s, "+")
	if plus {
		s = s[1:]
	}
	var digits strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", fmt.Errorf("must be a phone number in E.164 format such as +5511987654321 (found %q)", r)
		}
	}
	d := digits.String()
	switch {
	case plus:
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	case len(d) == 10 || len(d) == 11:
		d = "55" + d
	default:
		return "", errors.New("must include the country code, as in +5511987654321")
	}
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return "", errors.New("must be a phone number in E.164 format such as +5511987654321")
	}
	return "+" + d, nil
}

// BaseURL reports whether raw is an absolute http or https URL without a
// query or a fragment: the base of an external API.
func BaseURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.RawQuery == "" && u.Fragment == ""
}
