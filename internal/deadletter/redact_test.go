package deadletter

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		contentType string
		paths       []string
		want        string
	}{
		{"nested", `{"id": "evt_1", "data": {"object": {"email": "ana@example.com", "amount": 100}}}`, "", []string{"data.object.email"},
			`{"id":"evt_1","data":{"object":{"email":"[redacted]","amount":100}}}`},
		{"wildcard list", `{"pix": [{"infoPagador": "a", "valor": "1.00"}, {"infoPagador": "b"}], "other": 1}`, "", []string{"pix[*].infoPagador"},
			`{"pix":[{"infoPagador":"[redacted]","valor":"1.00"},{"infoPagador":"[redacted]"}],"other":1}`},
		{"index", `{"items": [{"card": "4242"}, {"card": "5555"}]}`, "", []string{"items[1].card"},
			`{"items":[{"card":"4242"},{"card":"[redacted]"}]}`},
		{"star key and dollar prefix", `{"a": {"x": {"s": 1}, "y": {"s": 2, "t": 3}}}`, "", []string{"$.a.*.s"},
			`{"a":{"x":{"s":"[redacted]"},"y":{"s":"[redacted]","t":3}}}`},
		{"root list", `[{"k": 1}, {"k": 2, "j": true}]`, "", []string{"[*].k"},
			`[{"k":"[redacted]"},{"k":"[redacted]","j":true}]`},
		{"whole object", `{"customer": {"name": "Ana", "tax_id": ["1", "2"]}, "n": null}`, "", []string{"customer"},
			`{"customer":"[redacted]","n":null}`},
		{"several paths, key order and text kept", `{"z": "<&>", "b": "ação", "a": 1.50e3, "secret": "x"}`, "", []string{"nope", "secret"},
			`{"z":"<&>","b":"ação","a":1.50e3,"secret":"[redacted]"}`},
		{"no match", `{"a": {"b": 1}}`, "", []string{"a.c", "a.b.c"}, `{"a":{"b":1}}`},
		{"no paths: as it is", `{"a" : 1}`, "", nil, `{"a" : 1}`},
		{"not JSON: as it is", `id=1&email=ana`, "text/plain", []string{"email"}, `id=1&email=ana`},
		{"form", `id=1&email=ana%40example.com`, "application/x-www-form-urlencoded; charset=utf-8", []string{"email"},
			`email=%5Bredacted%5D&id=1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(Redact([]byte(tc.body), tc.contentType, tc.paths))
			if got != tc.want {
				t.Errorf("Redact =\n %s\nwant\n %s", got, tc.want)
			}
		})
	}
}

func TestPreview(t *testing.T) {
	tests := []struct {
		name, body string
		n          int
		want       string
	}{
		{"JSON compacted", "{\n  \"a\": 1,\n  \"b\": [1, 2]\n}\n", 120, `{"a":1,"b":[1,2]}`},
		{"one line", "line one\r\nline\ttwo", 120, "line one  line two"},
		{"cut on a rune boundary", `{"nome":"ação"}`, 12, `{"nome":"a` + "\u00e7…"},
		{"cut inside a rune", `{"nome":"ação"}`, 11, `{"nome":"a…`},
		{"invalid UTF-8", "a\xffb", 120, "a\uFFFDb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Preview([]byte(tc.body), tc.n); got != tc.want {
				t.Errorf("Preview = %q, want %q", got, tc.want)
			}
		})
	}
	long := Preview([]byte(strings.Repeat("x", 500)), 120)
	if len(long) != 120+len("…") {
		t.Errorf("Preview of 500 bytes is %d bytes long, want 120 and the ellipsis", len(long))
	}
}

func FuzzRedact(f *testing.F) {
	f.Add([]byte(`{"pix":[{"infoPagador":"a"}],"data":{"object":{"email":"x"}}}`), "pix[*].infoPagador")
	f.Add([]byte(`[1,[2,{"a":[3]}]]`), "[*][*].a")
	f.Add([]byte(`id=1&b=2`), "b")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		out := Redact(body, "application/json", []string{path})
		if !json.Valid(body) {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("Redact of valid JSON gave invalid JSON: %q -> %q", body, out)
		}
	})
}
