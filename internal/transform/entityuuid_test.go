package transform

import "testing"

// The profile reads data.entity_id as a canonical UUID or 32 hex digits;
// the other forms uuid.Parse takes (urn:uuid:, braces) are refused.
func TestIsEntityUUID(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"01963467-9e5a-708f-8205-e54411ba3200", true},
		{"019634679e5a708f8205e54411ba3200", true},
		{"urn:uuid:01963467-9e5a-708f-8205-e54411ba3200", false},
		{"{01963467-9e5a-708f-8205-e54411ba3200}", false},
		{"9606e83f", false},
		{"", false},
	} {
		if got := isEntityUUID(tc.s); got != tc.want {
			t.Errorf("isEntityUUID(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}
