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
		`payload?.a`,
		`payload.a?.b`,
		`payload.a?.b?.c`,
		`payload?.a?.b?.c`,
		`payload.a?.b.c.d`,
		`payload.missing?.x.y`,
		`payload.a?.b ?? "dflt"`,
		`(payload.a?.b)?.c`,
		`payload.s?.x`,
		`payload.n?.x`,
		`payload.list?.x`,
		`payload.list?.[0]?.x`,
		`payload.a?.["b"]?.c`,
		`payload.a?.b?.c == nil`,
		`upper(payload.a?.b?.s ?? "z")`,
		`headers?.X`,
		`envelope?.name`,
	}
	payloads := []string{
		`{"a":{"b":{"c":1}}}`,
		`{"a":{"b":null}}`,
		`{"a":null}`,
		`{}`,
		`{"a":{"b":"x"}}`,
		`{"a":[1],"s":"str","n":2,"list":[{"x":1},{"y":2}]}`,
		`{"list":[]}`,
		`{"a":{"b":{"c":{"d":true}}}}`,
		`{"a":{"b":{"s":"low","c":null}}}`,
		`{"a":{"b":[1]}}`,
		`{"a":"s"}`,
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
	from, fk := fetchCall(prog.Node())
	if fk == nil || len(fk.keys) != 3 || fk.optional != nil || from.String() != "payload" {
		t.Fatalf("compiled into %s, want one %s call with the payload and three keys", prog.Node(), fetchFunc)
	}
}

// A chain with optional accesses compiles into one call when it is made
// of constant member accesses only.
func TestFetchRewriteFoldsOptionalChains(t *testing.T) {
	for _, tc := range []struct {
		src      string
		optional []bool // the one fetchFunc call's marks; nil: not folded
	}{
		{`payload.data.object.payment_method_details?.card?.brand`, []bool{false, false, false, true, true}},
		{`payload?.a`, []bool{true}},
		{`payload.a?.b.c`, []bool{false, true, false}},
		{`payload.a?.[payload.k]`, nil},
		{`headers?.X`, nil},
	} {
		prog, err := expr.Compile(tc.src, append([]expr.Option{expr.Env(env{})}, functions(nil)...)...)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		_, fk := fetchCall(prog.Node())
		var got []bool
		if fk != nil {
			got = fk.optional
		}
		if !reflect.DeepEqual(got, tc.optional) {
			t.Errorf("%s compiled into %s: optional marks %v, want %v", tc.src, prog.Node(), got, tc.optional)
		}
	}
}
