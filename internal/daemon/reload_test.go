package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/transform"
)

const (
	pixReceived = "event.pix.pix.pix.received"
	pixCredited = "event.pix.pix.pix.credited"
	reloadedMsg = "mappings reloaded"
	failedMsg   = "mapping reload failed; the running mappings stay"
)

// startReloadable runs a bridge on a temporary copy of the shipped mappings,
// which the test may edit, with its logs kept.
func startReloadable(t *testing.T) (*bridge, string) {
	t.Helper()
	dir := copyMappings(t)
	b := launchBridge(t, setup{srv: natstest.Start(t), logs: &logBuffer{},
		edit: func(c *config.Config) { c.Mappings = dir }})
	return b, dir
}

// copyMappings copies ../../mappings into a temporary directory.
func copyMappings(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob("../../mappings/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no mappings to copy: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// save writes a file the way editors do: a hidden temporary file renamed
// over the old one.
func save(t *testing.T, path, text string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// replaceOnce replaces old, which must occur in s, once.
func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("mapping text has no %q", old)
	}
	return strings.Replace(s, old, new, 1)
}

// withEventName makes the pix rule emit event_name instead of received.
func withEventName(t *testing.T, pix, name string) string {
	t.Helper()
	return replaceOnce(t, pix, "    event_name: received\n", "    event_name: "+name+"\n")
}

// broken adds two problems to the pix mapping: an unknown key and a data
// expression that does not type-check. It returns the text and the line of
// each problem.
func broken(t *testing.T, pix string) (text string, unknownKeyLine, typeErrorLine int) {
	t.Helper()
	text = replaceOnce(t, pix, "    event_name: received\n", "    event_name: received\n    colour: blue\n")
	text = replaceOnce(t, text, `currency: '"BRL"'`, `currency: '"BRL" + 1'`)
	for i, line := range strings.Split(text, "\n") {
		switch {
		case strings.Contains(line, "colour: blue"):
			unknownKeyLine = i + 1
		case strings.Contains(line, `"BRL" + 1`):
			typeErrorLine = i + 1
		}
	}
	return text, unknownKeyLine, typeErrorLine
}

// pixBody is examples/pix/pix.single.json with its own endToEndId, so each
// body is a delivery of its own.
func pixBody(t *testing.T, e2eid string) []byte {
	t.Helper()
	return withE2EID(readExample(t, "pix/pix.single.json"), e2eid)
}

func withE2EID(pixSingle []byte, e2eid string) []byte {
	return bytes.Replace(pixSingle, []byte("E87654321202509101112Nn3Pp5Rr7Tt"), []byte(e2eid), 1)
}

// postPix delivers a new pix callback and returns the answer and the type
// of its one event ("" when there is none).
func postPix(t *testing.T, b *bridge, e2eid string) (reply, string) {
	t.Helper()
	r := post(t, b.base+"/webhooks/pix", pixBody(t, e2eid), nil)
	return r, eventType(r)
}

func eventType(r reply) string {
	events, _ := r.body["events"].([]any)
	if len(events) != 1 {
		return ""
	}
	e, _ := events[0].(map[string]any)
	typ, _ := e["type"].(string)
	return typ
}

// reloads counts the reloads the daemon logged: done and failed.
func reloads(t *testing.T, b *bridge) (ok, failed int) {
	t.Helper()
	return len(b.logs.records(t, reloadedMsg)), len(b.logs.records(t, failedMsg))
}

// scrape returns the samples GET /metrics serves, by series
// (`name{labels}`, as written).
func scrape(t *testing.T, b *bridge) map[string]float64 {
	t.Helper()
	r := do(t, mustRequest(t, http.MethodGet, b.admin+"/metrics"))
	if r.status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", r.status, r.raw)
	}
	samples := map[string]float64{}
	for line := range strings.Lines(string(r.raw)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("GET /metrics: sample line %q", line)
		}
		samples[line[:i]] = v
	}
	return samples
}

