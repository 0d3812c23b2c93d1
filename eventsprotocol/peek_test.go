package eventsprotocol

import (
	"testing"
)

func TestPeek(t *testing.T) {
	tests := []struct {
		name, in string
		want     Peeked
		bad      bool
	}{
		{"all fields", `{"name":"a:b:c","version":"2","id":"i","flowId":"f","payload":{"x":[1,{"token":"no"}]},"auth":{"x-sid":"s","token":"tok"}}`,
			Peeked{Name: "a:b:c", Version: StringVersion(2), ID: "i", FlowID: "f", Token: "tok"}, false},
		{"null token", `{"name":"a:b","auth":{"token":null}}`, Peeked{Name: "a:b"}, false},
		{"token not a string", `{"name":"a:b","auth":{"token":42}}`, Peeked{Name: "a:b"}, false},
		{"auth not an object", `{"auth":"tok"}`, Peeked{}, false},
		{"token only in the payload", `{"payload":{"auth":{"token":"tok"}}}`, Peeked{}, false},
		{"last key wins", `{"auth":{"token":"a"},"auth":{"token":"b"}}`, Peeked{Token: "b"}, false},
		{"last token wins", `{"auth":{"token":"a","token":"b"}}`, Peeked{Token: "b"}, false},
		{"keys match exactly", `{"Name":"a:b","AUTH":{"token":"t"},"auth":{"Token":"t"}}`, Peeked{}, false},
		{"not an object", `[1]`, Peeked{}, true},
		{"truncated", `{"name":"a:b"`, Peeked{}, true},
		{"trailing data", `{"name":"a:b"} {}`, Peeked{}, true},
		{"bad value", `{"payload":{x}}`, Peeked{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Peek([]byte(tc.in))
			if (err != nil) != tc.bad {
				t.Fatalf("err = %v, want error %v", err, tc.bad)
			}
			if !tc.bad && got != tc.want {
				t.Errorf("Peek = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// FuzzPeek: Peek never panics, and on whatever Parse accepts it reads the
// same name, id, flowId, version and auth.token as Parse.
func FuzzPeek(f *testing.F) {
	for _, s := range []string{
		`{"name":"a:b:c","version":1,"id":"i","flowId":"f","payload":{},"auth":{"token":"t"}}`,
		`{"name":"a:b","version":"1","id":"i","flowId":"f","payload":null,"auth":{"token":null,"token":"x"}}`,
		`{"auth":{"token":"a"},"auth":null}`, `{}`, `[]`, `{"a":`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, perr := Peek(data)
		e, err := Parse(data)
		if err != nil {
			return
		}
		if perr != nil {
			t.Fatalf("Parse accepts what Peek refuses: %v", perr)
		}
		tok, _ := e.Auth["token"].(string)
		if p.Name != e.Name || p.ID != e.ID || p.FlowID != e.FlowID || p.Version != e.Version || p.Token != tok {
			t.Fatalf("Peek %+v, Parse name %q id %q flowId %q version %v token %q", p, e.Name, e.ID, e.FlowID, e.Version, tok)
		}
	})
}
