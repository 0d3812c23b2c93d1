package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/bridge-dev/bridge/internal/config"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "write ../../docs/playground.png from TestPlaygroundBrowser")

// Bounds of the browser tests: the whole browser's life, and each step.
const (
	browserLife = 90 * time.Second
	stepTimeout = 10 * time.Second
)

func TestPlaygroundAPI(t *testing.T) {
	// The real STRIPE_WEBHOOK_SECRET is set by startBridge; the playground
	// still compiles with placeholders, so hmac gives the placeholder's MAC.
	started := time.Now()
	b := startBridge(t, nil, nil)

	r := get(t, b.admin+"/api/mappings")
	bridgeInfo, _ := r.body["bridge"].(map[string]any)
	set, _ := r.body["mappings"].(map[string]any)
	if r.status != http.StatusOK || bridgeInfo["nats_url"] != b.NATSURL() || bridgeInfo["nats_embedded"] != true ||
		set["dir"] != "../../mappings" || set["loaded_at"] == nil {
		t.Fatalf("GET /api/mappings: %d %s", r.status, r.raw)
	}
	loaded, err := time.Parse(time.RFC3339Nano, set["loaded_at"].(string))
	if err != nil || loaded.Before(started.Truncate(time.Second)) || loaded.After(time.Now()) {
		t.Errorf("loaded_at = %v, want the start of the bridge", set["loaded_at"])
	}

	before := streamMsgs(t, b.js, "EVENTS")
	body, _ := json.Marshal(map[string]any{"provider": "stripe", "payload": json.RawMessage(readExample(t, "stripe/charge.succeeded.json"))})
	r = post(t, b.admin+"/api/map", body, nil)
	events, _ := r.body["events"].([]any)
	if r.status != http.StatusOK || len(events) != 1 || events[0].(map[string]any)["type"] != "event.stripe.payments.charge.succeeded" {
		t.Fatalf("POST /api/map: %d %s", r.status, r.raw)
	}
	body, _ = json.Marshal(map[string]any{"provider": "stripe", "payload": json.RawMessage(readExample(t, "stripe/customer.created.json"))})
	r = post(t, b.admin+"/api/map", body, nil)
	if dl, _ := r.body["dead_letter"].(map[string]any); r.status != http.StatusOK || dl["reason"] != "no_rule" {
		t.Fatalf("POST /api/map customer.created: %d %s", r.status, r.raw)
	}
	if got := streamMsgs(t, b.js, "EVENTS") + streamMsgs(t, b.js, "EVENTS_DLQ"); got != before {
		t.Errorf("a dry run stored %d message(s)", got-before)
	}

	resp, err := http.Get(b.admin + "/api/catalog")
	if err != nil {
		t.Fatal(err)
	}
	var catalog []map[string]any
	err = json.NewDecoder(resp.Body).Decode(&catalog)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || len(catalog) != len(b.mappings.Load().Catalog()) {
		t.Errorf("GET /api/catalog: %d %v %v", resp.StatusCode, err, catalog)
	}
	if r := get(t, b.admin+"/playground"); r.status != http.StatusOK || !bytes.Contains(r.raw, []byte("mapping playground")) {
		t.Errorf("GET /playground: %d", r.status)
	}
	// The public listener does not serve it.
	if r := get(t, b.base+"/playground"); r.status != http.StatusNotFound {
		t.Errorf("GET /playground on the public listener: %d", r.status)
	}
}