const (
	reloadsOK     = `bridge_mapping_reloads_total{result="success"}`
	reloadsFailed = `bridge_mapping_reloads_total{result="failure"}`
	providers     = "bridge_mapping_providers"
	lastSuccess   = "bridge_mapping_last_reload_success_timestamp_seconds"
)

// wantMetrics checks samples against want.
func wantMetrics(t *testing.T, samples map[string]float64, want map[string]float64) {
	t.Helper()
	for series, v := range want {
		if got, ok := samples[series]; !ok || got != v {
			t.Errorf("%s = %v (present: %v), want %v", series, got, ok, v)
		}
	}
}

// awaitReload waits until the daemon has reloaded (or failed to) more
// times than before.
func awaitReload(t *testing.T, b *bridge, okBefore, failedBefore int) {
	t.Helper()
	checkFor(t, 10*time.Second, func() error {
		if ok, failed := reloads(t, b); ok+failed <= okBefore+failedBefore {
			return fmt.Errorf("no reload yet: %d done and %d failed, as before", ok, failed)
		}
		return nil
	})
}

func TestBrokenEditKeepsTheRunningSet(t *testing.T) {
	b, dir := startReloadable(t)
	pixFile := filepath.Join(dir, "pix.yaml")
	if r, typ := postPix(t, b, "E0000000000000000000000000BROKE1"); r.status != http.StatusAccepted || typ != pixReceived {
		t.Fatalf("before the edit: %d %s", r.status, r.raw)
	}

	text, keyLine, exprLine := broken(t, readText(t, pixFile))
	save(t, pixFile, text)
	checkFor(t, 10*time.Second, func() error {
		if n := scrape(t, b)[reloadsFailed]; n != 1 {
			return fmt.Errorf("%s = %v, want 1", reloadsFailed, n)
		}
		return nil
	})
	wantMetrics(t, scrape(t, b), map[string]float64{reloadsOK: 0, providers: shipped})
	recs := b.logs.records(t, failedMsg)
	if len(recs) != 1 {
		t.Fatalf("%d failed reloads logged, want 1", len(recs))
	}
	rec := recs[0]
	if rec["level"] != "ERROR" || rec["trigger"] != "file_change" {
		t.Errorf("failure logged as %v", rec)
	}
	problems, _ := rec["problems"].([]any)
	want := []struct{ prefix, msg string }{
		{fmt.Sprintf("%s:%d:5: ", pixFile, keyLine), `unknown key "colour"`},
		{fmt.Sprintf("%s:%d:", pixFile, exprLine), "mismatched types string and int"},
	}
	if len(problems) != len(want) {
		t.Fatalf("problems %v, want %d", rec["problems"], len(want))
	}
	for i, w := range want {
		p, _ := problems[i].(string)
		if !strings.HasPrefix(p, w.prefix) || !strings.Contains(p, w.msg) {
			t.Errorf("problem %d: %q, want %q...%q", i, p, w.prefix, w.msg)
		}
	}

	// The previous set still serves pix, and the bridge stays ready.
	if r, typ := postPix(t, b, "E0000000000000000000000000BROKE2"); r.status != http.StatusAccepted || typ != pixReceived {
		t.Errorf("after the broken edit: %d %s, want 202 %s", r.status, r.raw, pixReceived)
	}
	if r := do(t, mustRequest(t, http.MethodGet, b.admin+"/readyz")); r.status != http.StatusOK {
		t.Errorf("readyz after a failed reload: %d %s", r.status, r.raw)
	}
}

