package attachments_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/attachments"
)

func TestSanitizeName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"relatório.pdf", "relatório.pdf"},
		{"../../etc/passwd", "passwd"},
		{`..\..\windows\system32\cmd.exe`, "cmd.exe"},
		{"/abs/path/x.png", "x.png"},
		{"a\x00b.png", "ab.png"},
		{"line\nbreak\r.txt", "linebreak.txt"},
		{"tab\there.txt", "tab here.txt"},
		{"rtl\u202egnp.exe", "rtlgnp.exe"},
		{"..", "file"},
		{".", "file"},
		{"", "file"},
		{"  . hidden .  ", "hidden"},
		{"bad\xffutf8.txt", "badutf8.txt"},
		{"dir/", "dir"},
	} {
		require.Equal(t, tc.want, attachments.SanitizeName(tc.in), "%q", tc.in)
	}
	long := attachments.SanitizeName(strings.Repeat("é", 300) + ".jpeg")
	require.LessOrEqual(t, len(long), attachments.MaxNameBytes)
	require.True(t, strings.HasSuffix(long, ".jpeg"))
	require.True(t, utf8.ValidString(long))
}

func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"a.png", "../../x", "a\x00b", "\u202e", strings.Repeat("x", 400)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := attachments.SanitizeName(s)
		require.NotEmpty(t, got)
		require.LessOrEqual(t, len(got), attachments.MaxNameBytes)
		require.True(t, utf8.ValidString(got))
		require.NotContains(t, got, "/")
		require.NotContains(t, got, `\`)
		require.NotEqual(t, "..", got)
		for _, r := range got {
			require.False(t, r < 0x20 || r == 0x7f, "control character in %q", got)
		}
	})
}

func TestExecutable(t *testing.T) {
	t.Parallel()
	elf := append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 64)...)
	pe := append([]byte("MZ\x90\x00"), make([]byte, 128)...)
	macho := append([]byte{0xcf, 0xfa, 0xed, 0xfe}, make([]byte, 64)...)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	for _, tc := range []struct {
		name string
		head []byte
		want bool
	}{
		{"a.png", png, false},
		{"notes.txt", []byte("hello"), false},
		{"report.pdf", []byte("%PDF-1.7\n"), false},
		{"x", elf, true},
		{"invoice.pdf", pe, true},
		{"x", macho, true},
		{"run.txt", []byte("#!/bin/sh\nrm -rf /\n"), true},
		{"setup.EXE", []byte("hello"), true},
		{"a.bat", []byte("echo"), true},
		{"a.cmd", []byte("echo"), true},
		{"a.ps1", []byte("Write-Host"), true},
		{"a.sh", []byte("echo"), true},
		{"a.msi", []byte("x"), true},
	} {
		require.Equal(t, tc.want, attachments.Executable(tc.name, tc.head), tc.name)
	}
}
