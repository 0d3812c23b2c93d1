package idem

import (
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestNamespacesAreDerivedAsDocumented(t *testing.T) {
	for name, tc := range map[string]struct {
		got uuid.UUID
		urn string
	}{
		"delivery": {DeliveryNamespace, "urn:bridge:idempotencykey"},
		"entity":   {EntityNamespace, "urn:bridge:entity"},
		"uuid5":    {UUID5Namespace, "urn:bridge:uuid5"},
	} {
		if want := uuid.NewSHA1(uuid.NameSpaceURL, []byte(tc.urn)); tc.got != want {
			t.Errorf("%s namespace = %s, want v5(url, %q) = %s", name, tc.got, tc.urn, want)
		}
	}
}

func TestKeys(t *testing.T) {
	k := KeyFor("stripe", "evt_1")
	if k.Version() != 5 {
		t.Fatalf("KeyFor version = %d, want 5", k.Version())
	}
	if KeyFor("stripe", "evt_1") != k {
		t.Fatal("KeyFor is not deterministic")
	}
	if KeyFor("github", "evt_1") == k {
		t.Fatal("KeyFor ignores the provider")
	}
	if EventKey(k, "r", 0) == EventKey(k, "r", 1) || EventKey(k, "r", 0) == k {
		t.Fatal("EventKey does not separate indexes")
	}
}

func TestEntityID(t *testing.T) {
	tests := []struct {
		name, id, want string
	}{
		{"dashed uuid kept", "0196346e-9e5a-708f-8205-e54411ba3200", "0196346e-9e5a-708f-8205-e54411ba3200"},
		{"undashed uuid canonicalized", "019634679e5a708f8205e54411ba3200", "01963467-9e5a-708f-8205-e54411ba3200"},
		{"provider id derived", "ch_3MmlLrLkdIwHu7ix0snN0B15", uuid.NewSHA1(EntityNamespace, []byte("stripe/charge/ch_3MmlLrLkdIwHu7ix0snN0B15")).String()},
		{"32 hex digits without UUID bits are an id", "0123456789abcdef0123456789abcdef", uuid.NewSHA1(EntityNamespace, []byte("stripe/charge/0123456789abcdef0123456789abcdef")).String()},
		{"urn form is an id, not a uuid", "urn:uuid:0196346e-9e5a-708f-8205-e54411ba3200", uuid.NewSHA1(EntityNamespace, []byte("stripe/charge/urn:uuid:0196346e-9e5a-708f-8205-e54411ba3200")).String()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := EntityID("stripe", "charge", tc.id).String(); got != tc.want {
				t.Errorf("EntityID(%q) = %s, want %s", tc.id, got, tc.want)
			}
		})
	}
}

func TestUUID5(t *testing.T) {
	if got, want := UUID5("a", "b"), uuid.NewSHA1(UUID5Namespace, []byte("a/b")); got != want {
		t.Errorf("UUID5(a, b) = %s, want %s", got, want)
	}
}

func BenchmarkKeyFor(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		KeyFor("stripe", "evt_3MmlLrLkdIwHu7ix0snN0B15")
	}
}

// TestV5IsNewSHA1 holds the stack-hashed derivation to uuid.NewSHA1, for
// names that fit the stack buffer and names that do not.
func TestV5IsNewSHA1(t *testing.T) {
	names := []string{"", "stripe/evt_1", "pix/E1234/é/世界", strings.Repeat("x", 239), strings.Repeat("y", 240), strings.Repeat("z", 5000)}
	for _, space := range []uuid.UUID{DeliveryNamespace, EntityNamespace, uuid.NameSpaceURL} {
		for _, n := range names {
			if got, want := v5(space, n), uuid.NewSHA1(space, []byte(n)); got != want {
				t.Errorf("v5(%s, %q) = %s, want %s", space, n, got, want)
			}
			if got, want := v5(space, n, "/", n), uuid.NewSHA1(space, []byte(n+"/"+n)); got != want {
				t.Errorf("v5 of parts (%s, %q) = %s, want %s", space, n, got, want)
			}
		}
	}
	if got, want := EventKey(DeliveryNamespace, "r", 12), uuid.NewSHA1(DeliveryNamespace, []byte("12/r")); got != want {
		t.Errorf("EventKey = %s, want %s", got, want)
	}
}

func FuzzV5IsNewSHA1(f *testing.F) {
	f.Add("stripe", "evt_1")
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := v5(EntityNamespace, a, "/", b), uuid.NewSHA1(EntityNamespace, []byte(a+"/"+b)); got != want {
			t.Fatalf("v5(%q, %q) = %s, want %s", a, b, got, want)
		}
	})
}
