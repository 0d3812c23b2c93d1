package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// examplePayloadFiles are the provider payloads under examples/NAME, not
// the expected outputs.
func examplePayloadFiles(t *testing.T, name string) []string {
	t.Helper()
	all, _ := filepath.Glob(filepath.Join("..", "..", "examples", name, "*.json"))
	var out []string
	for _, p := range all {
		if !strings.HasSuffix(p, ".event.json") && !strings.HasSuffix(p, ".dropped.json") {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no payloads under examples/%s", name)
	}
	return out
}

// TestNewThenCheckAndTestPass: bridge new on each shipped example's
// payloads writes a file and its expected outputs; bridge check (with the
// secret's variable set) and bridge test pass right after, on the same
// directory.
func TestNewThenCheckAndTestPass(t *testing.T) {
	for _, tc := range []struct{ provider, scheme, env string }{
		{"stripe", "stripe", "STRIPE_WEBHOOK_SECRET"},
		{"github", "github", "GITHUB_WEBHOOK_SECRET"},
		{"pix", "none", ""},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			dir := t.TempDir()
			files := examplePayloadFiles(t, tc.provider)
			args := []string{"new", tc.provider, "--signature", tc.scheme, "--mappings", dir}
			for _, f := range files {
				args = append(args, "--from", f)
			}
			var out, errOut bytes.Buffer
			if code := run(args, nil, &out, &errOut); code != 0 {
				t.Fatalf("bridge new: exit %d\n%s%s", code, out.String(), errOut.String())
			}
			for _, f := range files {
				base := strings.TrimSuffix(filepath.Base(f), ".json")
				if _, err := os.Stat(filepath.Join(dir, tc.provider, base+".event.json")); err != nil {
					t.Errorf("expected file of %s not written: %v", f, err)
				}
			}
			if tc.env != "" && !strings.Contains(out.String(), "set "+tc.env) {
				t.Errorf("bridge new does not say which variable to set:\n%s", out.String())
			}
			if !strings.Contains(out.String(), "Next:") {
				t.Errorf("bridge new does not say what to edit next:\n%s", out.String())
			}
			if tc.env != "" {
				t.Setenv(tc.env, "whsec_scaffold_test")
			}
			out.Reset()
			if code := run([]string{"check", "--mappings", dir}, nil, &out, &errOut); code != 0 {
				t.Errorf("bridge check: exit %d\n%s", code, out.String())
			}
			out.Reset()
			code := run([]string{"test", "--mappings", dir}, nil, &out, &errOut)
			want := "passed, 0 failed"
			if code != 0 || !strings.Contains(out.String(), want) || strings.Contains(out.String(), "wrote") {
				t.Errorf("bridge test: exit %d\n%s", code, out.String())
			}
		})
	}
}

// TestNewRefusals: each refusal names what is wrong, with the exit code of
// its kind, and writes nothing.
func TestNewRefusals(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "notes.json")
	if err := os.WriteFile(notJSON, []byte("{\"type\": oops}"), 0o644); err != nil {
		t.Fatal(err)
	}
	sample := filepath.Join("..", "..", "examples", "stripe", "charge.succeeded.json")
	existing := t.TempDir()
	if err := os.WriteFile(filepath.Join(existing, "acme.yaml"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no provider", []string{"new", "--from", sample}, 2, "which provider?"},
		{"no sample", []string{"new", "acme", "--mappings", dir}, 2, "--from FILE is required"},
		{"extra argument", []string{"new", "acme", "other", "--from", sample}, 2, `unexpected argument "other"`},
		{"not JSON", []string{"new", "acme", "--from", notJSON, "--mappings", dir}, 1, notJSON + ": not JSON: invalid character 'o'"},
		{"missing sample", []string{"new", "acme", "--from", filepath.Join(dir, "nope.json"), "--mappings", dir}, 1, "nope.json: no such file"},
		{"bad provider", []string{"new", "Acme", "--from", sample, "--mappings", dir}, 1, `provider "Acme"`},
		{"unknown scheme", []string{"new", "acme", "--from", sample, "--signature", "strip", "--mappings", dir}, 1, `signature scheme "strip"`},
		{"existing file", []string{"new", "acme", "--from", sample, "--mappings", existing}, 1, filepath.Join(existing, "acme.yaml") + ": exists (give --force"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tc.args, nil, &out, &errOut)
			if code != tc.code || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut.String(), tc.code, tc.want)
			}
		})
	}
	if b, _ := os.ReadFile(filepath.Join(existing, "acme.yaml")); string(b) != "keep" {
		t.Errorf("the existing file was overwritten: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "acme.yaml")); err == nil {
		t.Error("a refused bridge new wrote a file")
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"new", "acme", "--from", sample, "--mappings", existing, "--force"}, nil, &out, &errOut); code != 0 {
		t.Errorf("--force: exit %d: %s%s", code, out.String(), errOut.String())
	}
}

// TestNewThroughTheBinary: the built binary scaffolds the Stripe examples,
// then its own check and test pass on the result.
func TestNewThroughTheBinary(t *testing.T) {
	bin := bridgeBinary(t)
	dir := t.TempDir()
	args := []string{"new", "stripe", "--signature", "stripe", "--mappings", dir}
	for _, f := range examplePayloadFiles(t, "stripe") {
		args = append(args, "--from", f)
	}
	env := append(os.Environ(), "STRIPE_WEBHOOK_SECRET=whsec_binary_test")
	for _, a := range [][]string{args, {"check", "--mappings", dir}, {"test", "--mappings", dir}} {
		cmd := exec.Command(bin, a...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bridge %s: %v\n%s", strings.Join(a, " "), err, out)
		}
		if a[0] == "test" && !strings.Contains(string(out), "5 passed, 0 failed") {
			t.Errorf("bridge test:\n%s", out)
		}
	}
}

