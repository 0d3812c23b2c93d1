package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaSet compiles JSON Schemas (draft 2020-12 unless a schema says
// otherwise) from local files, once per file. Only files are read: a $ref
// to a remote URL is a load error, never a fetch while an event waits.
//
// Files are read only under its roots (the schemas directory and the
// directories of the mapping files that use it), through os.OpenInRoot, so
// that neither `..`, an absolute path nor a symbolic link reaches a file
// elsewhere; a path outside is refused before anything is read of it. A
// frozen set (the playground's) reads no file at all: it has only the
// schemas the running set compiled.
type schemaSet struct {
	compiler *jsonschema.Compiler
	byPath   map[string]*jsonschema.Schema
	roots    *[]string // absolute; shared with the loader
	frozen   bool
}

func newSchemaSet(dir string) *schemaSet {
	roots := &[]string{}
	if dir != "" {
		*roots = append(*roots, mustAbs(dir))
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(localLoader{dir: dir, roots: roots})
	return &schemaSet{compiler: c, byPath: map[string]*jsonschema.Schema{}, roots: roots}
}

// frozenCopy returns a set that has s's compiled schemas and reads no file.
func (s *schemaSet) frozenCopy() *schemaSet {
	if s == nil {
		return &schemaSet{byPath: map[string]*jsonschema.Schema{}, roots: &[]string{}, frozen: true}
	}
	return &schemaSet{byPath: s.byPath, roots: s.roots, frozen: true}
}

// allow adds dir to the directories schema files may be read from.
func (s *schemaSet) allow(dir string) {
	if s.frozen {
		return
	}
	abs := mustAbs(dir)
	if !slices.Contains(*s.roots, abs) {
		*s.roots = append(*s.roots, abs)
	}
}

// errOutside is the error of a schema path outside the roots: it says
// nothing of the file (whether it exists, what it holds).
var errOutside = errors.New("is outside the mappings and schemas directories; schemas are read only from there")

// errFrozen is the error of a schema the frozen set does not have.
var errFrozen = errors.New("is not one of the running mapping set's schemas; the playground reads no schema file")

func (s *schemaSet) compile(path string) (*jsonschema.Schema, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if sch, ok := s.byPath[abs]; ok {
		return sch, nil
	}
	if s.frozen {
		return nil, fmt.Errorf("%w: %s %w", fs.ErrNotExist, path, errFrozen)
	}
	root, rel, ok := within(*s.roots, abs)
	if !ok {
		return nil, fmt.Errorf("%s %w", path, errOutside)
	}
	f, err := os.OpenInRoot(root, rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", fs.ErrNotExist, path)
		}
		return nil, fmt.Errorf("%s: cannot be read inside %s (a link out of it is refused)", path, root)
	}
	f.Close()
	sch, err := s.compiler.Compile("file://" + filepath.ToSlash(abs))
	if err != nil {
		return nil, err
	}
	s.byPath[abs] = sch
	return sch, nil
}

// within returns the root abs lies under and its path relative to it.
func within(roots []string, abs string) (root, rel string, ok bool) {
	for _, r := range roots {
		if rel, err := filepath.Rel(r, abs); err == nil && filepath.IsLocal(rel) {
			return r, rel, true
		}
	}
	return "", "", false
}

// localLoader reads schema files under the roots, and resolves an http(s)
// URL (a $ref against a schema's $id) to the file under the schemas
// directory whose path is the URL's host and path. Nothing is fetched over
// the network, and nothing is read outside the roots.
type localLoader struct {
	dir   string
	roots *[]string
}

func (l localLoader) Load(u string) (any, error) {
	var path string
	switch {
	case strings.HasPrefix(u, "file://"):
		pu, err := url.Parse(u)
		if err != nil || (pu.Host != "" && pu.Host != "localhost") {
			return nil, fmt.Errorf("%s is not a local file URL", u)
		}
		path = filepath.FromSlash(pu.Path)
	case strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://"):
		path = schemaFileFor(l.dir, u)
		if path == "" {
			return nil, fmt.Errorf("%s is not fetched: schemas are read from local files only (put it under the schemas directory as <host>/<path>)", u)
		}
	default:
		return nil, fmt.Errorf("%s is not fetched: schemas are read from local files only", u)
	}
	root, rel, ok := within(*l.roots, mustAbs(path))
	if !ok {
		return nil, fmt.Errorf("%s %w", u, errOutside)
	}
	f, err := os.OpenInRoot(root, rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s is not fetched: schemas are read from local files only (put it under the schemas directory as <host>/<path>)", u)
		}
		return nil, fmt.Errorf("%s cannot be read inside %s (a link out of it is refused)", u, root)
	}
	defer f.Close()
	return jsonschema.UnmarshalJSON(f)
}

