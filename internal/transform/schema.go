package transform

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaSet compiles JSON Schemas (draft 2020-12 unless a schema says
// otherwise) from local files, once per file. Only files are read: a $ref
// to a remote URL is a load error, never a fetch while an event waits.
type schemaSet struct {
	compiler *jsonschema.Compiler
	byPath   map[string]*jsonschema.Schema
}

func newSchemaSet(dir string) *schemaSet {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(localLoader{dir: dir})
	return &schemaSet{compiler: c, byPath: map[string]*jsonschema.Schema{}}
}

func (s *schemaSet) compile(path string) (*jsonschema.Schema, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if sch, ok := s.byPath[abs]; ok {
		return sch, nil
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("%w: %s", fs.ErrNotExist, path)
	}
	sch, err := s.compiler.Compile(abs)
	if err != nil {
		return nil, err
	}
	s.byPath[abs] = sch
	return sch, nil
}

// localLoader reads schema files, and resolves an http(s) URL (a $ref
// against a schema's $id) to the file under the schemas directory whose
// path is the URL's host and path. Nothing is fetched over the network.
type localLoader struct{ dir string }

func (l localLoader) Load(u string) (any, error) {
	if strings.HasPrefix(u, "file://") {
		return jsonschema.FileLoader{}.Load(u)
	}
	if f := schemaFileFor(l.dir, u); f != "" && (strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) {
		if _, err := os.Stat(f); err == nil {
			return jsonschema.FileLoader{}.Load("file://" + filepath.ToSlash(mustAbs(f)))
		}
	}
	return nil, fmt.Errorf("%s is not fetched: schemas are read from local files only (put it under the schemas directory as <host>/<path>)", u)
}

func mustAbs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// schemaFileFor is where a dataschema URI's schema lives under the schemas
// directory: <dir>/<host>/<path>.
func schemaFileFor(dir, dataschema string) string {
	u, err := url.Parse(dataschema)
	if err != nil || u.Host == "" || dir == "" {
		return ""
	}
	return filepath.Join(dir, u.Host, filepath.FromSlash(strings.TrimPrefix(u.Path, "/")))
}

// validateData checks data against the rule's schema and returns every
// violation as "<JSON pointer>: <message>", sorted. data is validated as it
// will be written: when it holds only JSON's own values (native: what
// expressions give, times written as RFC 3339 by normalize), directly;
// otherwise after a round trip through its serialized form.
func validateData(sch *jsonschema.Schema, data any, serialized []byte, native bool) error {
	v := data
	if !native {
		var err error
		if v, err = jsonschema.UnmarshalJSON(bytes.NewReader(serialized)); err != nil {
			return err
		}
	}
	err := sch.Validate(v)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var msgs []string
	var walk func(u jsonschema.OutputUnit)
	walk = func(u jsonschema.OutputUnit) {
		if u.Error != nil && len(u.Errors) == 0 {
			ptr := u.InstanceLocation
			if ptr == "" {
				ptr = "/"
			}
			msgs = append(msgs, "/data"+strings.TrimSuffix(ptr, "/")+": "+u.Error.String())
		}
		for _, c := range u.Errors {
			walk(c)
		}
	}
	walk(*ve.DetailedOutput())
	if len(msgs) == 0 {
		msgs = append(msgs, ve.Error())
	}
	sort.Strings(msgs)
	return &SchemaError{Violations: msgs}
}

// SchemaError lists where data breaks its schema.
type SchemaError struct {
	Violations []string // "<JSON pointer>: <message>"
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("data does not match its schema: %s", strings.Join(e.Violations, "; "))
}

// normalize rewrites, in place, the values of a data tree that JSON writes
// differently from what they are in Go: a time becomes its RFC 3339 text,
// exactly as encoding/json writes it.
func normalize(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
	}
	return v
}