func TestValidEditsTakeEffect(t *testing.T) {
	b, dir := startReloadable(t)
	pixFile := filepath.Join(dir, "pix.yaml")
	pix := readText(t, pixFile)
	acme := replaceOnce(t, pix, "provider: pix\n", "provider: acme\n")
	n := 0
	deliver := func(t *testing.T, provider string) reply {
		t.Helper()
		n++
		return post(t, b.base+"/webhooks/"+provider, pixBody(t, fmt.Sprintf("E%020dVALID%06d", 0, n)), nil)
	}

	steps := []struct {
		name     string
		change   func(t *testing.T)
		provider string
		status   int
		typ      string
		mapped   float64 // providers in the set
	}{
		{name: "event name changed, saved in place", provider: "pix", status: http.StatusAccepted, typ: pixCredited, mapped: shipped,
			change: func(t *testing.T) {
				if err := os.WriteFile(pixFile, []byte(withEventName(t, pix, "credited")), 0o644); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "event name changed back, saved by rename", provider: "pix", status: http.StatusAccepted, typ: pixReceived, mapped: shipped,
			change: func(t *testing.T) { save(t, pixFile, pix) }},
		{name: "provider added", provider: "acme", status: http.StatusAccepted, typ: "event.acme.pix.pix.received", mapped: shipped + 1,
			change: func(t *testing.T) { save(t, filepath.Join(dir, "acme.yml"), acme) }},
		{name: "provider removed", provider: "acme", status: http.StatusNotFound, mapped: shipped,
			change: func(t *testing.T) {
				if err := os.Remove(filepath.Join(dir, "acme.yml")); err != nil {
					t.Fatal(err)
				}
			}},
	}
	if r := deliver(t, "acme"); r.status != http.StatusNotFound {
		t.Fatalf("acme before it is added: %d %s", r.status, r.raw)
	}
	loadedAt := scrape(t, b)[lastSuccess]
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			ok, failed := reloads(t, b)
			st.change(t)
			awaitReload(t, b, ok, failed)
			if _, f := reloads(t, b); f != failed {
				t.Fatalf("the reload failed: %v", b.logs.records(t, failedMsg))
			}
			samples := scrape(t, b)
			wantMetrics(t, samples, map[string]float64{reloadsOK: float64(i + 1), reloadsFailed: 0, providers: st.mapped})
			if at := samples[lastSuccess]; at < loadedAt {
				t.Errorf("%s went back from %v to %v", lastSuccess, loadedAt, at)
			} else {
				loadedAt = at
			}
			r := deliver(t, st.provider)
			if r.status != st.status || eventType(r) != st.typ {
				t.Errorf("delivery: %d %s, want %d %s", r.status, r.raw, st.status, st.typ)
			}
		})
	}
	rec := b.logs.records(t, reloadedMsg)
	if last := rec[len(rec)-1]; fmt.Sprint(last["providers"]) != fmt.Sprint(shippedNames()) || fmt.Sprint(last["files"]) != "[acme.yml]" {
		t.Errorf("last reload logged as %v", last)
	}
}

func TestReloadOnRequest(t *testing.T) {
	// What SIGHUP does in `bridge run`.
	b, dir := startReloadable(t)
	if err := b.Reload(); err != nil {
		t.Fatal(err)
	}
	if ok, failed := reloads(t, b); ok != 1 || failed != 0 {
		t.Fatalf("%d reloads done and %d failed, want 1 and 0", ok, failed)
	}
	wantMetrics(t, scrape(t, b), map[string]float64{reloadsOK: 1, reloadsFailed: 0, providers: shipped})
	if rec := b.logs.records(t, reloadedMsg)[0]; rec["trigger"] != "request" {
		t.Errorf("reload logged as %v", rec)
	}

	// Break a file and let the watcher see it, then ask again.
	pixFile := filepath.Join(dir, "pix.yaml")
	text, keyLine, _ := broken(t, readText(t, pixFile))
	save(t, pixFile, text)
	awaitReload(t, b, 1, 0)
	err := b.Reload()
	ps := transform.DiagnosticsOf(err)
	if len(ps) != 2 || ps[0].File != pixFile || ps[0].Line != keyLine {
		t.Fatalf("Reload of a broken set: %v", err)
	}
	if ok, failed := reloads(t, b); ok != 1 || failed != 2 {
		t.Fatalf("%d reloads done and %d failed, want 1 and 2", ok, failed)
	}
	wantMetrics(t, scrape(t, b), map[string]float64{reloadsOK: 1, reloadsFailed: 2, providers: shipped})
	if r, typ := postPix(t, b, "E000000000000000000000000REQUEST"); r.status != http.StatusAccepted || typ != pixReceived {
		t.Errorf("after the failed reloads: %d %s", r.status, r.raw)
	}
}

