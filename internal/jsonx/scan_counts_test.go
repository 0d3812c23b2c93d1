package jsonx

import (
	"encoding/json"
	"strings"
	"testing"
)

// needs counts what a decoded value needs, as the scan must count it
// for the builder: the strings that are not empty, the bytes of those
// strings and of every key, the numbers and the elements of the lists.
func needs(v any) (strs, bytes, nums, elems int) {
	add := func(s, b, n, e int) { strs, bytes, nums, elems = strs+s, bytes+b, nums+n, elems+e }
	switch x := v.(type) {
	case string:
		if x != "" {
			add(1, len(x), 0, 0)
		}
	case float64, json.Number:
		add(0, 0, 1, 0)
	case map[string]any:
		for k, e := range x {
			add(needs(e))
			add(0, len(k), 0, 0)
		}
	case []any:
		add(0, 0, 0, len(x))
		for _, e := range x {
			add(needs(e))
		}
	}
	return strs, bytes, nums, elems
}

// The scan counts exactly what the values it recorded need: the builder
// allocates those counts once and fills them (a count too high is memory
// allocated for nothing, one too low a buffer grown as it is filled).
func TestScanCountsWhatTheValuesNeed(t *testing.T) {
	for _, body := range []string{
		`{"a":"x","bb":"","ccc":["yy","",1,2.5,true,null],"":{"d":{}}}`,
		`{"\u0061\n":"\u00e9\ud83d\ude00","k\"":"v\\"}`,
		"{\"\xff\":\"\xfe\",\"é\":\"ü\"}",
		`["",""]`,
		`{"a" : "b" , "c":""}`,
		`[12345678901234567891,1e400,-0,[],[[1]]]`,
		`"root"`,
		`""`,
		`{}`,
		`{"` + strings.Repeat("k", 100) + `":"` + strings.Repeat("v", 100) + `"}`,
	} {
		s := new(scanner)
		if !s.scan([]byte(body), nil) {
			t.Errorf("%s: the scan refuses it", body)
			continue
		}
		v := s.build()
		strs, bytes, nums, elems := needs(v)
		if s.strs != strs || s.bytes != bytes || s.nums != nums || s.elems != elems {
			t.Errorf("%s: the scan counted %d strings, %d bytes, %d numbers, %d elements; the value needs %d, %d, %d, %d",
				body, s.strs, s.bytes, s.nums, s.elems, strs, bytes, nums, elems)
		}
	}
}
