package jsonx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

var raceEnabled bool

// The scan takes every valid body within the limits, refuses the rest
// (which the general decoder then refuses), and gives the general
// decoder's values.
func TestScanDecidesAsDecode(t *testing.T) {
	reads := pathsOf([]string{"a", "b.c", "b.d", "s"})
	tests := []struct {
		name, body string
		fast       bool // the scan decodes it itself, rather than Decode
	}{
		{"spaces around", " \t\r\n{\"a\": 1 , \"b\" : {\"c\" : [ ] } }\n ", true},
		{"not read", `{"x":{"y":[1,2,{"z":"w"}]},"a":null}`, true},
		{"a list whole", `{"a":[1,"two",[3,[]],{"k":false},null,true,-0.5e+2]}`, true},
		{"an object whole", `{"a":{"k":"v","":"","n":{"m":[]}}}`, true},
		{"a scalar where an object is read in part", `{"b":"string","a":1}`, true},
		{"a list where an object is read in part", `{"b":[{"c":1}]}`, true},
		{"the root not an object", `[{"a":1}]`, true},
		{"the root a scalar", `"a"`, true},
		{"repeated keys: the last wins", `{"b":{"c":1},"b":{"d":2},"a":1,"a":[2]}`, true},
		{"escapes in what is skipped", `{"x":["\"\\\/\b\f\n\r\t\u00e9\uD800",{"\u0078":1}],"a":2}`, true},
		{"invalid UTF-8 in what is skipped", "{\"x\":\"\xff\xfe\",\"a\":2}", true},
		{"UTF-8 in what is read", `{"a":"Pedido nº 10482 €😀","b":{"c":{"ключ":"значение"}}}`, true},
		{"escapes in a string read", `{"a":"\"\\\/\b\f\n\r\t\u0000\u00e9\u20AC"}`, true},
		{"a surrogate pair", `{"a":"\ud83d\ude00"}`, true},
		{"half a pair, then a character", `{"a":"\ud83dx\ude00"}`, true},
		{"half a pair, then another escape", `{"a":"\ud83d\n"}`, true},
		{"a high half twice", `{"a":"\ud83d\ud83d\ude00"}`, true},
		{"half a pair, then an escaped backslash and u", `{"a":"\ud83d\\ude00"}`, true},
		{"half a pair at the end", `{"a":"x\ud800"}`, true},
		{"an escape in a key of an object read whole", `{"a":{"\u006b":1,"k":2}}`, true},
		{"an escape in a key of an object read in part", `{"\u0061":1}`, true},
		{"an escape in a key not read", `{"\u0062":{"c":1}}`, true},
		{"invalid UTF-8 in a string read", "{\"a\":\"\xff\xc3(\xe2\x82\"}", true},
		{"a surrogate's UTF-8 in a string read", "{\"a\":\"\xed\xa0\x80\"}", true},
		{"invalid UTF-8 in a key read", "{\"b\":{\"\xff\":1}}", true},
		{"a long number", `{"a":12345678901234567891,"b":{"c":1e400}}`, true},
		{"at the depth limit", strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), true},
		{"beyond the depth limit", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), false},
		{"beyond the depth limit, skipped", `{"x":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`, false},
		{"beyond the value limit", `{"x":[` + strings.Repeat("{},", MaxValues) + `{}]}`, false},
		{"empty", ``, false},
		{"spaces only", `  `, false},
		{"trailing data", `{"a":1} {}`, false},
		{"a leading zero", `{"x":01}`, false},
		{"a bare minus", `{"x":-}`, false},
		{"a point without digits", `{"x":1.}`, false},
		{"an exponent without digits", `{"x":1e+}`, false},
		{"a plus sign", `{"x":+1}`, false},
		{"a hex number", `{"x":0x1}`, false},
		{"NaN", `{"x":NaN}`, false},
		{"a cut literal", `{"x":nul}`, false},
		{"a literal in capitals", `{"x":True}`, false},
		{"a control byte in a string", "{\"x\":\"a\x01\"}", false},
		{"a tab in a string", "{\"x\":\"a\tb\"}", false},
		{"an invalid escape", `{"x":"\a"}`, false},
		{"a short \\u escape", `{"x":"\u12"}`, false},
		{"an unterminated string", `{"x":"abc`, false},
		{"a trailing comma", `{"x":1,}`, false},
		{"a trailing comma in a list", `{"x":[1,]}`, false},
		{"a missing colon", `{"x" 1}`, false},
		{"a key not a string", `{x:1}`, false},
		{"a missing comma", `{"x":[1 2]}`, false},
		{"unclosed", `{"x":[1`, false},
		{"a byte order mark", "\xef\xbb\xbf{}", false},
		{"a single quote", `{'x':1}`, false},
		{"a comment", `{"x":1 /* */}`, false},
		{"a NUL after the value", "{}\x00", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			fast, ok := scanPath(body, reads)
			if ok != tc.fast {
				t.Errorf("the scan decodes it itself: %v, want %v", ok, tc.fast)
			}
			if ok && !json.Valid(body) {
				t.Errorf("the scan takes what encoding/json refuses")
			}
			got, gerr := DecodePaths(body, reads)
			whole, werr := Decode(body)
			full, ferr := decodeGeneral(body)
			if fmt.Sprint(gerr) != fmt.Sprint(ferr) || fmt.Sprint(werr) != fmt.Sprint(ferr) {
				t.Fatalf("DecodePaths error %v, Decode error %v, the general decoder's %v", gerr, werr, ferr)
			}
			if ferr != nil {
				return
			}
			if !identical(whole, full) {
				t.Errorf("Decode %#v, want %#v", whole, full)
			}
			want := projectAny(full, reads)
			if !identical(projectAny(got, reads), want) {
				t.Errorf("DecodePaths %#v, want %#v", got, want)
			}
			if ok && !identical(fast, want) {
				t.Errorf("the scan gives %#v, want %#v", fast, want)
			}
		})
	}
}

