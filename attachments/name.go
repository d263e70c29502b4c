package attachments

import (
	"net/url"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameBytes bounds a sanitized file name.
const MaxNameBytes = 255

// SanitizeName makes a client's file name safe to store and to send back
// in Content-Disposition: it keeps the last element of a path ("/" and "\"
// both separate, so "../../etc/passwd" is "passwd"), drops NUL and other
// control and format characters and invalid UTF-8 (a tab or another
// space becomes a plain space), trims spaces and dots
// at both ends (so "." and ".." disappear), and cuts the result to
// MaxNameBytes keeping the extension. An empty result becomes "file".
func SanitizeName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base("/" + name)
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '\t', r != '\n' && r != '\r' && unicode.IsSpace(r) && !unicode.IsControl(r):
			b.WriteByte(' ')
		case r == utf8.RuneError, r == '/', unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			continue
		default:
			b.WriteRune(r)
		}
	}
	name = strings.Trim(b.String(), " .")
	if len(name) > MaxNameBytes {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		base := name[:MaxNameBytes-len(ext)]
		for !utf8.ValidString(base) {
			base = base[:len(base)-1]
		}
		name = base + ext
	}
	if name == "" {
		return "file"
	}
	return name
}

// ContentDisposition is the Content-Disposition of a download of a file
// named name (RFC 6266): "attachment", an ASCII fallback filename and the
// exact name as filename* in UTF-8 (RFC 8187).
func ContentDisposition(name string) string {
	var fallback strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';':
			fallback.WriteByte('_')
		default:
			fallback.WriteRune(r)
		}
	}
	return `attachment; filename="` + fallback.String() + `"; filename*=UTF-8''` + strings.ReplaceAll(url.PathEscape(name), "'", "%27")
}

// DownloadHeaders are the response headers every download of a carries,
// whichever edge serves it: its sniffed type, always as a download
// (ContentDisposition), never sniffed again or rendered as a page (nosniff
// and a sandboxing CSP), and its SHA-256 as the ETag.
func DownloadHeaders(a Attachment) [][2]string {
	return [][2]string{
		{"Content-Type", a.ContentType},
		{"Content-Disposition", ContentDisposition(a.Name)},
		{"X-Content-Type-Options", "nosniff"},
		{"Content-Security-Policy", "sandbox; default-src 'none'"},
		{"ETag", strconv.Quote(a.SHA256)},
	}
}