// TestTestExpectDeadLetter: bridge test passes a fixture that expects the
// dead letter its payload gets, says so, and fails one that expects
// another reason.
func TestTestExpectDeadLetter(t *testing.T) {
	dir := t.TempDir()
	examples := filepath.Join("..", "..", "examples", "stripe")
	var out, errOut bytes.Buffer
	if code := run([]string{"new", "stripe", "--from", filepath.Join(examples, "charge.succeeded.json"), "--mappings", dir}, nil, &out, &errOut); code != 0 {
		t.Fatalf("bridge new: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	body, err := os.ReadFile(filepath.Join(examples, "customer.created.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stripe", "customer.created.json"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "stripe.yaml")
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		reason string
		code   int
		want   string
	}{
		{"no_rule", 0, "ok   stripe/charge.succeeded (dead letter no_rule)\n2 passed, 0 failed"},
		{"eval_error", 1, "dead-lettered no_rule, not eval_error"},
	} {
		fixture := "      - payload: stripe/customer.created.json\n        expect_dead_letter: " + tc.reason + "\n"
		if err := os.WriteFile(file, append(append([]byte(nil), orig...), fixture...), 0o644); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if code := run([]string{"test", "--mappings", dir}, nil, &out, &errOut); code != tc.code || !strings.Contains(out.String(), tc.want) {
			t.Errorf("%s: exit %d\n%s\nwant %d and %q", tc.reason, code, out.String(), tc.code, tc.want)
		}
	}
}

// TestNewSamplesThatOnceFailedTheirOwnTest: samples found by the attack of
// 2026-12-06 for which bridge new wrote a file that its own bridge test
// then refused: names whose copies collided (order.json and
// order.event.json), a field named entity_id (the profile's, in data), a
// string too long for an event. Each now scaffolds a file that passes.
func TestNewSamplesThatOnceFailedTheirOwnTest(t *testing.T) {
	in := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(in, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	samples := []string{
		write("order.json", `{"type":"order.paid","id":"o1","amount":10}`),
		write("order.event.json", `{"type":"order.refunded","id":"o2","amount":5}`),
		write("entity.json", `{"type":"thing.made","id":"t1","entity_id":"x","external_entity_id":"y"}`),
		write("long.json", `{"type":"note.added","id":"n1","text":"`+strings.Repeat("a", 12300)+`"}`),
	}
	dir := t.TempDir()
	args := []string{"new", "acme", "--signature", "none", "--mappings", dir}
	for _, s := range samples {
		args = append(args, "--from", s)
	}
	var out, errOut bytes.Buffer
	if code := run(args, nil, &out, &errOut); code != 0 {
		t.Fatalf("bridge new: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run([]string{"test", "--mappings", dir}, nil, &out, &errOut); code != 0 || !strings.Contains(out.String(), "4 passed, 0 failed") {
		t.Errorf("bridge test: exit %d\n%s", code, out.String())
	}
}

// TestNewRefusesToBreakTheDirectory: bridge new refuses, writing nothing,
// what would leave the mappings directory unloadable or write outside it:
// a provider another file maps, a symbolic link where it would write, an
// expected file that exists, a sample beyond the delivery limits.
func TestNewRefusesToBreakTheDirectory(t *testing.T) {
	sample := filepath.Join("..", "..", "examples", "stripe", "charge.succeeded.json")
	mapped := t.TempDir()
	if err := os.WriteFile(filepath.Join(mapped, "gh.yaml"), []byte("provider: acme\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	linked := t.TempDir()
	outside := filepath.Join(t.TempDir(), "created-outside")
	if err := os.Symlink(outside, filepath.Join(linked, "acme")); err != nil {
		t.Fatal(err)
	}
	expected := t.TempDir()
	if err := os.MkdirAll(filepath.Join(expected, "acme"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(expected, "acme", "charge.succeeded.event.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(t.TempDir(), "deep.json")
	if err := os.WriteFile(deep, []byte(`{"type":"a.b","x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir, from, want string
	}{
		{"provider mapped by another file", mapped, sample, `provider "acme" is already mapped by ` + filepath.Join(mapped, "gh.yaml")},
		{"symbolic link", linked, sample, filepath.Join(linked, "acme") + ": a symbolic link"},
		{"expected file exists", expected, sample, filepath.Join(expected, "acme", "charge.succeeded.event.json") + ": exists"},
		{"too deep", t.TempDir(), deep, "deep.json: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run([]string{"new", "acme", "--from", tc.from, "--mappings", tc.dir}, nil, &out, &errOut)
			if code != 1 || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errOut.String(), tc.want)
			}
			if _, err := os.Stat(filepath.Join(tc.dir, "acme.yaml")); err == nil {
				t.Error("a refused bridge new wrote the mapping file")
			}
		})
	}
	if _, err := os.Lstat(outside); err == nil {
		t.Error("bridge new wrote through a symbolic link")
	}
}
