package transform

import (
	"reflect"
	"testing"

	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/expr-lang/expr"
)

// Member accesses compiled into fetchFunc calls give what expr's own
// member access gives: the same values, and the same error messages.
func TestFetchRewriteKeepsMemberAccess(t *testing.T) {
	exprs := []string{
		`payload.a`,
		`payload.a.b`,
		`payload.a.b.c`,
		`payload.a?.b.c`,
		`payload.a.b?.c`,
		`payload["a"].b`,
		`payload.list[0].x`,
		`payload.a.b == nil ? "none" : payload.a.b`,
		`len(payload.a)`,
		`map(payload.list, .x)`,
		`payload.s.x`,
		`payload.n.x`,
		`payload.missing.x`,
		`headers["X-A"] + provider`,
		`envelope.name`,
		`payload.a.b + 1`,
	}
	payloads := []string{
		`{"a":{"b":{"c":1}}}`,
		`{"a":{"b":null}}`,
		`{"a":null}`,
		`{}`,
		`{"a":{"b":"x"}}`,
		`{"a":[1],"s":"str","n":2,"list":[{"x":1},{"y":2}]}`,
		`{"list":[]}`,
		`[1,2]`,
		`"str"`,
	}
	for _, src := range exprs {
		patched, err := expr.Compile(src, append([]expr.Option{expr.Env(env{})}, functions(nil)...)...)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		plain, err := expr.Compile(src, append([]expr.Option{expr.Env(env{})}, bridgeFunctions(nil)...)...)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		pp, pl := &program{prog: patched}, &program{prog: plain}
		for _, body := range payloads {
			payload, err := jsonx.Decode([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			e := &env{Payload: payload, Headers: map[string]string{"X-A": "h"}, Provider: "p"}
			got, gerr := pp.run(e)
			want, werr := pl.run(e)
			if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
				t.Errorf("%s on %s: error %v, expr's own %v", src, body, gerr, werr)
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s on %s: %#v, expr's own %#v", src, body, got, want)
			}
		}
	}
}

// A chain of member accesses on the payload compiles into one call.
func TestFetchRewriteMergesAChain(t *testing.T) {
	prog, err := expr.Compile(`payload.data.object.id`, append([]expr.Option{expr.Env(env{})}, functions(nil)...)...)
	if err != nil {
		t.Fatal(err)
	}
	c := fetchCall(prog.Node())
	if c == nil || len(c.Arguments) != 4 {
		t.Fatalf("compiled into %s, want one %s call with the payload and three keys", prog.Node(), fetchFunc)
	}
}
