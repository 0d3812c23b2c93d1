package asyncapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzDecodeOrdered: the ordered decoder takes what encoding/json takes
// and gives the same values back through encodeJSON and encodeYAML.
func FuzzDecodeOrdered(f *testing.F) {
	for _, s := range []string{`{"b": 1, "a": [true, null, "x"]}`, `{"a": 1, "a": 2}`, `[]`, `1.5e3`, `"<&>"`, `{"a": {}}`, `{`, `[1,]`, `{} {}`, `"\u2028"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeOrdered(data)
		if errors.Is(err, errTooDeep) {
			return // encoding/json allows deeper nesting
		}
		if valid := json.Valid(data); (err == nil) != valid {
			t.Fatalf("decodeOrdered error %v, json.Valid %v", err, valid)
		}
		if err != nil {
			return
		}
		var want any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		out, err := encodeJSON(got)
		if err != nil {
			t.Fatal(err)
		}
		var back any
		dec = json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		if err := dec.Decode(&back); err != nil {
			t.Fatalf("encodeJSON wrote invalid JSON %q: %v", out, err)
		}
		if !reflect.DeepEqual(back, want) {
			t.Fatalf("round trip: %#v, want %#v", back, want)
		}
		if _, err := encodeYAML(got); err != nil {
			t.Fatalf("encodeYAML: %v", err)
		}
	})
}

// FuzzReadComments: a mapping file's comments are read without panicking,
// whatever the file holds.
func FuzzReadComments(f *testing.F) {
	f.Add([]byte("# head\nprovider: x\nrules:\n  # one\n  - name: a\n"))
	f.Add([]byte("- a\n"))
	f.Add([]byte("rules: 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := readComments(data)
		if err == nil && c.rules == nil {
			t.Fatal("nil rules map")
		}
	})
}
