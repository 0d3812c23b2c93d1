package eventsprotocol

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// NamePattern is the regular expression a request's name must match: the
// protocol's pattern ([a-z_]+[a-z]:[a-z_]+[a-z]:[a-z_]+[a-z](:[a-z]+[a-z])*),
// widened to accept two-part names such as "event:example", which the
// protocol's published examples use. Every part has at least two
// characters and ends in a letter; the first three parts may hold
// underscores, further parts may not.
const NamePattern = `^[a-z_]+[a-z]:[a-z_]+[a-z](:[a-z_]+[a-z](:[a-z]+[a-z])*)?$`

// minNameParts is where the bridge departs from the protocol's three.
const minNameParts = 2

// ValidateName reports whether name is a valid request name (see
// NamePattern). It fails with a *NameError that says which part is wrong.
// Response names are request names plus a suffix and need not match.
func ValidateName(name string) error {
	if name == "" {
		return &NameError{Name: name, Reason: "empty"}
	}
	parts := strings.Split(name, ":")
	if len(parts) < minNameParts {
		return &NameError{Name: name, Reason: fmt.Sprintf("has %d part, want at least %d separated by ':' (domain:resource[:action...])", len(parts), minNameParts)}
	}
	for i, part := range parts {
		if reason := checkNamePart(part, i < 3); reason != "" {
			return &NameError{Name: name, Reason: fmt.Sprintf("part %d %q %s", i+1, part, reason)}
		}
	}
	return nil
}

// checkNamePart returns why part breaks the pattern, or "".
func checkNamePart(part string, underscores bool) string {
	if len(part) < 2 {
		return "must have at least 2 characters"
	}
	for i := 0; i < len(part); i++ {
		c := part[i]
		switch {
		case c >= 'a' && c <= 'z':
		case c == '_' && underscores:
		case c == '_':
			return "must be lower-case letters only (parts after the third take no '_')"
		case underscores:
			return fmt.Sprintf("must be lower-case letters and '_', got %s", quoteRuneAt(part, i))
		default:
			return fmt.Sprintf("must be lower-case letters only, got %s", quoteRuneAt(part, i))
		}
	}
	if part[len(part)-1] == '_' {
		return "must end in a letter"
	}
	return ""
}

// quoteRuneAt quotes the character that starts at s[i], or the byte there
// when it starts no valid UTF-8 sequence.
func quoteRuneAt(s string, i int) string {
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size <= 1 {
		return strconv.Quote(s[i : i+1])
	}
	return strconv.QuoteRune(r)
}
