package main

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/publish"
)

// officialAsyncAPI compiles the official AsyncAPI 3.0.0 JSON Schema the
// asyncapi package's tests keep, offline.
func officialAsyncAPI(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("../../internal/asyncapi/testdata/asyncapi-3.0.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	const id = "http://asyncapi.com/definitions/3.0.0/asyncapi.json"
	c := jsonschema.NewCompiler()
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// yamlToJSONValue decodes YAML into the values jsonschema validates.
func yamlToJSONValue(t *testing.T, doc string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("the YAML does not parse: %v", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("the YAML is not JSON data: %v", err)
	}
	j, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestAsyncAPICommand(t *testing.T) {
	t.Setenv("BRIDGE_NATS_URL", "")
	t.Setenv("BRIDGE_NATS_LISTEN", "")
	t.Setenv("BRIDGE_CONFIG", "")
	sch := officialAsyncAPI(t)
	cfgFile := filepath.Join(t.TempDir(), "bridge.yaml")
	if err := os.WriteFile(cfgFile, []byte("nats:\n  url: nats://from-config.example.com:4222\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"asyncapi", "--mappings", "../../mappings", "--schemas", "../../schemas"}
	tests := []struct {
		name  string
		args  []string
		code  int
		out   string // in stdout
		err   string // in stderr
		valid string // "yaml" or "json": stdout is a valid AsyncAPI document
	}{
		{name: "yaml by default", args: base, out: "asyncapi: 3.0.0\n", valid: "yaml"},
		{name: "json", args: append(base[1:], "--format", "json"), out: `"asyncapi": "3.0.0"`, valid: "json"},
		{name: "embedded server", args: append(base[1:], "--nats-listen", "0.0.0.0:4333"), out: "host: 127.0.0.1:4333", valid: "yaml"},
		{name: "nats urls", args: append(base[1:], "--nats-url", "nats://u:secret@n1.example.com:4222,n2.example.com:4222"),
			out: "host: n2.example.com:4222", valid: "yaml"},
		{name: "config file", args: append(base[1:], "--config", cfgFile), out: "host: from-config.example.com:4222", valid: "yaml"},
		{name: "bad format", args: append(base[1:], "--format", "xml"), code: 2, err: `--format "xml": want yaml or json`},
		{name: "unknown flag", args: append(base[1:], "--formt", "json"), code: 2, err: "did you mean --format?"},
		{name: "no mappings", args: []string{"asyncapi", "--mappings", t.TempDir()}, code: 1, err: "no mapping files"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args[0] != "asyncapi" {
				args = append([]string{"asyncapi"}, args...)
			}
			code, out, errOut := runTool(t, "", args...)
			if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.err) {
				t.Fatalf("exit %d (want %d)\nstdout: %.400s\nstderr: %s", code, tc.code, out, errOut)
			}
			if strings.Contains(out, "secret") {
				t.Error("the document shows a NATS password")
			}
			var doc any
			switch tc.valid {
			case "":
				return
			case "yaml":
				doc = yamlToJSONValue(t, out)
			case "json":
				var err error
				if doc, err = jsonschema.UnmarshalJSON(strings.NewReader(out)); err != nil {
					t.Fatal(err)
				}
			}
			if err := sch.Validate(doc); err != nil {
				t.Errorf("not valid AsyncAPI 3.0.0: %v", err)
			}
		})
	}
}

// TestAsyncAPIDescribesStoredEvents: what a real bridge stores for a
// webhook (its NATS headers and its body) matches the message of its
// subject's channel in the document bridge asyncapi prints for the same
// settings, and the document's server is that NATS server.
func TestAsyncAPIDescribesStoredEvents(t *testing.T) {
	t.Setenv("BRIDGE_CONFIG", "")
	srv := natstest.Start(t)
	p := startProc(t, bridgeAddrs{nats: srv.URL()})
	postPix(t, p.addrs, 1)

	code, out, errOut := runTool(t, "", "asyncapi", "--mappings", "../../mappings", "--schemas", "../../schemas",
		"--nats-url", srv.URL(), "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srv.URL())
	if host := doc.(map[string]any)["servers"].(map[string]any)["nats"].(map[string]any)["host"]; host != u.Host {
		t.Errorf("server host %v, want %s", host, u.Host)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	if err := c.AddResource("urn:doc", doc); err != nil {
		t.Fatal(err)
	}

	_, js := natstest.Connect(t, srv.URL())
	msgs := natstest.StreamMessages(t, js, publish.DefaultStream)
	if len(msgs) == 0 {
		t.Fatal("nothing stored")
	}
	for _, m := range msgs {
		channel, ok := doc.(map[string]any)["channels"].(map[string]any)[m.Subject]
		if !ok {
			t.Errorf("stored on %s: no channel has that address", m.Subject)
			continue
		}
		if channel.(map[string]any)["address"] != m.Subject {
			t.Errorf("channel %s: address %v", m.Subject, channel.(map[string]any)["address"])
		}
		at := "urn:doc#/components/messages/" + m.Subject
		headers, err := c.Compile(at + "/headers")
		if err != nil {
			t.Fatal(err)
		}
		payload, err := c.Compile(at + "/payload")
		if err != nil {
			t.Fatal(err)
		}
		h := map[string]any{}
		for k, v := range m.Header {
			h[k] = v[0]
		}
		if err := headers.Validate(h); err != nil {
			t.Errorf("%s: the stored headers %v do not match the message's: %v", m.Subject, m.Header, err)
		}
		body, err := jsonschema.UnmarshalJSON(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		if err := payload.Validate(body); err != nil {
			t.Errorf("%s: the stored event does not match the message's payload: %v\n%s", m.Subject, err, m.Data)
		}
	}
}
