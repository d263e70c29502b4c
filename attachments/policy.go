package attachments

import (
	"bytes"
	"path"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// Default limits.
const (
	// DefaultMaxFileBytes is the per-file limit (25 MiB).
	DefaultMaxFileBytes int64 = 25 << 20
	// DefaultQuotaBytes is the per-company quota of live files (5 GiB).
	DefaultQuotaBytes int64 = 5 << 30
)

// sniffBytes is how much of a file's start content sniffing reads.
const sniffBytes = 3072

// Policy is what files a desk accepts.
type Policy struct {
	// MaxFileBytes is the largest file accepted (DefaultMaxFileBytes when
	// zero).
	MaxFileBytes int64
	// QuotaBytes is what a company's live files may add up to
	// (DefaultQuotaBytes when zero; negative for no quota).
	QuotaBytes int64
	// AllowedTypes, when not empty, lists the content types accepted, as
	// sniffed: an exact type ("application/pdf") or a family ("image/*").
	AllowedTypes []string
	// AllowExecutables accepts programs and scripts, which are refused by
	// default: PE (.exe, .dll), ELF, Mach-O, MSI, scripts starting with
	// "#!", and names ending in .exe, .bat, .cmd, .com, .ps1, .sh, .msi,
	// .scr, .vbs, .js, .jar.
	AllowExecutables bool
}

func (p Policy) maxFile() int64 {
	if p.MaxFileBytes <= 0 {
		return DefaultMaxFileBytes
	}
	return p.MaxFileBytes
}

func (p Policy) quota() int64 {
	if p.QuotaBytes == 0 {
		return DefaultQuotaBytes
	}
	return p.QuotaBytes
}

// executableTypes are the sniffed types of programs.
var executableTypes = []string{
	"application/vnd.microsoft.portable-executable",
	"application/x-msdownload",
	"application/x-dosexec",
	"application/x-elf",
	"application/x-executable",
	"application/x-sharedlib",
	"application/x-mach-binary",
	"application/x-ms-installer",
	"application/x-msi",
	"application/x-ole-storage-msi",
	"text/x-shellscript",
	"application/x-shellscript",
	"application/java-archive",
	"application/x-java-archive",
}

// executableExts are names refused whatever their contents.
var executableExts = []string{".exe", ".bat", ".cmd", ".com", ".ps1", ".sh", ".msi", ".scr", ".vbs", ".js", ".jar",
	".dll", ".app", ".bin", ".run"}

// Executable reports whether a file named name that starts with head is a
// program or a script, by its sniffed type, a "#!" line, or its name.
func Executable(name string, head []byte) bool {
	if bytes.HasPrefix(head, []byte("#!")) {
		return true
	}
	if ext := strings.ToLower(path.Ext(name)); ext != "" {
		for _, e := range executableExts {
			if ext == e {
				return true
			}
		}
	}
	for m := mimetype.Detect(head); m != nil; m = m.Parent() {
		for _, t := range executableTypes {
			if m.Is(t) {
				return true
			}
		}
	}
	return false
}

// allowed reports whether the sniffed type is accepted by the policy.
func (p Policy) allowed(contentType string) bool {
	if len(p.AllowedTypes) == 0 {
		return true
	}
	base, _, _ := strings.Cut(contentType, ";")
	base = strings.TrimSpace(base)
	for _, t := range p.AllowedTypes {
		if fam, ok := strings.CutSuffix(t, "/*"); ok {
			if strings.HasPrefix(base, fam+"/") {
				return true
			}
		} else if strings.EqualFold(base, t) {
			return true
		}
	}
	return false
}