// FuzzUnquoteAgreesWithEncodingJSON: a string encoding/json takes, the
// scan takes, and unquotes to the same value.
func FuzzUnquoteAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{`a`, `\u00e9\ud800\udc00`, `\ud83d\ude00`, `\ud83d\\ude00`, `\udc00\ud800`, "\xff\xed\xa0\x80", `\/\b\f\n\r\t\"\\`, `\uD83D\uDE00`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		quoted := append(append([]byte{'"'}, raw...), '"')
		var want string
		if err := json.Unmarshal(quoted, &want); err != nil {
			if end, _, ok := scanString(quoted, 1); ok && end == len(quoted) {
				t.Fatalf("%q: the scan takes it, encoding/json says %v", quoted, err)
			}
			return
		}
		end, special, ok := scanString(quoted, 1)
		if !ok || end != len(quoted) {
			t.Fatalf("%q: encoding/json takes it, the scan ends at %d, %v", quoted, end, ok)
		}
		got := string(raw)
		if special && !plain(raw) {
			got = string(unquote(nil, raw))
		}
		if got != want {
			t.Fatalf("%q: unquoted %q, want %q", quoted, got, want)
		}
	})
}

// FuzzScanAgreesWithFastjson holds the scan to the fast path it replaced
// and to encoding/json: it takes nothing encoding/json refuses or a limit
// refuses; it takes everything the old path took (no backslash, valid
// UTF-8, fastjson's validation, the limits), and gives the same values;
// what it takes beyond that holds a backslash or invalid UTF-8, and it
// gives the values the general decoder gives.
func FuzzScanAgreesWithFastjson(f *testing.F) {
	stripe, err := os.ReadFile("../../examples/stripe/charge.succeeded.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(stripe)
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		valid := json.Valid(body)
		for _, reads := range fuzzReads {
			got, ok := scanPath(body, reads)
			old, oldOK := fastjsonPath(body, reads)
			if ok && (!valid || fastjson.ValidateBytes(body) != nil || checkLimits(body) != nil) {
				t.Fatalf("%q: the scan takes it; encoding/json valid %v, fastjson %v, limits %v", body, valid, fastjson.ValidateBytes(body), checkLimits(body))
			}
			if oldOK && !ok {
				t.Fatalf("%q: the old path took it, the scan does not", body)
			}
			if !ok {
				continue
			}
			if oldOK {
				if !identical(got, old) {
					t.Fatalf("%q:\nscan     %#v\nfastjson %#v", body, got, old)
				}
				continue
			}
			if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
				t.Fatalf("%q: the scan takes it, the old path did not, without a backslash or invalid UTF-8", body)
			}
			full, err := decodeGeneral(body)
			if err != nil {
				t.Fatalf("%q: the scan takes it, the general decoder says %v", body, err)
			}
			if want := projectAny(full, reads); !identical(got, want) {
				t.Fatalf("%q:\nscan    %#v\ngeneral %#v", body, got, want)
			}
		}
	})
}

