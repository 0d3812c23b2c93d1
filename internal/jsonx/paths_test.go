package jsonx

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// projectAny is what DecodePaths must give: the full decode cut to need.
func projectAny(v any, n *Paths) any {
	o, isObj := v.(map[string]any)
	if n.whole || !isObj {
		return v
	}
	out := map[string]any{}
	for k, kid := range n.kids {
		if x, ok := o[k]; ok {
			out[k] = projectAny(x, kid)
		}
	}
	return out
}

// stripeReads are the paths mappings/stripe.yaml reads of a payload
// (transform's TestShippedMappingsReadInPart checks that it reads in part).
var stripeReads = []string{
	"created",
	"data.object.amount",
	"data.object.amount_captured",
	"data.object.amount_received",
	"data.object.amount_refunded",
	"data.object.capture_method",
	"data.object.created",
	"data.object.currency",
	"data.object.customer",
	"data.object.description",
	"data.object.id",
	"data.object.last_payment_error.code",
	"data.object.last_payment_error.decline_code",
	"data.object.last_payment_error.message",
	"data.object.last_payment_error.payment_method.type",
	"data.object.last_payment_error.type",
	"data.object.latest_charge",
	"data.object.metadata",
	"data.object.paid",
	"data.object.payment_intent",
	"data.object.payment_method",
	"data.object.payment_method_details.card.brand",
	"data.object.payment_method_details.card.last4",
	"data.object.payment_method_details.type",
	"data.object.refunded",
	"data.object.status",
	"id",
	"livemode",
	"type",
}

func pathsOf(list []string) *Paths {
	n := &Paths{}
	for _, p := range list {
		n.Add(strings.Split(p, "."))
	}
	return n
}

func TestPathsAddAndList(t *testing.T) {
	tests := []struct {
		name string
		add  []string
		want []string
	}{
		{"nothing", nil, nil},
		{"leaves", []string{"a.b", "a.c", "d"}, []string{"p.a.b", "p.a.c", "p.d"}},
		{"a whole value covers its keys", []string{"a.b", "a", "a.c"}, []string{"p.a"}},
		{"the root", []string{"a.b", ""}, []string{"p"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := &Paths{}
			for _, p := range tc.add {
				if p == "" {
					n.Add(nil)
					continue
				}
				n.Add(strings.Split(p, "."))
			}
			if got := n.List("p"); !slices.Equal(got, tc.want) {
				t.Errorf("List = %q, want %q", got, tc.want)
			}
			if n.Whole() != slices.Equal(tc.want, []string{"p"}) {
				t.Errorf("Whole = %v", n.Whole())
			}
		})
	}
	if !(*Paths)(nil).Whole() {
		t.Error("a nil *Paths must read everything")
	}
}

// FuzzDecodePathsAgreesWithDecode: Decode and DecodePaths (their one
// pass, or the general decoder for what that pass leaves) take what the
// general decoder takes, and give its values at the paths read; a body
// it refuses, they refuse with the same error.
func FuzzDecodePathsAgreesWithDecode(f *testing.F) {
	stripe, err := os.ReadFile("../../examples/stripe/charge.succeeded.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(stripe)
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		full, ferr := decodeGeneral(body)
		same := func(what string, got any, gerr error, reads *Paths) {
			t.Helper()
			if (gerr != nil) != (ferr != nil) {
				t.Fatalf("%q: %s error %v, general decoder error %v", body, what, gerr, ferr)
			}
			if ferr != nil {
				if gerr.Error() != ferr.Error() {
					t.Fatalf("%q: %s says %q, the general decoder %q", body, what, gerr, ferr)
				}
				return
			}
			// What can be read is the same (a body the pass leaves is
			// decoded whole).
			want := full
			if reads != nil {
				got, want = projectAny(got, reads), projectAny(full, reads)
			}
			if !identical(got, want) {
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(want)
				t.Fatalf("%q, %s:\ngot  %s\nwant %s", body, what, gj, wj)
			}
		}
		got, gerr := Decode(body)
		same("Decode", got, gerr, nil)
		for _, reads := range fuzzReads {
			got, gerr := DecodePaths(body, reads)
			same(fmt.Sprintf("DecodePaths of %q", reads.List("$")), got, gerr, reads)
		}
	})
}

// fuzzReads are the Paths the fuzz targets read: the Stripe mapping's, and
// short names a mutated body hits often, some read whole, some in part.
var fuzzReads = []*Paths{
	pathsOf(stripeReads),
	pathsOf([]string{"a", "b.c", "b.d.e", "x.y", "0", "k.l.m"}),
}

var fuzzSeeds = []string{
	`{"type":"x","data":{"object":{"id":"a","amount":1e400}}}`, `{"data":5}`, `{"data":{"object":[1]}}`,
	`{"id":"a","id":"b","data":{"object":{"id":1},"object":{"metadata":{"k":"v"}}}}`, `{"type":"\u00e9\ud800"}`, "{\"type\":\"\xff\"}",
	`[1,2]`, `{"a":01}`, `{"a":1.}`, `{"a":"x` + "\x01" + `"}`, `{"a":NaN}`, `{"type":"é"} x`, `  {"created": -0.0, "livemode": true, "data": {"object": {"metadata": {}}}}  `,
	`{"a":[1,[2,[]],{"k":"v","":""}],"b":{"c":"\u0041","d":{"e":[true,false,null]}},"z":"\n\"\\"}`,
	`{"b":{"c":"x","c":"y"},"b":{"d":{"e":12345678901234567891}}}`, `{"x":{"y":"\ud83d\ude00 \/"},"k":{"l":{"m":-1.5e-3}}}`,
	`{"\u0061":1,"a":2}`, `{"a":"é\u00e9"}`, "{\"a\":\"\xed\xa0\x80\"}", "{\"z\":\"\xed\xa0\x80\",\"a\":\"ok\"}",
	`{"a":1}` + "\t\r\n ", `{"a":tru}`, `{"a":-}`, `{"a":1e+}`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a" 1}`, `{"a":1,}`, `{,}`, `[,]`, `{"a":[1 2]}`,
	strings.Repeat(`{"a":`, 64) + `1` + strings.Repeat(`}`, 64), strings.Repeat(`{"a":`, 65) + `1` + strings.Repeat(`}`, 65),
}

// identical is reflect.DeepEqual that also tells -0 from 0: the JSON
// writer writes them differently.
func identical(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !identical(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !identical(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func TestPathsKid(t *testing.T) {
	n := &Paths{}
	for _, p := range [][]string{{"id"}, {"ab"}, {"type"}, {""}, {"data", "object"}, {"ab", "c"}} {
		n.Add(p)
	}
	for key, want := range map[string]bool{"id": true, "ab": true, "type": true, "": true, "data": true,
		"ie": false, "i": false, "typ": false, "types": false, "object": false, "a long key read by no one": false} {
		kid := n.kid([]byte(key))
		if (kid != nil) != want || kid != nil && kid.name != key {
			t.Errorf("kid(%q) = %v, want read: %v", key, kid, want)
		}
	}
	if n.kids["ab"].whole != true || n.kids["ab"].byLen != nil {
		t.Error("a key read whole reads every key below it")
	}
}
