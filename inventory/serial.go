package inventory

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// DefaultSerialPattern renders serials such as "ACME-2026-000042".
const DefaultSerialPattern = "{PREFIX}-{YYYY}-{SEQ:6}"

// MaxSerialAttempts bounds the generator's retries after collisions.
const MaxSerialAttempts = 5

// ErrSerialExhausted is returned (wrapping storage.ErrConflict) when every
// attempt to generate a free serial collided with an existing one.
var ErrSerialExhausted = errors.New("could not generate a free serial: every candidate is taken by an existing serial")

// SerialPattern renders serials. Tokens:
//
//	{PREFIX}  the company's serial prefix (default: the first letters of its name)
//	{YYYY}    the intake year, {YY} its last two digits
//	{CAT}     the category code: its first three letters, upper case
//	{SEQ:n}   the sequence, zero-padded to n digits (1–12); {SEQ} means {SEQ:6}
//
// Everything else is copied. The pattern must contain exactly one sequence
// token. The sequence runs per rendered prefix: with the default pattern
// the numbering restarts every year.
type SerialPattern string

// serialParts is a parsed pattern: text before and after the sequence.
type serialParts struct {
	before, after string
	width         int
}

func (p SerialPattern) parse() (serialParts, error) {
	s := string(p)
	if strings.Count(s, "{SEQ") != 1 {
		return serialParts{}, errors.New("must contain exactly one sequence token, {SEQ} or {SEQ:n}")
	}
	i := strings.Index(s, "{SEQ")
	j := strings.IndexByte(s[i:], '}')
	if j < 0 {
		return serialParts{}, errors.New("has an unterminated {SEQ token")
	}
	tok := s[i+1 : i+j]
	width := 6
	if rest, ok := strings.CutPrefix(tok, "SEQ:"); ok {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > 12 {
			return serialParts{}, errors.New("{SEQ:n} needs a width n from 1 to 12")
		}
		width = n
	} else if tok != "SEQ" {
		return serialParts{}, fmt.Errorf("has an unknown token {%s}", tok)
	}
	parts := serialParts{before: s[:i], after: s[i+j+1:], width: width}
	for _, part := range []string{parts.before, parts.after} {
		for rest := part; ; {
			k := strings.IndexByte(rest, '{')
			if k < 0 {
				break
			}
			end := strings.IndexByte(rest[k:], '}')
			if end < 0 {
				return serialParts{}, errors.New("has an unterminated token")
			}
			switch rest[k : k+end+1] {
			case "{PREFIX}", "{YYYY}", "{YY}", "{CAT}":
			default:
				return serialParts{}, fmt.Errorf("has an unknown token %s", rest[k:k+end+1])
			}
			rest = rest[k+end+1:]
		}
	}
	if len(s) > 64 {
		return serialParts{}, errors.New("must have at most 64 characters")
	}
	return parts, nil
}

// Validate reports whether the pattern can render serials.
func (p SerialPattern) Validate() error {
	_, err := p.parse()
	return err
}

// serialScope is everything a pattern renders except the sequence: the key
// of the sequence counter, and the text around the number.
type serialScope struct {
	before, after string
	width         int
}

// key names the sequence counter of this scope.
func (s serialScope) key() string { return s.before + "#" + s.after }

// format renders the serial for sequence number n.
func (s serialScope) format(n int64) string {
	return s.before + fmt.Sprintf("%0*d", s.width, n) + s.after
}

// scope renders the pattern's fixed parts for one intake.
func (p SerialPattern) scope(prefix, category string, at time.Time) (serialScope, error) {
	parts, err := p.parse()
	if err != nil {
		return serialScope{}, err
	}
	r := strings.NewReplacer("{PREFIX}", prefix, "{YYYY}", at.Format("2006"), "{YY}", at.Format("06"),
		"{CAT}", CategoryCode(category))
	return serialScope{before: r.Replace(parts.before), after: r.Replace(parts.after), width: parts.width}, nil
}

// CategoryCode is the {CAT} token of a category: its first three letters or
// digits, upper case ("Notebook" → "NOT"), "GEN" when it has none.
func CategoryCode(category string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(foldAccents(category)) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			if b.Len() == 3 {
				break
			}
		}
	}
	if b.Len() == 0 {
		return "GEN"
	}
	return b.String()
}

// DefaultPrefix derives a company's serial prefix from its name: up to four
// letters or digits of the first word, upper case ("Acme Informática" →
// "ACME"), "CO" followed by the company ID when the name has none.
func DefaultPrefix(companyName string, companyID int64) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(foldAccents(companyName)) {
		if unicode.IsSpace(r) && b.Len() > 0 {
			break
		}
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			if b.Len() == 4 {
				break
			}
		}
	}
	if b.Len() == 0 {
		return "CO" + strconv.FormatInt(companyID, 10)
	}
	return b.String()
}

// foldAccents maps the accented letters of Portuguese to plain ones.
func foldAccents(s string) string {
	return strings.NewReplacer("Á", "A", "À", "A", "Â", "A", "Ã", "A", "Ä", "A", "É", "E", "Ê", "E", "Í", "I",
		"Ó", "O", "Ô", "O", "Õ", "O", "Ú", "U", "Ü", "U", "Ç", "C",
		"á", "a", "à", "a", "â", "a", "ã", "a", "ä", "a", "é", "e", "ê", "e", "í", "i",
		"ó", "o", "ô", "o", "õ", "o", "ú", "u", "ü", "u", "ç", "c").Replace(s)
}

// SerialSettings is a company's serial configuration.
type SerialSettings struct {
	Pattern SerialPattern
	// Prefix fills {PREFIX}; empty means DefaultPrefix of the company name.
	Prefix string
}
