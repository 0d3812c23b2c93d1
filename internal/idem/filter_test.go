package idem

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// A filter is full only once it holds more keys than it is sized for: at
// its capacity its false-positive rate is still the one it was made for, so
// a rebuild is not due yet.
func TestKeyFilterFullBeyondCapacity(t *testing.T) {
	const capacity = 16
	f := newKeyFilter(capacity, 0.0001)
	keys := testKeys("full", capacity+1)
	for i, k := range keys[:capacity] {
		f.add(k)
		if f.full() {
			t.Fatalf("full after %d keys, sized for %d", i+1, capacity)
		}
	}
	f.add(keys[0]) // a key added again is not counted again
	if f.full() {
		t.Fatalf("full after a key was added twice: count %d, capacity %d", f.count, capacity)
	}
	f.add(keys[capacity])
	if !f.full() {
		t.Fatalf("not full with %d keys, sized for %d", capacity+1, capacity)
	}
	for _, k := range keys {
		if !f.mayHold(k) {
			t.Errorf("filter lost key %s", k)
		}
	}
}

// ParseUUID takes every version from 1 to 8 (the bounds included) and no
// other.
func TestParseUUIDVersions(t *testing.T) {
	for v := range 16 {
		s := fmt.Sprintf("0196346e-9e5a-%x08f-8205-e54411ba3200", v)
		_, ok := ParseUUID(s)
		if want := v >= 1 && v <= 8; ok != want {
			t.Errorf("ParseUUID(%s) (version %d) ok = %v, want %v", s, v, ok, want)
		}
	}
}

// UUID5 of no text, or of empty parts, is still v5 of the joined parts.
func TestUUID5EmptyParts(t *testing.T) {
	for _, parts := range [][]string{{""}, {"", ""}, {"a", ""}, {}} {
		want := uuid.NewSHA1(UUID5Namespace, []byte(strings.Join(parts, "/")))
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("UUID5(%q) panicked: %v", parts, r)
				}
			}()
			if got := UUID5(parts...); got != want {
				t.Errorf("UUID5(%q) = %s, want %s", parts, got, want)
			}
		}()
	}
}
