package jsonx

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"
)

// Marshal writes v as encoding/json writes it without HTML escaping, byte
// for byte (maps with sorted keys, numbers and strings as encoding/json
// writes them): events must not change when the encoder does. The values a
// data tree holds after normalize are written directly, without reflection;
// anything else goes through goccy/go-json. native reports which: whether
// v held only JSON's own values.
func Marshal(v any) (b []byte, native bool, err error) {
	if b, native = appendJSON(make([]byte, 0, 1024), v); native {
		return b, true, nil
	}
	b, err = gojson.MarshalWithOption(v, gojson.DisableHTMLEscape())
	return b, false, err
}

// MarshalSorted is Marshal of m when keys are m's keys, sorted, known
// beforehand (a data tree's, made at load): the object's keys are written
// in that order instead of being gathered and sorted. With keys that are
// not exactly m's, it is Marshal.
func MarshalSorted(m map[string]any, keys []string) (b []byte, native bool, err error) {
	if len(keys) != len(m) {
		return Marshal(m)
	}
	b = append(make([]byte, 0, 1024), '{')
	for i, k := range keys {
		v, ok := m[k]
		if !ok {
			return Marshal(m)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		if b, native = appendJSON(b, v); !native {
			return Marshal(m)
		}
	}
	return append(b, '}'), true, nil
}

// appendJSON appends v to dst and reports whether v held only values it
// writes itself (JSON's own: nil, bool, string, float64, int, int64, and
// maps and lists of them); when it did not, dst is garbage.
func appendJSON(dst []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case bool:
		return strconv.AppendBool(dst, x), true
	case string:
		return appendJSONString(dst, x), true
	case float64:
		return AppendFloat(dst, x)
	case int:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int64:
		return strconv.AppendInt(dst, x, 10), true
	case json.Number:
		// A literal the decoder kept because float64 would round it.
		return append(dst, x...), x != ""
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), true
		}
		var stack [32]string
		keys := stack[:0]
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			var ok bool
			if dst, ok = appendJSON(dst, x[k]); !ok {
				return dst, false
			}
		}
		return append(dst, '}'), true
	case []any:
		if x == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendJSON(dst, e); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	}
	return dst, false
}

// AppendFloat appends f as encoding/json writes it: the shortest
// representation, in exponent form below 1e-6 and from 1e21, with a
// one-digit negative exponent written without its leading zero.
func AppendFloat(dst []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, false // encoding/json refuses it; the fallback says why
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, true
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s quoted as encoding/json does without HTML
// escaping: invalid UTF-8 becomes U+FFFD, and U+2028 and U+2029 are
// escaped (JSONP safety).
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