// TestPlaygroundBrowser drives the page in headless Chromium against a
// real bridge: a payload becomes its event with every profile check
// passed, a broken mapping is marked at its line and recovers, a dead
// letter opens in the playground and is replayed once the running
// mappings take it.
func TestPlaygroundBrowser(t *testing.T) {
	p := openBrowser(t)
	dir := playgroundTree(t)
	b := startBridge(t, nil, func(c *config.Config) { c.Mappings = dir })
	if r := postStripe(t, b, "customer.created.json"); r.status != http.StatusAccepted || r.body["reason"] != "no_rule" {
		t.Fatalf("customer.created: %d %s, want a no_rule dead letter", r.status, r.raw)
	}
	start := time.Now()

	// The page says which bridge and which mapping set it looks at.
	p.do("open the page", chromedp.Navigate(b.admin+"/playground"))
	p.waitFor("the mapping set", `document.getElementById('about-mappings').textContent.includes('stripe')`)
	if about := p.text("#about"); !strings.Contains(about, b.NATSURL()) || !strings.Contains(about, dir) || !strings.Contains(about, "bridge dev") {
		t.Errorf("the page's header says %q", about)
	}
	p.checkAccessible()

	// Choose stripe, paste the example charge: its event, every check passed.
	p.choose("provider", "stripe")
	p.waitFor("stripe's mapping", `document.getElementById('mapping').value.includes('provider: stripe')`)
	p.insert("payload", -1, string(readExample(t, "stripe/charge.succeeded.json")))
	p.waitResult("events")
	if s := p.text("#status"); !strings.Contains(s, "event.stripe.payments.charge.succeeded") {
		t.Errorf("status = %q", s)
	}
	mapping := p.value("mapping")
	ruleLine := lineIn(t, mapping, "- name: charge.succeeded")
	if r := p.text("#rule"); !strings.Contains(r, "charge.succeeded") || !strings.Contains(r, fmt.Sprintf("stripe.yaml:%d", ruleLine)) {
		t.Errorf("rule = %q, want charge.succeeded at stripe.yaml:%d", r, ruleLine)
	}
	p.allChecksPassed()
	if ev := p.text("#events"); !strings.Contains(ev, `"type": "event.stripe.payments.charge.succeeded"`) {
		t.Errorf("event = %s", ev)
	}
	if e := p.text("#fx-entry"); !strings.Contains(e, "- payload: ../examples/stripe/charge.succeeded.json") ||
		!strings.Contains(e, "expect: ../examples/stripe/charge.succeeded.event.json") {
		t.Errorf("fixture entry = %q", e)
	}
	if x := p.text("#fx-expect"); !strings.Contains(x, `"idempotencykey": "a8476d35-e037-5534-942d-43a9e3cf6ead"`) || strings.Contains(x, `"id":`) {
		t.Errorf("fixture expect = %s", x)
	}
	// Break the YAML with an unknown key: the error is marked at its line.
	at := strings.Index(mapping, "    event_name: succeeded\n") + len("    event_name: succeeded\n")
	broken := "    colour: blue\n"
	p.insert("mapping", at, broken)
	badLine := lineIn(t, p.value("mapping"), "colour: blue")
	p.waitResult("mapping-error")
	sel := fmt.Sprintf(`#problems button[data-line="%d"]`, badLine)
	p.waitFor("the problem at its line", fmt.Sprintf(`!!document.querySelector(%q)`, sel))
	if msg := p.text(sel); !strings.Contains(msg, `unknown key "colour"`) || !strings.Contains(msg, fmt.Sprintf("line %d:5", badLine)) {
		t.Errorf("problem = %q, want unknown key colour at line %d:5", msg, badLine)
	}
	if g := p.text("#gutter-lines div.err"); g != fmt.Sprint(badLine) {
		t.Errorf("gutter marks line %q, want %d", g, badLine)
	}
	// Activating the problem puts the caret on the line.
	p.do("go to the problem", chromedp.Click(chromedp.CSS(sel)))
	if caretLine := evaluate[int](p, `(() => { const ta = document.getElementById('mapping');
		return ta.value.slice(0, ta.selectionStart).split('\n').length })()`); caretLine != badLine || p.activeID() != "mapping" {
		t.Errorf("the caret is on line %d of %s, want line %d of the mapping", caretLine, p.activeID(), badLine)
	}

	// Fix it: the event is back, the marks are gone.
	p.selectRange("mapping", at, at+len(broken))
	p.do("delete the key", chromedp.KeyEvent(kb.Backspace))
	p.waitResult("events")
	p.allChecksPassed()
	if n := evaluate[int](p, `document.querySelectorAll('#gutter-lines div.err').length`); n != 0 || p.visible("#problems-box") {
		t.Errorf("%d line(s) still marked", n)
	}

	// The catalogue lists every type with its file and rule.
	p.do("open the catalogue", chromedp.Click(chromedp.ID("tab-catalog")))
	p.waitFor("the catalogue", `document.querySelectorAll('#catalog tbody tr').length > 5`)
	if c := p.text("#catalog"); !strings.Contains(c, "event.stripe.payments.charge.succeeded") || !strings.Contains(c, fmt.Sprintf("stripe.yaml:%d", ruleLine)) {
		t.Errorf("catalogue = %q", c)
	}
	// A type's file:line opens its rule in the playground.
	p.do("open a rule from the catalogue", chromedp.Click(chromedp.CSS(`#catalog button[aria-label^="Open rule charge.succeeded of stripe"]`)))
	p.waitFor("the rule in the editor", `document.activeElement.id === 'mapping'`)
	if caretLine := evaluate[int](p, `(() => { const ta = document.getElementById('mapping');
		return ta.value.slice(0, ta.selectionStart).split('\n').length })()`); caretLine != ruleLine || !p.visible("#view-playground") {
		t.Errorf("the catalogue opened line %d, want %d", caretLine, ruleLine)
	}

	// The dead letter opens in the playground, with its reason.
	p.do("open the dead letters", chromedp.Click(chromedp.ID("tab-dlq")))
	p.waitFor("the dead letter", `!!document.querySelector('#dlq tbody tr[data-seq="1"]')`)
	if row := p.text(`#dlq tbody tr[data-seq="1"]`); !strings.Contains(row, "no_rule") || !strings.Contains(row, "stripe") {
		t.Errorf("dead letter row = %q", row)
	}
	p.do("open it in the playground", chromedp.Click(chromedp.CSS(`#dlq tbody tr[data-seq="1"] button`)))
	p.waitResult("dead-letter")
	if s, pl := p.text("#status"), p.value("payload"); !strings.Contains(s, "no_rule") || !strings.Contains(pl, `"customer.created"`) ||
		!strings.Contains(pl, `"email":"[redacted]"`) {
		t.Errorf("status %q, payload %s", s, pl)
	}

	// Write the missing rule in the editor: the dead letter now maps.
	p.insert("mapping", -1, customerCreatedRule)
	p.waitResult("events")
	if s := p.text("#status"); !strings.Contains(s, "event.stripe.payments.customer.created") {
		t.Errorf("status = %q", s)
	}
	p.allChecksPassed()

	// Once the running set has the rule, replay the dead letter.
	stripe := filepath.Join(dir, "stripe.yaml")
	if err := os.WriteFile(stripe, []byte(p.value("mapping")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := b.Reload(); err != nil {
		t.Fatal(err)
	}
	p.do("back to the dead letters", chromedp.Click(chromedp.ID("tab-dlq")))
	p.choose("dlq-provider", "stripe")
	p.choose("dlq-reason", "no_rule")
	// The archive kept the delivery: a remap dry run finds it new now, and
	// names the dead letter it would resolve.
	p.do("remap dry run", chromedp.Click(chromedp.ID("remap")))
	p.waitFor("the remap report", `document.getElementById('remap-status').textContent.includes('would have stored')`)
	if s := p.text("#remap-status"); !strings.Contains(s, "dry run: would have stored 1,") {
		t.Errorf("remap report = %q", s)
	}
	if r := p.text("#remap-results"); !strings.Contains(r, "new") || !strings.Contains(r, "customer.created") || !strings.Contains(r, "resolves dead letter #1") {
		t.Errorf("remap results = %q", r)
	}
	if n := streamMsgs(t, b.js, "EVENTS_DLQ"); n != 1 {
		t.Errorf("the remap dry run changed the dead letters: %d", n)
	}
	p.do("replay", chromedp.Click(chromedp.ID("replay")))
	p.waitFor("the replay report", `document.getElementById('replay-status').textContent.includes('published')`)
	if s := p.text("#replay-status"); !strings.Contains(s, "1 dead letter(s): 1 published") {
		t.Errorf("replay report = %q", s)
	}
	if r := p.text("#replay-results"); !strings.Contains(r, "published") || !strings.Contains(r, "customer.created") {
		t.Errorf("replay results = %q", r)
	}
	p.waitFor("the emptied list", `document.getElementById('dlq-status').textContent.startsWith('0 dead letter(s)')`)
	if n := streamMsgs(t, b.js, "EVENTS_DLQ"); n != 0 {
		t.Errorf("%d dead letter(s) left", n)
	}
	replayed := lastMsg(t, b.js, "EVENTS", "event.stripe.payments.customer.created")

	// The Events view finds the replayed event by type and shows it.
	p.do("open the events", chromedp.Click(chromedp.ID("tab-events")))
	p.insert("stored-type", 0, "event.stripe.payments.customer.>")
	p.do("search", chromedp.Click(chromedp.ID("stored-search")))
	p.waitFor("the stored event", `document.getElementById('stored-status').textContent === '1 event(s).'`)
	p.waitFor("the event with its history", `document.getElementById('stored-detail').textContent.includes('dead_letters')`)
	if d := p.text("#stored-detail"); !strings.Contains(d, replayed.Header.Get("ce-id")) || !strings.Contains(d, `"subject": "customer/`) {
		t.Errorf("event shown = %q", d)
	}
	if href := evaluate[string](p, `document.getElementById('asyncapi-link').href`); !strings.HasSuffix(href, "/api/asyncapi?format=yaml") {
		t.Errorf("AsyncAPI link %q", href)
	}

	// A fixture of the mapping fills the payload and its headers.
	p.do("back to the playground", chromedp.Click(chromedp.ID("tab-playground")))
	p.choose("provider", "github")
	p.waitFor("github's mapping", `document.getElementById('mapping').value.includes('provider: github')`)
	p.choose("example", evaluate[string](p, `[...document.querySelectorAll('#example option')].find((o) => o.text.startsWith('push:')).value`))
	p.waitResult("events")
	if h, s := p.value("headers"), p.text("#status"); !strings.Contains(h, "X-Github-Event: push") || !strings.Contains(s, "event.github.repository.ref.pushed") {
		t.Errorf("github push example: headers %q, status %q", h, s)
	}

	p.checkPhone()
	p.noScriptErrors()
	t.Logf("browser steps took %v", time.Since(start).Round(time.Millisecond))
}

// TestPlaygroundScreenshot writes docs/playground.png, the page with the
// example Stripe charge, from the repository's root as `make run` sees it:
// go test ./internal/daemon -run TestPlaygroundScreenshot -update-screenshot
func TestPlaygroundScreenshot(t *testing.T) {
	if !*updateScreenshot {
		t.Skip("run with -update-screenshot to write docs/playground.png")
	}
	p := openBrowser(t)
	t.Chdir("../..")
	b := startBridge(t, nil, func(c *config.Config) { c.Mappings, c.Schemas = "./mappings", "./schemas" })
	p.do("open the page", chromedp.Navigate(b.admin+"/playground"))
	p.waitFor("the mapping set", `document.getElementById('about-mappings').textContent.includes('stripe')`)
	p.choose("provider", "stripe")
	p.waitFor("stripe's mapping", `document.getElementById('mapping').value.includes('provider: stripe')`)
	p.choose("example", "0") // charge.succeeded
	p.waitResult("events")
	p.do("leave the controls", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
	p.screenshot(t, "docs/playground.png")
}

// playgroundTree lays out a repository in a temporary directory: the
// shipped mappings as copyShippedMappings edits them, in <root>/mappings,
// and the examples beside them, so that their fixtures' payloads are found.
// It returns the mappings directory.
func playgroundTree(t *testing.T) string {
	t.Helper()
	root, src := t.TempDir(), copyShippedMappings(t)
	dir := filepath.Join(root, "mappings")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(examples, filepath.Join(root, "examples")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// lineIn returns the 1-based line of text holding s.
func lineIn(t *testing.T, text, s string) int {
	t.Helper()
	i := strings.Index(text, s)
	if i < 0 {
		t.Fatalf("%q is not in the text", s)
	}
	return strings.Count(text[:i], "\n") + 1
}

// tab is a page in headless Chromium.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu     sync.Mutex
	errors []string // uncaught exceptions and console errors of the page
	failed []string // requests answered 4xx or 5xx, and the browser's own error log entries
}

// chromiumPath finds the browser: $CHROMIUM, else Debian's chromium. Without
// one the browser tests are skipped, except in CI, where they must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium: the browser tests need it in CI (apt-get install chromium, or set CHROMIUM)")
	}
	t.Skip("no chromium (set CHROMIUM to its path): the browser tests are skipped")
	return ""
}

// openBrowser starts headless Chromium with a fresh profile and opens a
// tab; the browser lives at most browserLife and is closed at the end of
// the test.
func openBrowser(t *testing.T) *tab {
	t.Helper()
	path := chromiumPath(t)
	life, cancelLife := context.WithTimeout(context.Background(), browserLife)
	actx, cancelAlloc := chromedp.NewExecAllocator(life,
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		_ = chromedp.Cancel(ctx) // closes the browser and waits for it
		cancelTab()
		cancelAlloc()
		cancelLife()
	})
	p := &tab{t: t, ctx: ctx}
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", path, err)
	}
	if err := chromedp.Listen(ctx, p.listen); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *tab) listen(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		p.errors = append(p.errors, fmt.Sprintf("exception at %s:%d:%d: %s", d.URL, d.LineNumber+1, d.ColumnNumber+1, msg))
	case *network.EventResponseReceived:
		if ev.Response.Status >= 400 {
			p.failed = append(p.failed, fmt.Sprintf("%d %s", ev.Response.Status, ev.Response.URL))
		}
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError {
			p.failed = append(p.failed, "log: "+ev.Entry.Text)
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value))
			}
			p.errors = append(p.errors, "console.error: "+strings.Join(args, " "))
		}
	}
}

