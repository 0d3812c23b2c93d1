package daemon

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/bridge-dev/bridge/internal/config"
)

// noFailedRequests fails the test for every request answered 4xx or 5xx
// and every error the browser logged since the page was opened.
func (p *tab) noFailedRequests(when string) {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.failed {
		p.t.Errorf("%s: %s", when, f)
	}
	for _, e := range p.errors {
		p.t.Errorf("%s: page script: %s", when, e)
	}
}

// TestPlaygroundLoadsCleanly: opening the page and a provider makes no
// request that fails (a dry run without a payload used to be answered
// 400, a console error on every load) and logs no error.
func TestPlaygroundLoadsCleanly(t *testing.T) {
	p := openBrowser(t)
	b := startBridge(t, nil, nil)
	p.do("open the page", chromedp.Navigate(b.admin+"/playground"))
	p.waitFor("the mapping set", `document.getElementById('about-mappings').textContent.includes('stripe')`)
	p.waitFor("the first provider's mapping", `document.getElementById('mapping').value.includes('provider: ')`)
	p.waitResult("no-payload")
	p.choose("provider", "stripe")
	p.waitFor("stripe's mapping", `document.getElementById('mapping').value.includes('provider: stripe')`)
	p.waitResult("no-payload")
	if s := p.text("#status"); !strings.Contains(s, "Paste a payload") {
		t.Errorf("status = %q", s)
	}
	p.noFailedRequests("loading the page")
}

// TestPlaygroundAdminToken: with BRIDGE_ADMIN_TOKEN the page asks for the
// token, says when it does not match, and once given works as without
// one, keeping the token for the tab only (sessionStorage).
func TestPlaygroundAdminToken(t *testing.T) {
	const token = "adm-playground-token"
	p := openBrowser(t)
	b := startBridge(t, nil, func(c *config.Config) { c.AdminToken = token })
	p.do("open the page", chromedp.Navigate(b.admin+"/playground"))
	p.waitFor("the token form", `!document.getElementById('token-form').hidden`)
	if s := p.text("#token-status"); !strings.Contains(s, "BRIDGE_ADMIN_TOKEN") {
		t.Errorf("token prompt = %q", s)
	}
	type_ := func(v string) {
		p.do("type a token", chromedp.Evaluate[chromedp.Void](`document.getElementById('token').value = `+jsString(v)),
			chromedp.Click(chromedp.CSS(`#token-form button[type=submit]`)))
	}
	type_("wrong")
	p.waitFor("the mismatch", `document.getElementById('token-status').textContent.includes('does not match') && !document.getElementById('token-form').hidden`)
	type_(token)
	p.waitFor("the mapping set", `document.getElementById('about-mappings').textContent.includes('stripe')`)
	p.choose("provider", "stripe")
	p.waitFor("stripe's mapping", `document.getElementById('mapping').value.includes('provider: stripe')`)
	p.insert("payload", -1, string(readExample(t, "stripe/charge.succeeded.json")))
	p.waitResult("events")
	if got := evaluate[string](p, `sessionStorage.getItem('bridge-admin-token') + '|' + (localStorage.getItem('bridge-admin-token') || '')`); got != token+"|" {
		t.Errorf("storage = %q, want the token in sessionStorage only", got)
	}
	if p.visible("#token-form") {
		t.Error("the token form is still shown")
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `'` + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + `'`
}
