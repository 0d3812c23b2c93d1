package eventsprotocol

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	pattern := regexp.MustCompile(NamePattern)
	tests := []struct {
		name       string
		valid      bool
		wantReason string // a part of the error's reason
	}{
		{name: "user:name:set", valid: true},
		{name: "payment:charge:create", valid: true},
		{name: "event:example", valid: true},
		{name: "user_account:first_name:set", valid: true},
		{name: "_user:_name:_set", valid: true},
		{name: "user:name:set:extra", valid: true},
		{name: "user:name:set:extra:more", valid: true},
		{name: "ab:cd", valid: true},
		{name: "", wantReason: "empty"},
		{name: "user", wantReason: "has 1 part"},
		{name: "user:", wantReason: `part 2 ""`},
		{name: ":user", wantReason: `part 1 ""`},
		{name: "user::set", wantReason: "part 2"},
		{name: "a:bc", wantReason: "at least 2 characters"},
		{name: "ab:c", wantReason: "at least 2 characters"},
		{name: "User:name:set", wantReason: `got 'U'`},
		{name: "user:name1:set", wantReason: `got '1'`},
		{name: "user-x:name:set", wantReason: `got '-'`},
		{name: "user:name_:set", wantReason: "must end in a letter"},
		{name: "user:name:set_", wantReason: "must end in a letter"},
		{name: "user:name:set:bad_request", wantReason: "parts after the third take no '_'"},
		{name: "user:name:set:x", wantReason: "part 4"},
		{name: "user:name:set:Ab", wantReason: "must be lower-case letters only"},
		{name: "user:name:set:", wantReason: "part 4"},
		{name: "user name:set", wantReason: `got ' '`},
		{name: "usér:name:set", wantReason: `got 'é'`},
		{name: "us\xffer:name", wantReason: `got "\xff"`},
		{name: "user:name:set\n", wantReason: `got '\n'`},
		{name: "eventNotFound", wantReason: "has 1 part"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateName(tc.name)
			if got := pattern.MatchString(tc.name); got != tc.valid {
				t.Errorf("NamePattern matches %q = %v, want %v", tc.name, got, tc.valid)
			}
			if tc.valid {
				if err != nil {
					t.Fatalf("ValidateName(%q) = %v, want nil", tc.name, err)
				}
				return
			}
			var nameErr *NameError
			if !errors.As(err, &nameErr) {
				t.Fatalf("ValidateName(%q) = %v, want a *NameError", tc.name, err)
			}
			if nameErr.Name != tc.name || !strings.Contains(nameErr.Reason, tc.wantReason) {
				t.Errorf("ValidateName(%q) = %+v, want the name and a reason containing %q", tc.name, nameErr, tc.wantReason)
			}
			if !strings.Contains(err.Error(), `field "name"`) {
				t.Errorf("error %q does not name the field", err)
			}
		})
	}
}

// protocolPattern is the protocol's own pattern, anchored, as the spec
// gives it: three parts or more.
const protocolPattern = `^[a-z_]+[a-z]:[a-z_]+[a-z]:[a-z_]+[a-z](:[a-z]+[a-z])*$`

// FuzzValidateName checks that ValidateName agrees with NamePattern, and
// with the protocol's pattern on names of three parts or more.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"user:name:set", "event:example", "a:b", "user:name:set:bad_request", "ab:cd:ef:gh_", "_a:_b", "ab:cd:ef:gh:ij"} {
		f.Add(s)
	}
	pattern := regexp.MustCompile(NamePattern)
	protocol := regexp.MustCompile(protocolPattern)
	f.Fuzz(func(t *testing.T, name string) {
		valid := ValidateName(name) == nil
		if valid != pattern.MatchString(name) {
			t.Errorf("ValidateName(%q) valid = %v, NamePattern says %v", name, valid, !valid)
		}
		if strings.Count(name, ":") >= 2 && valid != protocol.MatchString(name) {
			t.Errorf("ValidateName(%q) valid = %v, the protocol's pattern says %v", name, valid, !valid)
		}
	})
}