// do runs actions within stepTimeout; on failure it says where the page is.
func (p *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v\n%s", what, err, p.state())
	}
}

func evaluate[T any](p *tab, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// state describes the page for a failure message.
func (p *tab) state() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`'result=' + document.body.dataset.result +
		'; status: ' + document.getElementById('status').textContent`))
	if err != nil {
		return "(page state unknown: " + err.Error() + ")"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return "page: " + s + "; script errors: " + strings.Join(p.errors, "; ")
}

// waitFor waits until the JavaScript expression is true.
func (p *tab) waitFor(what, expr string) {
	p.t.Helper()
	p.do("waiting for "+what, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(stepTimeout-time.Second), chromedp.WithPollingInterval(20*time.Millisecond)))
}

// waitResult waits for the dry run's outcome to be kind (events,
// dead-letter, mapping-error, ...), with no request in flight.
func (p *tab) waitResult(kind string) {
	p.t.Helper()
	p.waitFor("a result of "+kind, fmt.Sprintf(`document.body.dataset.result === %q && !document.body.dataset.busy`, kind))
}

func (p *tab) text(sel string) string {
	p.t.Helper()
	return evaluate[string](p, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ''`, sel))
}

func (p *tab) value(id string) string {
	p.t.Helper()
	return evaluate[string](p, fmt.Sprintf(`document.getElementById(%q).value`, id))
}

func (p *tab) visible(sel string) bool {
	p.t.Helper()
	return evaluate[bool](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && !e.hidden && e.offsetParent !== null })()`, sel))
}

