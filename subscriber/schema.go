package subscriber

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemas are the JSON Schemas of Config.Schemas, compiled once when Run
// starts, keyed by the host and path of the dataschema URI that names them
// (the bridge's layout: <dir>/<host>/<path>). Files are read through an
// os.Root, so no link or ".." reaches outside the directory, and a $ref to
// an http(s) URL resolves to the file of the same layout: nothing is ever
// fetched over the network.
type schemas struct {
	byKey map[string]*jsonschema.Schema
}

// loadSchemas compiles every *.json file under dir; it returns every file
// that does not compile, joined.
func loadSchemas(dir string) (*schemas, error) {
	s := &schemas{byKey: map[string]*jsonschema.Schema{}}
	if dir == "" {
		return s, nil
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: Schemas: %w", ErrInvalidConfig, err)
	}
	defer root.Close()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(rootLoader{root})
	var errs []error
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		sch, err := c.Compile("https://" + p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path.Join(dir, p), err))
			return nil
		}
		s.byKey[p] = sch
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: Schemas: %w", ErrInvalidConfig, errors.Join(errs...))
	}
	return s, nil
}

// schemaKey is the file of a dataschema URI relative to the schemas
// directory, "" when it is not an http(s) URI.
func schemaKey(dataschema string) string {
	u, err := url.Parse(dataschema)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	// One host however it is spelt: case, a final dot, the scheme's
	// default port.
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if port := u.Port(); port != "" && !(u.Scheme == "https" && port == "443" || u.Scheme == "http" && port == "80") {
		host += ":" + port
	}
	return path.Clean(host + "/" + strings.TrimPrefix(u.Path, "/"))
}

// validate checks data against the schema dataschema names, when the
// directory has it. A dataschema with no local file is only metadata, as
// it is for the bridge.
func (s *schemas) validate(dataschema string, data []byte) error {
	sch := s.byKey[schemaKey(dataschema)]
	if sch == nil {
		return nil
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("data is not JSON: %w", err)
	}
	err = sch.Validate(v)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var msgs []string
	for _, u := range ve.BasicOutput().Errors {
		if u.Error != nil && u.KeywordLocation != "" {
			msgs = append(msgs, "/data"+u.InstanceLocation+": "+u.Error.String())
		}
	}
	if len(msgs) == 0 {
		msgs = []string{ve.Error()}
	}
	sort.Strings(msgs)
	return fmt.Errorf("data does not match %s: %s", dataschema, strings.Join(msgs, "; "))
}

// rootLoader reads https://<host>/<path> (and http) as the file
// <host>/<path> under the root.
type rootLoader struct{ root *os.Root }

func (l rootLoader) Load(loc string) (any, error) {
	key := schemaKey(loc)
	if key == "" || !fs.ValidPath(key) {
		return nil, fmt.Errorf("%s is not fetched: schemas are read from the schemas directory only", loc)
	}
	f, err := l.root.Open(key)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s is not fetched: no file %s in the schemas directory", loc, key)
	case err != nil:
		return nil, fmt.Errorf("%s: %s cannot be read inside the schemas directory (a link out of it is refused)", loc, key)
	}
	defer f.Close()
	return jsonschema.UnmarshalJSON(f)
}
