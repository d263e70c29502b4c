package webui_test

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// axeSource is axe-core 4.14.1 (npm axe-core, MPL-2.0; licence in
// testdata/axe.LICENSE), injected into every page the browser tests visit.
//
//go:embed testdata/axe-4.14.1.min.js
var axeSource string

// chromiumPath finds the browser the tests drive: $BOLADAO_CHROMIUM, else
// Debian's chromium. Without one the browser tests skip locally and fail
// in CI (CI=true), where .ci/run installs it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("BOLADAO_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found: CI must install Debian's chromium (apt-get install -y chromium); .ci/run does")
	}
	t.Skip("browser tests skipped: no Chromium found (apt-get install -y chromium, or set BOLADAO_CHROMIUM to a Chromium binary)")
	return ""
}

// browser is one headless Chromium for a test. Tabs opened with tab share
// nothing with each other (each is a fresh browser context: its own
// cookies).
type browser struct {
	t      *testing.T
	alloc  context.Context // the browser's first tab: tabs are its children
	shots  string
	mu     sync.Mutex
	step   int
	issues []string // console errors, exceptions, CSP violations
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "pt-BR"),
		chromedp.Flag("accept-lang", "pt-BR"),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancel)
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(cancelRoot)
	require.NoError(t, chromedp.Do(root), "starting %s", exe)
	b := &browser{t: t, alloc: root, shots: t.ArtifactDir()}
	t.Logf("screenshots: %s", b.shots)
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(b.issues) > 0 {
			t.Errorf("the browser reported problems:\n%s", strings.Join(b.issues, "\n"))
		}
	})
	return b
}

// tab is one page of the browser, in a browser context of its own.
type tab struct {
	b    *browser
	t    *testing.T
	ctx  context.Context
	base string
	name string
}

// tab opens a tab named name (used in screenshot names) on the console at
// base.
func (b *browser) tab(name, base string) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.alloc, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	tctx, cancelTimeout := context.WithTimeout(ctx, 10*time.Minute) // generous: a loaded CI machine is slow
	b.t.Cleanup(cancelTimeout)
	require.NoError(b.t, chromedp.Do(tctx)) // opens the tab
	messages := chromedp.Console(tctx)
	done := make(chan struct{})
	b.t.Cleanup(func() { cancelTimeout(); <-done })
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			switch {
			case m.Source == "network" && !strings.Contains(m.URL, "/static/"):
				// A page answered with an error status on purpose (a
				// refused form, the 404 page): the tests assert on
				// what it shows. Static files must always load.
			case m.IsException(), m.Type == "error", m.Type == "warning", m.Type == "assert",
				m.Source == "security", m.Source == "violation":
				b.report(fmt.Sprintf("[%s] %s %s: %s (%s)", name, m.Source, m.Type, m.Text, m.URL))
			}
		}
	}()
	dialogs := chromedp.Events(tctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.report(fmt.Sprintf("[%s] a dialog opened: %q", name, ev.Message))
			_, _ = chromedp.Call(tctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	require.NoError(b.t, chromedp.Do(tctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{})
		return err
	})))
	return &tab{b: b, t: b.t, ctx: tctx, base: base, name: name}
}

func (b *browser) report(issue string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.issues = append(b.issues, issue)
}

// do runs actions, failing the test on error.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	require.NoError(tb.t, chromedp.Do(tb.ctx, actions...))
}

// get runs an action that returns a value, failing the test on error.
func get[T any](tb *tab, a chromedp.Action[T]) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, a)
	require.NoError(tb.t, err)
	return v
}

// visit opens a console path and checks the page (see check).
func (tb *tab) visit(path, step string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(tb.base+path), chromedp.WaitReady(chromedp.CSS("body")))
	tb.check(step)
}

// check waits for the page to settle, runs axe-core on it (failing on any
// WCAG 2.1 A/AA violation), fails on untranslated texts, and saves a
// screenshot for step.
func (tb *tab) check(step string) {
	tb.t.Helper()
	tb.waitSettled()
	tb.axe(step)
	text := get(tb, chromedp.Text(chromedp.CSS("body")))
	require.NotContains(tb.t, text, "⟦", "untranslated message on %s", step)
	tb.screenshot(step)
}

// waitSettled waits until the page has loaded and htmx has no request in
// flight.
func (tb *tab) waitSettled() {
	tb.t.Helper()
	get(tb, chromedp.Poll[bool](`document.readyState === "complete" && document.querySelectorAll(".htmx-request").length === 0`,
		chromedp.WithPollingTimeout(10*time.Second)))
}

