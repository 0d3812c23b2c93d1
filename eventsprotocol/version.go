package eventsprotocol

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
)

// Version is an envelope's version: an integer that clients send either as
// a JSON number (1) or as a numeric string ("1"). A Version remembers which
// form it was read in, so that an answer carries it back the same way.
//
// The zero Version is absent: it is omitted from an encoded envelope and
// fails the required-field check.
type Version struct {
	n    int
	form versionForm
}

type versionForm uint8

const (
	versionAbsent versionForm = iota
	versionNumber
	versionString
)

// IntVersion returns version n, encoded as a JSON number (1). Parse reads
// only versions that fit in 32 bits, as the reference server does.
func IntVersion(n int) Version { return Version{n: n, form: versionNumber} }

// StringVersion returns version n, encoded as a JSON string ("1"), as some
// published clients send it.
func StringVersion(n int) Version { return Version{n: n, form: versionString} }

// Int returns the version's value; 0 when absent.
func (v Version) Int() int { return v.n }

// IsString reports whether the version is encoded as a JSON string.
func (v Version) IsString() bool { return v.form == versionString }

// IsZero reports whether the version is absent.
func (v Version) IsZero() bool { return v.form == versionAbsent }

// String returns the version's value in decimal, or "" when absent.
func (v Version) String() string {
	if v.IsZero() {
		return ""
	}
	return strconv.Itoa(v.n)
}

// MarshalJSON encodes the version in the form it was read or built in:
// 1 or "1"; null when absent.
func (v Version) MarshalJSON() ([]byte, error) {
	switch v.form {
	case versionNumber:
		return strconv.AppendInt(nil, int64(v.n), 10), nil
	case versionString:
		return strconv.AppendQuote(nil, strconv.Itoa(v.n)), nil
	default:
		return []byte("null"), nil
	}
}

// UnmarshalJSON reads a JSON number with an integer value (1, 1.0) or a
// string holding a decimal integer ("1"), within the range of a 32-bit
// integer, as the reference server's Int does. JSON null leaves v unchanged.
// Anything else fails with an *InvalidFieldError for "version".
func (v *Version) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return nil
	}
	parsed, err := parseVersion(data)
	if err != nil {
		return err
	}
	*v = parsed
	return nil
}

func parseVersion(data []byte) (Version, error) {
	if len(data) == 0 {
		return Version{}, invalidVersion("nothing")
	}
	switch c := data[0]; {
	case c == '"':
		s, err := strconv.Unquote(string(data))
		if err != nil {
			return Version{}, invalidVersion(string(data))
		}
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return Version{}, invalidVersion(strconv.Quote(s))
		}
		return Version{n: int(n), form: versionString}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		if n, err := strconv.ParseInt(string(data), 10, 32); err == nil {
			return Version{n: int(n), form: versionNumber}, nil
		}
		f, err := strconv.ParseFloat(string(data), 64)
		if err != nil || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
			return Version{}, invalidVersion(string(data))
		}
		return Version{n: int(f), form: versionNumber}, nil
	default:
		return Version{}, invalidVersion(string(data))
	}
}

func invalidVersion(got string) error {
	const maxShown = 40
	if len(got) > maxShown {
		got = got[:maxShown] + "..."
	}
	return &InvalidFieldError{
		Field:  "version",
		Reason: fmt.Sprintf("must be a 32-bit integer, as a number (1) or a numeric string (\"1\"), got %s", got),
	}
}