func (p *tab) activeID() string {
	p.t.Helper()
	return evaluate[string](p, `document.activeElement ? document.activeElement.id : ''`)
}

// choose picks an option of a select as a person would: the value changes
// and the page hears of it.
func (p *tab) choose(id, value string) {
	p.t.Helper()
	p.do("choose "+value+" in "+id, chromedp.Focus(chromedp.ID(id)), chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})) })()`, id, value)))
}

// selectRange focuses a textarea and selects [from, to) (-1: the end).
func (p *tab) selectRange(id string, from, to int) {
	p.t.Helper()
	p.do("select in "+id, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const ta = document.getElementById(%q); ta.focus();
		const from = %d < 0 ? ta.value.length : %d, to = %d < 0 ? ta.value.length : %d;
		ta.setSelectionRange(from, to) })()`, id, from, from, to, to)))
}

// insert pastes text into a textarea at pos (-1: the end), as a paste or
// an input method does: one input event.
func (p *tab) insert(id string, pos int, text string) {
	p.t.Helper()
	p.selectRange(id, pos, pos)
	p.do("paste into "+id, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
		return err
	}))
}

// allChecksPassed checks that every profile check is shown, and passed.
func (p *tab) allChecksPassed() {
	p.t.Helper()
	total := evaluate[int](p, `document.querySelectorAll('#checks li').length`)
	passed := evaluate[int](p, `document.querySelectorAll('#checks li.pass').length`)
	if total < 10 || passed != total {
		p.t.Errorf("%d of %d profile checks passed: %s", passed, total, p.text("#checks"))
	}
	if title := p.text("#checks-title"); title != fmt.Sprintf("Profile checks: all %d passed", total) {
		p.t.Errorf("checks title = %q", title)
	}
}

