package jsonx

import (
	"runtime"
	"strings"
	"testing"
)

// The builder allocates what the scan counted, once: small bodies of each
// kind (numbers only, strings only, several lists, none of these) are
// pinned to their allocations, which a buffer allocated late, grown by
// append or not shared by the lists would raise. Each count includes the
// boxing of each list into an any.
func TestDecodeAllocsBySize(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops what is put back")
	}
	long := strings.Repeat("s", 40) // past append's first sizes
	tests := []struct {
		name, body string
		want       float64
	}{
		// the numbers' slab, the list's elements, the list
		{"numbers only", `[1,2,3,4,5,6,7,8,9]`, 3},
		// the bytes' slab, the strings, the list's elements, the list
		{"strings only", `["` + long + `","` + long + `","` + long + `"]`, 4},
		// the slab, the elements of all four lists, each list boxed
		{"lists in a list", `[[1],[2],[3,4]]`, 6},
		{"literals only", `[true,null,false]`, 2},
		{"an object of a number", `{"a":1}`, 3},
		// the elements, each list boxed (an empty list has none)
		{"empty lists", `[[],[]]`, 4},
	}
	for _, tc := range tests {
		body := []byte(tc.body)
		got := testing.AllocsPerRun(100, func() {
			if _, err := Decode(body); err != nil {
				t.Fatal(err)
			}
		})
		if got != tc.want {
			t.Errorf("%s: %v allocations, pinned at %v", tc.name, got, tc.want)
		}
	}
}

// The bytes of the strings take their own size in the slab, not more: a
// body holding one 64 KiB string allocates less than twice its size.
func TestDecodeAllocatesAboutTheBody(t *testing.T) {
	body := []byte(`{"s":"` + strings.Repeat("x", 64<<10) + `"}`)
	if _, err := Decode(body); err != nil { // the pool's scanner, warm
		t.Fatal(err)
	}
	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := Decode(body); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 2*uint64(len(body)) {
		t.Errorf("a decode of %d bytes allocated %d bytes", len(body), per)
	}
}