// axeResult is the part of axe.run's result the tests read.
type axeResult struct {
	Violations []struct {
		ID          string `json:"id"`
		Impact      string `json:"impact"`
		Description string `json:"description"`
		Nodes       []struct {
			Target []any  `json:"target"`
			HTML   string `json:"html"`
		} `json:"nodes"`
	} `json:"violations"`
}

func (tb *tab) axe(step string) {
	tb.t.Helper()
	if !get(tb, chromedp.Evaluate[bool](`typeof window.axe === "object"`)) {
		get(tb, chromedp.Evaluate[bool](axeSource+";true"))
	}
	raw := get(tb, chromedp.Evaluate[[]byte](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]}).then(r => ({violations: r.violations}))`,
		chromedp.EvalAwaitPromise))
	var res axeResult
	require.NoError(tb.t, json.Unmarshal(raw, &res))
	var lines []string
	for _, v := range res.Violations {
		for _, n := range v.Nodes {
			lines = append(lines, fmt.Sprintf("%s (%s): %s at %v: %s", v.ID, v.Impact, v.Description, n.Target, n.HTML))
		}
	}
	require.Empty(tb.t, lines, "accessibility violations on %s", step)
}

// unsafeName keeps screenshot names to safe characters.
var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// screenshot saves a full-page PNG named after the step.
func (tb *tab) screenshot(step string) {
	tb.t.Helper()
	png := get(tb, chromedp.FullScreenshot(100))
	tb.b.mu.Lock()
	tb.b.step++
	n := tb.b.step
	tb.b.mu.Unlock()
	name := fmt.Sprintf("%02d-%s-%s.png", n, tb.name, unsafeName.ReplaceAllString(step, "_"))
	require.NoError(tb.t, os.WriteFile(filepath.Join(tb.b.shots, name), png, 0o644))
}

// phone resizes the viewport to a 375 px wide phone.
func (tb *tab) phone() {
	tb.t.Helper()
	tb.do(chromedp.EmulateViewport(375, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile))
}

// fill types value into the field selected by sel (replacing its value).
func (tb *tab) fill(sel, value string) {
	tb.t.Helper()
	tb.do(chromedp.WaitVisible(chromedp.CSS(sel)))
	get(tb, chromedp.Evaluate[bool](fmt.Sprintf(`(document.querySelector(%q).value = "", true)`, sel)))
	tb.do(chromedp.SendKeys(chromedp.CSS(sel), value))
}

// setValue sets a field's value directly (selects).
func (tb *tab) setValue(sel, value string) {
	tb.t.Helper()
	tb.do(chromedp.WaitReady(chromedp.CSS(sel)))
	get(tb, chromedp.Evaluate[bool](fmt.Sprintf(`(document.querySelector(%q).value = %q, true)`, sel, value)))
}

// value reads a form field's value.
func (tb *tab) value(sel string) string {
	tb.t.Helper()
	return get(tb, chromedp.Value(chromedp.CSS(sel)))
}

// click clicks the element selected by sel and waits for htmx to settle.
func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
	tb.waitSettled()
}

// submit clicks a button that leads to another page and waits for that
// page to load.
func (tb *tab) submit(sel string) {
	tb.t.Helper()
	tb.do(chromedp.WaitVisible(chromedp.CSS(sel)))
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel))))
	require.NoError(tb.t, err, "clicking %s loads a page", sel)
	tb.do(chromedp.WaitReady(chromedp.CSS("body")))
}

// text returns the visible text of the first element matching sel.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return get(tb, chromedp.Text(chromedp.CSS(sel)))
}

// exists reports whether an element matches sel now.
func (tb *tab) exists(sel string) bool {
	tb.t.Helper()
	return get(tb, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, sel)))
}

// path returns the current URL's path and query.
func (tb *tab) path() string {
	tb.t.Helper()
	return strings.TrimPrefix(get(tb, chromedp.Location()), tb.base)
}

// signIn signs in through the form like a person.
func (tb *tab) signIn(p person) {
	tb.t.Helper()
	tb.visit("/signin", "signin")
	tb.fill("#email", p.Email)
	tb.fill("#password", password)
	tb.submit("form[action$='/signin'] button[type=submit]")
	tb.check("signed-in")
}

func itoa(n int64) string { return fmt.Sprint(n) }
