package examples_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExamples builds every program under examples/, runs it and compares
// its output with its expected_output.txt.
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob("*/main.go")
	require.NoError(t, err)
	require.NotEmpty(t, dirs, "no example found")
	// go test puts its own GOROOT/bin first on the PATH of the tests.
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is not on PATH")
	for _, mainFile := range dirs {
		dir := filepath.Dir(mainFile)
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			bin := filepath.Join(t.TempDir(), dir)
			build := exec.Command(goBin, "build", "-o", bin, "./"+dir)
			out, err := build.CombinedOutput()
			require.NoError(t, err, "building %s:\n%s", dir, out)

			run := exec.Command(bin)
			run.Dir = t.TempDir()
			got, err := run.CombinedOutput()
			require.NoError(t, err, "running %s:\n%s", dir, got)
			want, err := os.ReadFile(filepath.Join(dir, "expected_output.txt"))
			require.NoError(t, err)
			require.Equal(t, string(want), string(got))
		})
	}
}
