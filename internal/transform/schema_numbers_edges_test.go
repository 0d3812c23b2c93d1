package transform

import (
	"encoding/json"
	"strings"
	"testing"
)

// The longest number literal the validator is given is maxValidatedNumber
// characters: one that long is validated, one longer is not.
func TestUnvalidatableNumberAtItsLength(t *testing.T) {
	at := "1" + strings.Repeat("0", maxValidatedNumber-1)
	if p := unvalidatableNumber(map[string]any{"n": json.Number(at)}, ""); p != "" {
		t.Errorf("a literal of %d characters: %q, want it validated", len(at), p)
	}
	if p := unvalidatableNumber(map[string]any{"n": json.Number(at + "0")}, ""); p != "/n" {
		t.Errorf("a literal of %d characters: %q, want /n", len(at)+1, p)
	}
}