func mustAbs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// schemaFileFor is where a dataschema URI's schema lives under the schemas
// directory: <dir>/<host>/<path>, for an http or https URI whose host and
// cleaned path stay inside the directory; "" for any other.
func schemaFileFor(dir, dataschema string) string {
	rel, err := schemaRel(dataschema)
	if err != nil || rel == "" || dir == "" {
		return ""
	}
	return filepath.Join(dir, rel)
}

// schemaRel is the path of an http(s) dataschema's file relative to the
// schemas directory: its host and path; "" for another scheme. A host or
// path that would leave the directory (.., an encoded .., a backslash) is
// an error.
func schemaRel(dataschema string) (string, error) {
	u, err := url.Parse(dataschema)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", nil
	}
	p := filepath.FromSlash(strings.TrimPrefix(u.Path, "/"))
	if !filepath.IsLocal(u.Host) || strings.ContainsAny(u.Host, `/\`) || strings.Contains(u.Path, `\`) || (p != "" && !filepath.IsLocal(p)) {
		return "", errors.New("its host and path must name a file under the schemas directory (no .. segments)")
	}
	rel := filepath.Join(u.Host, p)
	if p == "" || rel == "." {
		return "", nil // the directory itself: no file
	}
	return rel, nil
}

// validateData checks data against the rule's schema and returns every
// violation as "<JSON pointer>: <message>", sorted. data is validated as it
// will be written: when it holds only JSON's own values (native: what
// expressions give, times written as RFC 3339 by normalize), directly;
// otherwise after a round trip through its serialized form. check, when
// not nil, is sch's check: data it knows valid is not validated again; the
// validator runs on anything else and alone writes the violations.
func validateData(sch *jsonschema.Schema, check *schemaCheck, data any, serialized []byte, native bool) error {
	v := data
	if !native {
		var err error
		if v, err = jsonschema.UnmarshalJSON(bytes.NewReader(serialized)); err != nil {
			return err
		}
	}
	if check != nil && check.valid(v) {
		return nil
	}
	if at := unvalidatableNumber(v, ""); at != "" {
		return &SchemaError{Violations: []string{"/data" + at + ": a number of more than " + strconv.Itoa(maxValidatedNumber) +
			" characters, or with an exponent beyond ±999, is not validated"}}
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

// maxValidatedNumber is the longest number literal the validator is given:
// it reads numbers as big.Rat, whose cost grows with the literal's digits
// and with 10^exponent (attack of 2026-12-06: 1e-999999, passed from a
// payload to data, cost it seconds).
const maxValidatedNumber = 400

// unvalidatableNumber returns the JSON pointer of the first number literal
// in v too long, or with too large an exponent, for the validator; "" if
// none. A float64 is always fine (its exponent is at most ±324).
func unvalidatableNumber(v any, at string) string {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if len(s) > maxValidatedNumber {
			return at
		}
		if i := strings.IndexAny(s, "eE"); i >= 0 && len(strings.TrimLeft(s[i+1:], "+-0")) > 3 {
			return at
		}
	case map[string]any:
		for k, e := range x {
			if p := unvalidatableNumber(e, at+"/"+pointerToken(k)); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range x {
			if p := unvalidatableNumber(e, at+"/"+strconv.Itoa(i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// pointerToken escapes a key as a JSON pointer token (RFC 6901).
func pointerToken(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
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
		// Maps and lists are normalized in place: only a time is replaced.
		for k, e := range x {
			if t, ok := e.(time.Time); ok {
				x[k] = t.Format(time.RFC3339Nano)
			} else {
				normalize(e)
			}
		}
	case []any:
		for i, e := range x {
			if t, ok := e.(time.Time); ok {
				x[i] = t.Format(time.RFC3339Nano)
			} else {
				normalize(e)
			}
		}
	}
	return v
}

// SchemaFiles lists the schema files the set compiled (absolute paths,
// sorted): what a process without the set needs to read to have the same
// schemas (see SchemasOnly).
func (s *Set) SchemaFiles() []string {
	if s == nil || s.schemas == nil {
		return nil
	}
	files := make([]string, 0, len(s.schemas.byPath))
	for f := range s.schemas.byPath {
		files = append(files, f)
	}
	sort.Strings(files)
	return files
}

// SchemasOnly returns a set with no mappings whose schemas are files, each
// compiled as a mapping set would (a $ref read under dir): for
// Options.SchemasOf in a process that has only the list of another set's
// SchemaFiles.
func SchemasOnly(dir string, files []string) (*Set, error) {
	s := newSchemaSet(dir)
	for _, f := range files {
		s.allow(filepath.Dir(f))
		if _, err := s.compile(f); err != nil {
			return nil, fmt.Errorf("schema %s: %w", f, err)
		}
	}
	return &Set{mappings: map[string]*Mapping{}, schemas: s}, nil
}