// TestReloadUnderLoad rewrites the pix mapping, valid and broken in turn,
// while senders deliver unique callbacks and retry any failure as a
// provider would: every delivery is stored exactly once, no reload turns a
// delivery away, and each event is stored under the type its answer named.
func TestReloadUnderLoad(t *testing.T) {
	b, dir := startReloadable(t)
	pixFile := filepath.Join(dir, "pix.yaml")
	pix := readText(t, pixFile)
	brokenPix, _, _ := broken(t, pix)
	variants := []string{withEventName(t, pix, "credited"), brokenPix, pix, brokenPix}
	const senders, perSender, minRewrites = 4, 300, 6

	type outcome struct {
		status   int    // of the 2xx answer that ended the delivery
		typ, key string // its event's type and idempotency key
		lost     bool   // an earlier attempt ended without an answer
		refused  []string
	}
	results := make([][]outcome, senders)
	tmpl := readExample(t, "pix/pix.single.json")
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	sendersDone := make(chan struct{})
	for s := range senders {
		results[s] = make([]outcome, perSender)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perSender {
				o := &results[s][i]
				body := withE2EID(tmpl, fmt.Sprintf("E%02d%018dLOAD%07d", s, 0, i))
				for attempt := 0; o.status == 0 && attempt < 100; attempt++ {
					resp, err := client.Post(b.base+"/webhooks/pix", "application/json", bytes.NewReader(body))
					if err != nil {
						o.lost = true
						time.Sleep(10 * time.Millisecond)
						continue
					}
					raw, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					switch {
					case err != nil:
						o.lost = true
					case resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK:
						r := reply{status: resp.StatusCode}
						_ = json.Unmarshal(raw, &r.body) // a body that is not JSON fails the checks below
						o.status, o.typ = r.status, eventType(r)
						if events, _ := r.body["events"].([]any); len(events) == 1 {
							o.key, _ = events[0].(map[string]any)["idempotencykey"].(string)
						}
					default:
						o.refused = append(o.refused, fmt.Sprintf("%d %s", resp.StatusCode, raw))
						time.Sleep(10 * time.Millisecond)
					}
				}
			}
		}()
	}
	go func() { wg.Wait(); close(sendersDone) }()

	rewrites := 0
	for busy := true; busy || rewrites < minRewrites; rewrites++ {
		ok, failed := reloads(t, b)
		save(t, pixFile, variants[rewrites%len(variants)])
		awaitReload(t, b, ok, failed)
		select {
		case <-sendersDone:
			busy = false
		default:
		}
	}
	<-sendersDone
	ok, failed := reloads(t, b)
	t.Logf("%d rewrites: %d reloads done, %d failed", rewrites, ok, failed)
	wantMetrics(t, scrape(t, b), map[string]float64{reloadsOK: float64(ok), reloadsFailed: float64(failed), providers: shipped})
	if ok < minRewrites/2 || failed < minRewrites/2 {
		t.Errorf("%d reloads done and %d failed, want at least %d of each", ok, failed, minRewrites/2)
	}

	answered := map[string]string{} // idempotency key -> type
	for s := range results {
		for i, o := range results[s] {
			switch {
			case len(o.refused) > 0:
				t.Errorf("sender %d delivery %d refused during reloads: %v", s, i, o.refused)
			case o.status == 0:
				t.Errorf("sender %d delivery %d never answered 2xx", s, i)
			case o.status == http.StatusOK && !o.lost:
				t.Errorf("sender %d delivery %d: first answer was a duplicate", s, i)
			case o.typ != pixReceived && o.typ != pixCredited || o.key == "":
				t.Errorf("sender %d delivery %d: type %q key %q", s, i, o.typ, o.key)
			case answered[o.key] != "":
				t.Errorf("sender %d delivery %d: key %s answered twice", s, i, o.key)
			default:
				answered[o.key] = o.typ
			}
		}
	}

	const total = senders * perSender
	if n := streamMsgs(t, b.js, "EVENTS"); n != total {
		t.Errorf("EVENTS holds %d messages, want %d", n, total)
	}
	stored := storedTypes(t, b.js, total)
	for key, typ := range answered {
		if stored[key] != typ {
			t.Errorf("event %s answered as %s, stored as %q", key, typ, stored[key])
		}
	}
}