// checkAccessible checks that every control has a label and that the
// keyboard reaches the editor from the provider list.
func (p *tab) checkAccessible() {
	p.t.Helper()
	unlabelled := evaluate[[]string](p, `[...document.querySelectorAll('input, select, textarea, button')]
		.filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
		.map((e) => e.id || e.outerHTML.slice(0, 60))`)
	if len(unlabelled) > 0 {
		p.t.Errorf("controls without a label: %v", unlabelled)
	}
	p.do("tab from the provider list", chromedp.Focus(chromedp.ID("provider")), chromedp.KeyEvent(kb.Tab))
	if id := p.activeID(); id != "example" {
		p.t.Errorf("Tab from the provider list goes to %q, want the example list", id)
	}
}

// checkPhone checks that the page fits a phone's width: nothing scrolls
// sideways but the wide tables and code blocks, inside their own boxes.
func (p *tab) checkPhone() {
	p.t.Helper()
	p.do("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Click(chromedp.ID("tab-playground")))
	for _, view := range []string{"playground", "catalog", "dlq"} {
		p.do("show "+view, chromedp.Click(chromedp.ID("tab-"+view)))
		if w := evaluate[int](p, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
			p.t.Errorf("the %s view is %dpx wider than a 390px screen", view, w)
		}
	}
}

func (p *tab) noScriptErrors() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.errors {
		p.t.Errorf("page script: %s", e)
	}
}

// screenshot writes a PNG of the whole page.
func (p *tab) screenshot(t *testing.T, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(buf)); err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(buf))
}
