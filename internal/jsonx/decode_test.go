package jsonx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeLimits(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	if _, err := Decode([]byte(deep)); err == nil || !strings.Contains(err.Error(), "nested deeper than 64") {
		t.Errorf("deep: %v", err)
	}
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, err := Decode([]byte(ok)); err != nil {
		t.Errorf("at the depth limit: %v", err)
	}
	var wide strings.Builder
	wide.WriteString("{")
	for i := range MaxKeys + 1 {
		if i > 0 {
			wide.WriteString(",")
		}
		fmt.Fprintf(&wide, `"k%d":1`, i)
	}
	wide.WriteString("}")
	if _, err := Decode([]byte(wide.String())); err == nil || !strings.Contains(err.Error(), "more than 100000 keys") {
		t.Errorf("wide: %v", err)
	}
	// A megabyte of empty objects is refused, not decoded to ~40 MB.
	bomb := `{"pix":[` + strings.Repeat("{},", MaxValues) + `{}]}`
	if _, err := Decode([]byte(bomb)); err == nil || !strings.Contains(err.Error(), "more than 200000 values") {
		t.Errorf("values: %v", err)
	}
	if n := Values([]byte(bomb)); n < MaxValues {
		t.Errorf("JSONValues of the bomb = %d", n)
	}
	if n := Values([]byte(`{"a":"[,,,{","b":[1,2]}`)); n != 5 {
		t.Errorf("JSONValues skips strings: %d, want 5", n)
	}
	// Brackets and colons inside strings (and escaped quotes) do not count.
	if v, err := Decode([]byte(`{"a":"[[[:::\"{{{","b":[1,{"c":null}]}`)); err != nil || v.(map[string]any)["a"] != `[[[:::"{{{` {
		t.Errorf("strings: %v %v", v, err)
	}
	for _, bad := range []string{`{`, `{"a":}`, `[1,]`, `{"a":1} x`, "\"\xff\""} {
		if _, err := Decode([]byte(bad)); err == nil && bad != "\"\xff\"" {
			t.Errorf("%q decoded", bad)
		}
	}
	// Numbers are float64, as encoding/json makes them.
	if v, _ := Decode([]byte(`{"n": 12}`)); v.(map[string]any)["n"] != 12.0 {
		t.Errorf("number: %T", v.(map[string]any)["n"])
	}
}

func FuzzDecodeAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,2,{"b":"c"}]}`, `"x"`, `1e400`, `{"a":1}{`, `[[[[]]]]`, `{"\u00e9":"\ud800"}`, `[12345678901234567891,0.1]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Decode(b)
		var want any
		werr := json.Unmarshal(b, &want)
		if werr != nil {
			return // encoding/json refuses it; Decode may refuse it too, or be lenient in corners
		}
		if err != nil {
			if strings.Contains(err.Error(), "nested deeper") || strings.Contains(err.Error(), "more than") {
				return
			}
			t.Fatalf("encoding/json takes %q but Decode says %v", b, err)
		}
		// Numbers: encoding/json's literal, a float64 unless that would
		// round it.
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		want = nil
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		want = exactNumbers(want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: Decode %#v, encoding/json %#v", b, got, want)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	body, err := os.ReadFile("../../examples/stripe/charge.succeeded.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// checkLimitsByteByByte is the plain reading of the limits, which
// checkLimits must agree with.
func checkLimitsByteByByte(body []byte) (depthErrAt, keysErrAt, valuesErrAt int) {
	depth, keys, values := 0, 0, 1
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '"':
			for i++; i < len(body) && body[i] != '"'; i++ {
				if body[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			if depth++; depth > MaxDepth {
				return i, -1, -1
			}
			if values++; values > MaxValues {
				return -1, -1, i
			}
		case ',':
			if values++; values > MaxValues {
				return -1, -1, i
			}
		case '}', ']':
			depth--
		case ':':
			if keys++; keys > MaxKeys {
				return -1, i, -1
			}
		}
	}
	return -1, -1, -1
}

func FuzzCheckLimits(f *testing.F) {
	f.Add([]byte(`{"a\"b\\":[[["x"]]],"c":"\\\\"}`))
	f.Add([]byte(strings.Repeat("[", 70)))
	f.Add([]byte(`"\\"` + strings.Repeat("{", 65)))
	f.Add([]byte(`{"a":"unterminated`))
	f.Add([]byte(`[` + strings.Repeat("{},", MaxValues) + `{}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		err := checkLimits(body)
		d, k, v := checkLimitsByteByByte(body)
		var want string
		switch {
		case d >= 0:
			want = fmt.Sprintf("invalid JSON at byte %d: nested deeper than %d levels", d, MaxDepth)
		case k >= 0:
			want = fmt.Sprintf("invalid JSON at byte %d: more than %d keys", k, MaxKeys)
		case v >= 0:
			want = fmt.Sprintf("invalid JSON at byte %d: more than %d values", v, MaxValues)
		}
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Fatalf("%q: got %q, want %q", body, got, want)
		}
	})
}
