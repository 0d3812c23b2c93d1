package transform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// confinedTree is a mappings and a schemas directory, and beside them files
// a mapping must not read: a schema whose const is a secret, a file that is
// not JSON.
func confinedTree(t *testing.T) (mappings, schemas, outside string) {
	t.Helper()
	root := t.TempDir()
	mappings, schemas, outside = filepath.Join(root, "mappings"), filepath.Join(root, "schemas"), filepath.Join(root, "outside")
	for _, d := range []string{mappings, filepath.Join(schemas, "s.example", "v"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path, content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(outside, "secret.json"), `{"type": "object", "properties": {"x": {"const": "SECRET-CONST-VALUE"}}, "required": ["x"]}`)
	write(filepath.Join(outside, "passwd"), "TOPSECRET:x:0:0::/root:/bin/sh\n")
	write(filepath.Join(schemas, "s.example", "v", "ok.json"), `{"type": "object"}`)
	write(filepath.Join(mappings, "item.json"), `{"type": "object"}`)
	if err := os.Symlink(filepath.Join(outside, "secret.json"), filepath.Join(schemas, "s.example", "v", "link.json")); err != nil {
		t.Fatal(err)
	}
	return mappings, schemas, outside
}

func schemaMapping(ruleSchema string) string {
	return "provider: p\nmodule: m\naccepts: [nats]\nrules:\n  - when: 'true'\n    entity_type: e\n    event_name: n\n" +
		"    entity_id: '\"1\"'\n    source: '\"https://x.example\"'\n" + ruleSchema + "    data:\n      x: '\"other\"'\n"
}

func TestSchemaFilesStayInsideTheirDirectories(t *testing.T) {
	mappings, schemas, outside := confinedTree(t)
	for _, tc := range []struct {
		name, rule string
		refused    bool // a problem; else the rule loads without that schema
	}{
		{"schema with ..", "    schema: ../outside/secret.json\n", true},
		{"schema deep ..", "    schema: ../../../../../../../../" + strings.TrimPrefix(outside, "/") + "/passwd\n", true},
		{"schema through a link", "    schema: ../schemas/s.example/v/link.json\n", true},
		{"absolute schema stays under the file's directory", "    schema: " + outside + "/secret.json\n", true},
		{"dataschema with ..", "    dataschema: https://s.example/../../outside/secret.json\n", true},
		{"dataschema with an encoded ..", "    dataschema: https://s.example/%2e%2e/%2e%2e/outside/secret.json\n", true},
		{"dataschema host ..", "    dataschema: https://../outside/secret.json\n", true},
		{"file dataschema", "    dataschema: file://" + outside + "/secret.json\n", true},
		{"file dataschema with a host", "    dataschema: file://localhost" + outside + "/secret.json\n", false},
		{"urn dataschema is only metadata", "    dataschema: urn:example:schema\n", false},
		{"dataschema through a link", "    dataschema: https://s.example/v/link.json\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(mappings, "p.yaml")
			m, problems := Parse(path, []byte(schemaMapping(tc.rule)), Options{SchemasDir: schemas})
			text := (&LoadError{problems}).Error()
			for _, leak := range []string{"SECRET", "TOPSECRET", "const", "invalid character"} {
				if strings.Contains(text, leak) {
					t.Fatalf("the error leaks %q of a file outside: %s", leak, text)
				}
			}
			if tc.refused {
				if len(problems) == 0 {
					t.Fatalf("loads; want the schema refused")
				}
				t.Logf("refused: %s", text)
				return
			}
			if len(problems) > 0 {
				t.Fatalf("problems: %s", text)
			}
			if f := m.Rules()[0].SchemaFile; f != "" {
				t.Fatalf("the rule validates against %s", f)
			}
		})
	}
}

func TestSchemaRefsStayInsideTheirDirectories(t *testing.T) {
	mappings, schemas, outside := confinedTree(t)
	for _, ref := range []string{"file://" + outside + "/secret.json", "../../../outside/secret.json", "https://s.example/../outside/secret.json", "https://elsewhere.example/x.json"} {
		t.Run(ref, func(t *testing.T) {
			s := `{"$ref": "` + ref + `"}`
			if err := os.WriteFile(filepath.Join(schemas, "s.example", "v", "ref.json"), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
			_, problems := Parse(filepath.Join(mappings, "p.yaml"), []byte(schemaMapping("    dataschema: https://s.example/v/ref.json\n")), Options{SchemasDir: schemas})
			text := (&LoadError{problems}).Error()
			if len(problems) == 0 {
				t.Fatalf("a $ref to %s loads", ref)
			}
			if strings.Contains(text, "SECRET") || strings.Contains(text, "const") {
				t.Fatalf("the error leaks a file outside: %s", text)
			}
		})
	}
}

func TestSchemasInsideStillLoad(t *testing.T) {
	mappings, schemas, _ := confinedTree(t)
	for _, rule := range []string{"    schema: item.json\n", "    schema: ../schemas/s.example/v/ok.json\n", "    dataschema: https://s.example/v/ok.json\n"} {
		m, problems := Parse(filepath.Join(mappings, "p.yaml"), []byte(schemaMapping(rule)), Options{SchemasDir: schemas})
		if len(problems) > 0 {
			t.Fatalf("%s: %s", rule, (&LoadError{problems}).Error())
		}
		if m.Rules()[0].SchemaFile == "" {
			t.Errorf("%s: no schema", rule)
		}
	}
}

func TestSchemasOfReadsNoFile(t *testing.T) {
	mappings, schemas, _ := confinedTree(t)
	if err := os.WriteFile(filepath.Join(mappings, "p.yaml"), []byte(schemaMapping("    dataschema: https://s.example/v/ok.json\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := Load(mappings, Options{SchemasDir: schemas})
	if err != nil {
		t.Fatal(err)
	}
	// A schema the running set has is used.
	m, problems := Parse(filepath.Join(mappings, "p.yaml"), []byte(schemaMapping("    dataschema: https://s.example/v/ok.json\n")), Options{SchemasOf: set, SchemasDir: schemas})
	if len(problems) > 0 || m.Rules()[0].SchemaFile == "" {
		t.Fatalf("problems %v, schema %q", problems, m.Rules()[0].SchemaFile)
	}
	// A file inside, but not one the set loaded, is not read.
	_, problems = Parse(filepath.Join(mappings, "p.yaml"), []byte(schemaMapping("    schema: item.json\n")), Options{SchemasOf: set, SchemasDir: schemas})
	if len(problems) == 0 || !strings.Contains(problems[0].Msg, "reads no schema file") {
		t.Fatalf("problems %v, want the schema refused", problems)
	}
}

// FuzzSchemaRel checks that a dataschema never names a file outside the
// schemas directory.
func FuzzSchemaRel(f *testing.F) {
	for _, s := range []string{"https://s.example/v/ok.json", "https://s.example/../../x", "https://../x", "http://a/%2e%2e/b",
		`https://a\..\b/c`, "https://a/b/../../../c", "file:///etc/passwd", "https://a:80/b", "https://[::1]/x", "urn:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rel, err := schemaRel(s)
		if err != nil || rel == "" {
			return
		}
		if !filepath.IsLocal(rel) {
			t.Fatalf("%q resolves to %q, outside the schemas directory", s, rel)
		}
		dir := t.TempDir()
		if f := schemaFileFor(dir, s); !strings.HasPrefix(f, dir+string(filepath.Separator)) {
			t.Fatalf("%q resolves to %q, outside %s", s, f, dir)
		}
	})
}
