package directory

import (
	"errors"
	"strings"
)

// NormalizeCNPJ validates a CNPJ (the Brazilian company registry number) and
// returns its canonical form: 14 characters, upper case, no punctuation.
//
// Both formats are accepted: the numeric one ("11.222.333/0001-81") and the
// alphanumeric one in force since July 2026 ("12.ABC.345/01DE-35"), whose
// first 12 characters may be letters or digits and whose last two are
// numeric check digits. Check digits are computed modulo 11 over the
// character values (ASCII code minus 48) with weights 2 to 9 from the right.
func NormalizeCNPJ(s string) (string, error) {
	var b strings.Builder
	for _, r := range strings.ToUpper(strings.TrimSpace(s)) {
		switch {
		case r == '.' || r == '/' || r == '-' || r == ' ':
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		default:
			return "", errors.New("must contain only letters, digits and the separators . / -")
		}
	}
	c := b.String()
	if len(c) != 14 {
		return "", errors.New("must have 14 characters, as in 11.222.333/0001-81 or 12.ABC.345/01DE-35")
	}
	if c[12] < '0' || c[12] > '9' || c[13] < '0' || c[13] > '9' {
		return "", errors.New("must end in two numeric check digits")
	}
	if strings.Count(c, c[:1]) == len(c) {
		return "", errors.New("is not a valid CNPJ")
	}
	if cnpjDigit(c[:12]) != c[12] || cnpjDigit(c[:13]) != c[13] {
		return "", errors.New("has wrong check digits")
	}
	return c, nil
}

// cnpjDigit computes the check digit for base (12 or 13 characters).
func cnpjDigit(base string) byte {
	sum, weight := 0, 2
	for i := len(base) - 1; i >= 0; i-- {
		sum += int(base[i]-'0') * weight
		weight++
		if weight > 9 {
			weight = 2
		}
	}
	r := sum % 11
	if r < 2 {
		return '0'
	}
	return byte('0' + 11 - r)
}

// FormatCNPJ formats a canonical 14-character CNPJ as "XX.XXX.XXX/XXXX-XX".
// Other input is returned unchanged.
func FormatCNPJ(c string) string {
	if len(c) != 14 {
		return c
	}
	return c[:2] + "." + c[2:5] + "." + c[5:8] + "/" + c[8:12] + "-" + c[12:]
}
