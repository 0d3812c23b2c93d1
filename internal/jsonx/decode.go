package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	gojson "github.com/goccy/go-json"
)

// Decode parses a JSON body; trailing data after the value is an error.
// One pass validates the body, checks the limits and records its values,
// made then from a few allocations (scan.go, build.go); a body that pass
// refuses (invalid JSON, a limit exceeded) goes to decodeGeneral, which
// says what is wrong with it.
func Decode(body []byte) (any, error) {
	s := scanners.Get().(*scanner)
	defer s.release()
	if s.scan(body, nil) {
		return s.build(), nil
	}
	return decodeGeneral(body)
}

// decodeGeneral decodes any body, or says what is wrong with it: Decode
// before its one pass, whose values the pass's are held to
// (FuzzDecodePathsAgreesWithDecode) and whose errors it gives.
func decodeGeneral(body []byte) (any, error) {
	if err := checkLimits(body); err != nil {
		return nil, err
	}
	var v any
	// goccy/go-json decodes into maps, slices and float64 exactly as
	// encoding/json does, in under half the time: the payload's decode is
	// the largest cost of a transform.
	if err := gojson.Unmarshal(body, &v); err != nil {
		var se *gojson.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("invalid JSON at byte %d: %s", se.Offset, se.Error())
		}
		if json.Valid(body) {
			// A number beyond float64's range (1e309): valid JSON, kept
			// as written rather than the body refused.
			return decodeExact(body)
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if hasLongNumber(body) {
		return decodeExact(body)
	}
	return v, nil
}

// Limits on a JSON body, checked before it is decoded: a deeply nested or
// very wide document costs memory and CPU out of proportion to its size.
const (
	MaxDepth = 64
	MaxKeys  = 100_000
	// MaxValues bounds the values of a body (every object, list and
	// element): a megabyte of `{},{},...` decodes to ~40 MB.
	MaxValues = 200_000
)

// checkLimits scans body once for its nesting depth and its number of
// object keys (a ':' outside a string is one key).
func checkLimits(body []byte) error {
	depth, keys, values := 0, 0, 1
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !structural[c] {
			continue
		}
		switch c {
		case '"':
			// Skip the string: find its closing quote, stepping over escapes.
			for {
				j := bytes.IndexByte(body[i+1:], '"')
				if j < 0 {
					return nil // unterminated: the decoder says so
				}
				i += 1 + j
				// The quote is escaped when an odd number of backslashes precede it.
				n := 0
				for k := i - 1; k >= 0 && body[k] == '\\'; k-- {
					n++
				}
				if n%2 == 0 {
					break
				}
			}
		case '{', '[':
			if depth++; depth > MaxDepth {
				return fmt.Errorf("invalid JSON at byte %d: nested deeper than %d levels", i, MaxDepth)
			}
			if values++; values > MaxValues {
				return fmt.Errorf("invalid JSON at byte %d: more than %d values", i, MaxValues)
			}
		case ',':
			if values++; values > MaxValues {
				return fmt.Errorf("invalid JSON at byte %d: more than %d values", i, MaxValues)
			}
		case '}', ']':
			depth--
		case ':':
			if keys++; keys > MaxKeys {
				return fmt.Errorf("invalid JSON at byte %d: more than %d keys", i, MaxKeys)
			}
		}
	}
	return nil
}

// structural marks the bytes checkLimits looks at.
var structural = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true, ':': true, ',': true}

// Values is about how many values a JSON body decodes to (its objects,
// lists and elements: what the decoded tree's memory grows with), counted
// without decoding; strings are skipped. For a body that is not JSON it
// is a guess.
func Values(body []byte) int {
	n := 1
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '"':
			for i++; i < len(body) && body[i] != '"'; i++ {
				if body[i] == '\\' {
					i++
				}
			}
		case '{', '[', ',':
			n++
		}
	}
	return n
}