// The Stripe example decodes in a pinned number of allocations: the
// objects' maps (a small map two, a larger one four, as Go's maps
// allocate), one for the numbers and the bytes of the strings and keys,
// one for the strings and one for the lists' elements. More is a
// regression; fewer, a pin to lower.
func TestDecodeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops what is put back")
	}
	body, err := os.ReadFile("../../examples/stripe/charge.succeeded.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		reads *Paths
		want  float64
	}{
		{"read as mappings/stripe.yaml reads it", pathsOf(stripeReads), 16}, // 53 with fastjson
		{"whole", nil, 44}, // 247 with goccy/go-json
	}
	for _, tc := range tests {
		got := testing.AllocsPerRun(100, func() {
			if _, err := DecodePaths(body, tc.reads); err != nil {
				t.Fatal(err)
			}
		})
		if got != tc.want {
			t.Errorf("%s: %v allocations, pinned at %v", tc.name, got, tc.want)
		}
	}
}

// What DecodePaths gives does not refer to the body: the caller may
// reuse its buffer.
func TestDecodePathsDoesNotAliasBody(t *testing.T) {
	stripe, err := os.ReadFile("../../examples/stripe/charge.succeeded.json")
	if err != nil {
		t.Fatal(err)
	}
	reads := pathsOf(append(stripeReads, "data.object.billing_details", "data.object.outcome"))
	for _, src := range [][]byte{stripe, []byte(`{"data":{"object":{"metadata":{"k":"v","é":["a",1.5,{"x":"y"}],"\u0065sc":"a\nb\u00e9\ud83d\ude00"}}},"id":"evt"}`)} {
		want, err := decodeGeneral(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []*Paths{reads, nil} {
			body := bytes.Clone(src)
			got, err := DecodePaths(body, r)
			if err != nil {
				t.Fatal(err)
			}
			for i := range body {
				body[i] = 'x'
			}
			want := want
			if r != nil {
				got, want = projectAny(got, r), projectAny(want, r)
			}
			if !identical(got, want) {
				t.Errorf("after the body changed:\n%#v\nwant %#v", got, want)
			}
		}
	}
}

// Decodes running at once, each then reusing its body's buffer, give
// each its own values (run with -race).
func TestDecodePathsConcurrent(t *testing.T) {
	stripe, err := os.ReadFile("../../examples/stripe/charge.succeeded.json")
	if err != nil {
		t.Fatal(err)
	}
	reads := pathsOf(stripeReads)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := range 50 {
				id := fmt.Sprintf("evt_%d_%d", g, n)
				src := bytes.Replace(stripe, []byte("evt_3S5kR2LkdIwHu7ix1Zx8yW7v"), []byte(id), 1)
				body := bytes.Clone(src)
				got, err := DecodePaths(body, reads)
				if err != nil {
					t.Error(err)
					return
				}
				clear(body)
				full, _ := Decode(src)
				if want := projectAny(full, reads); !reflect.DeepEqual(got, want) || got.(map[string]any)["id"] != id {
					t.Errorf("goroutine %d, decode %d: %#v", g, n, got)
					return
				}
			}
		})
	}
	wg.Wait()
}

