package httpapi

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
)

// CoverageSummary summarises a Go coverage profile: statements covered,
// overall and by package.
type CoverageSummary struct {
	// Mode is the profile's mode: set, count or atomic.
	Mode       string            `json:"mode"`
	Statements int               `json:"statements"`
	Covered    int               `json:"covered"`
	Percent    float64           `json:"percent"`
	Packages   []PackageCoverage `json:"packages"`
}

// PackageCoverage is the coverage of one package.
type PackageCoverage struct {
	Package    string  `json:"package"`
	Statements int     `json:"statements"`
	Covered    int     `json:"covered"`
	Percent    float64 `json:"percent"`
}

// readCoverage reads a profile written by go test -coverprofile. A block
// listed several times (profiles merged from several test binaries, or
// -coverpkg) counts once, covered when any listing ran it.
func readCoverage(file string) (CoverageSummary, error) {
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return CoverageSummary{}, &opsError{http.StatusNotFound, "not-found",
			"the configured coverage profile does not exist: run go test -coverprofile to write it"}
	}
	if err != nil {
		return CoverageSummary{}, fmt.Errorf("opening the coverage profile: %w", err)
	}
	defer f.Close()
	return parseCoverage(bufio.NewScanner(f))
}

type coverBlock struct {
	stmts   int
	covered bool
}

// parseCoverage parses the text format: "mode: set", then one line per
// block, "file.go:12.3,14.5 2 1" (position range, statements, count).
func parseCoverage(sc *bufio.Scanner) (CoverageSummary, error) {
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var sum CoverageSummary
	blocks := map[string]*coverBlock{}
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if mode, ok := strings.CutPrefix(text, "mode: "); ok {
			sum.Mode = mode
			continue
		}
		fields := strings.Fields(text)
		if len(fields) != 3 || !strings.Contains(fields[0], ":") {
			return sum, fmt.Errorf("coverage profile line %d: want \"file:range statements count\", got %q", line, text)
		}
		stmts, err1 := strconv.Atoi(fields[1])
		count, err2 := strconv.ParseInt(fields[2], 10, 64)
		if err1 != nil || err2 != nil {
			return sum, fmt.Errorf("coverage profile line %d: statements and count must be integers: %q", line, text)
		}
		b := blocks[fields[0]]
		if b == nil {
			b = &coverBlock{stmts: stmts}
			blocks[fields[0]] = b
		}
		b.covered = b.covered || count > 0
	}
	if err := sc.Err(); err != nil {
		return sum, fmt.Errorf("reading the coverage profile: %w", err)
	}
	if sum.Mode == "" && len(blocks) == 0 {
		return sum, errors.New("the coverage profile is empty: it needs a \"mode:\" line and blocks")
	}
	byPkg := map[string]*PackageCoverage{}
	for pos, b := range blocks {
		file, _, _ := strings.Cut(pos, ":")
		pkg := path.Dir(file)
		pc := byPkg[pkg]
		if pc == nil {
			pc = &PackageCoverage{Package: pkg}
			byPkg[pkg] = pc
		}
		pc.Statements += b.stmts
		sum.Statements += b.stmts
		if b.covered {
			pc.Covered += b.stmts
			sum.Covered += b.stmts
		}
	}
	sum.Percent = percent(sum.Covered, sum.Statements)
	sum.Packages = make([]PackageCoverage, 0, len(byPkg))
	for _, pc := range byPkg {
		pc.Percent = percent(pc.Covered, pc.Statements)
		sum.Packages = append(sum.Packages, *pc)
	}
	slices.SortFunc(sum.Packages, func(a, b PackageCoverage) int { return strings.Compare(a.Package, b.Package) })
	return sum, nil
}

func percent(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return round2(float64(n) * 100 / float64(of))
}
