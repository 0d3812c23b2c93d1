package daemon

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/bridge-dev/bridge/internal/config"
)

// TestPlaygroundBrowserWarnings: in the browser, the playground shows the
// warnings of the mapping being edited beside its problems, each with its
// position and slug, its line marked apart from an error's: pix's scheme
// none as the file loads, a secret added under it as it is typed, and both
// still there when an edit breaks the file.
func TestPlaygroundBrowserWarnings(t *testing.T) {
	p := openBrowser(t)
	dir := playgroundTree(t)
	b := startBridge(t, nil, func(c *config.Config) { c.Mappings = dir })

	p.do("open the page", chromedp.Navigate(b.admin+"/playground"))
	p.waitFor("the mapping set", `document.getElementById('about-mappings').textContent.includes('pix')`)
	p.choose("provider", "pix")
	p.waitFor("pix's mapping", `document.getElementById('mapping').value.includes('provider: pix')`)
	mapping := p.value("mapping")
	scheme := lineIn(t, mapping, "scheme: none")

	// As the file loads: scheme none, at its line, with its slug.
	unverified := fmt.Sprintf(`#warnings button[data-slug="none-unverified"][data-line="%d"]`, scheme)
	p.waitFor("the none-unverified warning", fmt.Sprintf(`!!document.querySelector(%q)`, unverified))
	if w := p.text(unverified); !strings.Contains(w, fmt.Sprintf("line %d:13", scheme)) || !strings.Contains(w, "scheme none verifies nothing") ||
		!strings.Contains(w, "none-unverified") {
		t.Errorf("warning = %q", w)
	}
	if !p.visible("#warnings-box") || p.visible("#problems-box") {
		t.Errorf("warnings shown %v, problems shown %v; want only the warnings", p.visible("#warnings-box"), p.visible("#problems-box"))
	}
	if g := p.text("#gutter-lines div.warn"); g != fmt.Sprint(scheme) {
		t.Errorf("gutter marks line %q as a warning, want %d", g, scheme)
	}
	if n := evaluate[int](p, `document.querySelectorAll('#gutter-lines div.err').length`); n != 0 {
		t.Errorf("%d line(s) marked as errors", n)
	}

	// A payload, then a secret typed under scheme none: the dry run maps,
	// and says the secret is not used, at its line.
	p.choose("example", evaluate[string](p, `[...document.querySelectorAll('#example option')].find((o) => o.text.includes('pix.single')).value`))
	p.waitResult("events")
	// The position in the textarea's own units (UTF-16: the file has
	// accents above), not the byte offset.
	at := evaluate[int](p, `(() => { const v = document.getElementById('mapping').value; return v.indexOf('scheme: none\n') + 'scheme: none\n'.length })()`)
	p.insert("mapping", at, "    secret: '${PIX_SECRET}'\n")
	withSecret := fmt.Sprintf(`#warnings button[data-slug="none-with-secret"][data-line="%d"]`, scheme+1)
	p.waitFor("the none-with-secret warning", fmt.Sprintf(`!!document.querySelector(%q)`, withSecret))
	p.waitResult("events")
	if w := p.text(withSecret); !strings.Contains(w, fmt.Sprintf("line %d:5", scheme+1)) || !strings.Contains(w, "webhook.signature.secret is not used") {
		t.Errorf("warning = %q", w)
	}
	if title := p.text("#warnings-title"); title != "The mapping loads with 2 warnings" {
		t.Errorf("warnings title = %q", title)
	}

	// Break the file: the problem and the warnings, side by side.
	p.insert("mapping", 0, "colour: blue\n")
	p.waitResult("mapping-error")
	p.waitFor("the problem", `!!document.querySelector('#problems button[data-line="1"]')`)
	if n := evaluate[int](p, `document.querySelectorAll('#warnings button').length`); n != 2 || !p.visible("#warnings-box") || !p.visible("#problems-box") {
		t.Errorf("with a problem: %d warning(s) shown, warnings box %v, problems box %v", n, p.visible("#warnings-box"), p.visible("#problems-box"))
	}
	if title := p.text("#warnings-title"); title != "2 warnings" {
		t.Errorf("warnings title beside a problem = %q", title)
	}
	if g := p.text("#gutter-lines div.err"); g != "1" {
		t.Errorf("gutter marks line %q as an error, want 1", g)
	}

	// Activating a warning puts the caret on its line.
	sel := fmt.Sprintf(`#warnings button[data-slug="none-with-secret"][data-line="%d"]`, scheme+2)
	p.waitFor("the moved warning", fmt.Sprintf(`!!document.querySelector(%q)`, sel))
	p.do("go to the warning", chromedp.Click(chromedp.CSS(sel)))
	if caretLine := evaluate[int](p, `(() => { const ta = document.getElementById('mapping');
		return ta.value.slice(0, ta.selectionStart).split('\n').length })()`); caretLine != scheme+2 {
		t.Errorf("the caret is on line %d, want %d", caretLine, scheme+2)
	}
	p.noScriptErrors()
}