// A string or a number boxed from its slot is the same any as one the
// runtime boxes: it compares, switches, reflects, prints and marshals
// alike.
func TestBoxedValuesAreOrdinary(t *testing.T) {
	strs := []string{"", "a", "Pedido nº 10482", strings.Repeat("x", 1000)}
	nums := []float64{0, -0.0, 1, -1.5, 15000, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1)}
	var boxed, plain []any
	for i := range strs {
		boxed, plain = append(boxed, boxString(&strs[i])), append(plain, any(strs[i]))
	}
	for i := range nums {
		boxed, plain = append(boxed, boxFloat64(&nums[i])), append(plain, any(nums[i]))
	}
	for i, b := range boxed {
		p := plain[i]
		if b != p || !reflect.DeepEqual(b, p) || reflect.TypeOf(b) != reflect.TypeOf(p) {
			t.Errorf("%#v: boxed differs from %#v", b, p)
		}
		if fmt.Sprintf("%#v %v %T", b, b, b) != fmt.Sprintf("%#v %v %T", p, p, p) {
			t.Errorf("%#v: printed differently", b)
		}
		switch x := b.(type) {
		case string:
			if x != p.(string) {
				t.Errorf("%q: as string %q", p, x)
			}
		case float64:
			if x != p.(float64) && !math.IsNaN(x) {
				t.Errorf("%v: as float64 %v", p, x)
			}
		default:
			t.Errorf("%#v: type %T", b, b)
		}
		bj, berr := json.Marshal(b)
		pj, perr := json.Marshal(p)
		if !bytes.Equal(bj, pj) || fmt.Sprint(berr) != fmt.Sprint(perr) {
			t.Errorf("%#v: marshalled %s %v, want %s %v", b, bj, berr, pj, perr)
		}
		m := map[any]int{p: 1}
		if m[b] != 1 {
			t.Errorf("%#v: not the same map key", b)
		}
	}
}

func BenchmarkDecodePaths(b *testing.B) {
	body, err := os.ReadFile("../../examples/stripe/charge.succeeded.json")
	if err != nil {
		b.Fatal(err)
	}
	reads := pathsOf(stripeReads)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodePaths(body, reads); err != nil {
			b.Fatal(err)
		}
	}
}

// scanStringByByte is scanString one byte at a time, the plain reading
// the eight-bytes-at-a-time scan must agree with.
func scanStringByByte(b []byte, i int) (end int, special, ok bool) {
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, special, true
		case c == '\\':
			special = true
			if i+1 >= len(b) {
				return i, false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return i, false, false
				}
				i += 5
			default:
				return i, false, false
			}
		case c < 0x20:
			return i, false, false
		case c >= 0x80:
			special = true
		}
	}
	return i, false, false
}

// Every byte that ends or marks a string, at every offset around the
// eight-byte steps, and runs of whitespace of every length.
func TestScanEightBytesAtATime(t *testing.T) {
	marks := []string{`"`, `\n`, `\u00e9`, `\x`, `\u12`, "\x00", "\x1f", "\x7f", "\x80", "é", "\xff", `\`}
	for k := range 20 {
		for _, mark := range marks {
			for _, tail := range []string{``, `"`, `abc"`, `abcdefghijk"`} {
				b := []byte(`"` + strings.Repeat("a", k) + mark + tail)
				end, special, ok := scanString(b, 1)
				wend, wspecial, wok := scanStringByByte(b, 1)
				if ok != wok || ok && (end != wend || special != wspecial) {
					t.Errorf("%q: scanString %d %v %v, byte by byte %d %v %v", b, end, special, ok, wend, wspecial, wok)
				}
			}
		}
	}
	for k := range 20 {
		for _, space := range []string{" ", "\n", "\t", "\r", "\n  "} {
			for _, after := range []string{"", "x", " x", "\x00", "\t\t!"} {
				b := []byte("[" + strings.Repeat(space, k) + after)
				want := 1
				for want < len(b) && strings.IndexByte(" \n\t\r", b[want]) >= 0 {
					want++
				}
				if got := skipSpace(b, 1); got != want {
					t.Errorf("%q: skipSpace %d, want %d", b, got, want)
				}
			}
		}
	}
}