// storedTypes reads the first n events of EVENTS and returns the type of
// each by idempotency key; a key stored twice fails the test.
func storedTypes(t *testing.T, js jetstream.JetStream, n int) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, "EVENTS", jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for read, empty := 0, 0; read < n; {
		batch, err := cons.Fetch(min(n-read, 500), jetstream.FetchMaxWait(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			key := m.Headers().Get("Nats-Msg-Id")
			if _, dup := types[key]; dup {
				t.Errorf("idempotency key %s stored twice", key)
			}
			types[key] = m.Headers().Get("ce-type")
		}
		if err := batch.Error(); err != nil {
			t.Fatal(err)
		}
		read += got
		if got == 0 {
			if empty++; empty == 3 {
				t.Fatalf("read %d of %d events", read, n)
			}
		}
	}
	return types
}

func TestUnwatchableDirectoryStillServes(t *testing.T) {
	dir := copyMappings(t)
	logs := &logBuffer{}
	b := launchBridge(t, setup{srv: natstest.Start(t), logs: logs, edit: func(c *config.Config) { c.Mappings = dir },
		beforeStart: func(t *testing.T, _ *Daemon) {
			// The set is loaded; the directory goes away before Start watches it.
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
		}})
	if len(logs.records(t, "mappings directory not watched; reload with SIGHUP")) != 1 {
		t.Error("no warning about the unwatched directory")
	}
	if r, typ := postPix(t, b, "E00000000000000000000UNWATCHED00"); r.status != http.StatusAccepted || typ != pixReceived {
		t.Errorf("delivery: %d %s", r.status, r.raw)
	}
	if err := b.Reload(); err == nil {
		t.Error("Reload of a missing directory succeeded")
	}
	if r := do(t, mustRequest(t, http.MethodGet, b.admin+"/readyz")); r.status != http.StatusOK {
		t.Errorf("readyz: %d %s", r.status, r.raw)
	}
}

func TestShutdownStopsTheWatcher(t *testing.T) {
	dir := copyMappings(t)
	pixFile := filepath.Join(dir, "pix.yaml")
	pix := readText(t, pixFile)
	for round, name := range []string{"credited", "refunded"} {
		b := launchBridge(t, setup{logs: &logBuffer{}, edit: func(c *config.Config) { c.Mappings = dir }})
		if watcherGoroutines() == "" {
			t.Fatalf("round %d: no watcher goroutine while running", round)
		}
		save(t, pixFile, withEventName(t, pix, name))
		awaitReload(t, b, 0, 0)
		if r, typ := postPix(t, b, fmt.Sprintf("E%020dROUND%06d", 0, round)); typ != "event.pix.pix.pix."+name {
			t.Fatalf("round %d: %d %s", round, r.status, r.raw)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := b.Shutdown(ctx)
		cancel()
		if err != nil {
			t.Fatalf("round %d: shutdown: %v", round, err)
		}
		checkFor(t, 5*time.Second, func() error {
			if g := watcherGoroutines(); g != "" {
				return fmt.Errorf("round %d: goroutines left after Shutdown:\n%s", round, g)
			}
			return nil
		})
	}
}

// watcherGoroutines returns the stacks of the goroutines that watch a
// mappings directory.
func watcherGoroutines() string {
	return strings.Join(natstest.Goroutines("fsnotify", "(*mappingWatcher)"), "\n\n")
}

// shipped is the number of mapping files in ../../mappings.
var shipped = func() float64 {
	files, _ := filepath.Glob("../../mappings/*.yaml")
	return float64(len(files))
}()

// shippedNames lists the providers of ../../mappings, sorted (as the log
// writes them).
func shippedNames() []string {
	files, _ := filepath.Glob("../../mappings/*.yaml")
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".yaml"))
	}
	return names
}
