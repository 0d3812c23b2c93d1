package deadletter

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Redacted replaces every value that a redact path names.
const Redacted = "[redacted]"

// contentForm is the media type of a form body (transform.ContentForm).
const contentForm = "application/x-www-form-urlencoded"

// Redact returns body with the values named by paths blanked (replaced by
// the string Redacted), for showing a dead letter. A path is a JSON path
// from the body's root, dotted, with an optional leading "$.":
// `data.object.customer_email`, `pix[*].infoPagador`, `items[0].card`;
// `*` or `[*]` matches every key of an object or element of a list.
//
// A JSON body is re-encoded compact, its keys in their original order. A
// form body (contentType application/x-www-form-urlencoded) has the fields
// named by one-segment paths blanked. Any other body is returned as it is,
// and so is every body when paths is empty.
func Redact(body []byte, contentType string, paths []string) []byte {
	if len(paths) == 0 {
		return body
	}
	ps := parsePaths(paths)
	if json.Valid(body) {
		out, err := redactJSON(body, ps)
		if err != nil {
			// Valid JSON always walks; never show it unredacted if not.
			return []byte(strconv.Quote(Redacted))
		}
		return out
	}
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && mt == contentForm {
		if out, ok := redactForm(body, ps); ok {
			return out
		}
	}
	return body
}

// Preview returns the start of a (redacted) body on one line: JSON
// compacted, control characters as spaces, invalid UTF-8 replaced, cut to
// at most n bytes on a rune boundary with "…" when longer.
func Preview(body []byte, n int) string {
	if json.Valid(body) {
		var b bytes.Buffer
		if json.Compact(&b, body) == nil {
			body = b.Bytes()
		}
	}
	s := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(string(body), "\uFFFD"))
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// segment is one step of a redact path: an object key, a list index
// (key holds its digits too), or any key or index.
type segment struct {
	key   string
	index int // -1 when key is not a number
	any   bool
}

func (s segment) matchesKey(k string) bool { return s.any || s.key == k }
func (s segment) matchesIndex(i int) bool  { return s.any || s.index == i }

// parsePaths splits each path into segments; an unterminated '[' makes the
// rest of the path one key.
func parsePaths(paths []string) [][]segment {
	out := make([][]segment, 0, len(paths))
	for _, p := range paths {
		p = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(p), "$"), ".")
		if p == "" {
			continue
		}
		var segs []segment
		for p != "" {
			var tok string
			switch {
			case p[0] == '[':
				end := strings.IndexByte(p, ']')
				if end < 0 {
					tok, p = p, ""
					break
				}
				tok, p = p[1:end], p[end+1:]
			default:
				end := strings.IndexAny(p, ".[")
				if end < 0 {
					end = len(p)
				}
				tok, p = p[:end], p[end:]
			}
			p = strings.TrimPrefix(p, ".")
			seg := segment{key: tok, index: -1, any: tok == "*"}
			if n, err := strconv.Atoi(tok); err == nil && n >= 0 {
				seg.index = n
			}
			segs = append(segs, seg)
		}
		if len(segs) > 0 {
			out = append(out, segs)
		}
	}
	return out
}

func redactForm(body []byte, paths [][]segment) ([]byte, bool) {
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, false
	}
	for k, vs := range q {
		for _, p := range paths {
			if len(p) == 1 && p[0].matchesKey(k) {
				for i := range vs {
					vs[i] = Redacted
				}
			}
		}
	}
	return []byte(q.Encode()), true
}

// progress is how far one path has matched: the value at hand is the one
// reached after pos segments of paths[path].
type progress struct{ path, pos int }

type redactor struct {
	dec   *json.Decoder
	out   bytes.Buffer
	paths [][]segment
}

func redactJSON(body []byte, paths [][]segment) ([]byte, error) {
	r := &redactor{dec: json.NewDecoder(bytes.NewReader(body)), paths: paths}
	r.dec.UseNumber()
	r.out.Grow(len(body))
	start := make([]progress, len(paths))
	for i := range paths {
		start[i] = progress{path: i}
	}
	if err := r.value(start); err != nil {
		return nil, err
	}
	return r.out.Bytes(), nil
}

// value copies the next value to the output, or writes Redacted in its place
// when a path ends on it.
func (r *redactor) value(at []progress) error {
	for _, p := range at {
		if p.pos == len(r.paths[p.path]) {
			r.writeString(Redacted)
			return r.skip()
		}
	}
	tok, err := r.dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			r.out.WriteByte('{')
			for i := 0; r.dec.More(); i++ {
				kt, err := r.dec.Token()
				if err != nil {
					return err
				}
				key, ok := kt.(string)
				if !ok {
					return errors.New("object key is not a string")
				}
				if i > 0 {
					r.out.WriteByte(',')
				}
				r.writeString(key)
				r.out.WriteByte(':')
				if err := r.value(r.next(at, func(s segment) bool { return s.matchesKey(key) })); err != nil {
					return err
				}
			}
			r.out.WriteByte('}')
		case '[':
			r.out.WriteByte('[')
			for i := 0; r.dec.More(); i++ {
				if i > 0 {
					r.out.WriteByte(',')
				}
				if err := r.value(r.next(at, func(s segment) bool { return s.matchesIndex(i) })); err != nil {
					return err
				}
			}
			r.out.WriteByte(']')
		}
		_, err := r.dec.Token() // the closing delimiter
		return err
	case string:
		r.writeString(t)
	case json.Number:
		r.out.WriteString(t.String())
	case bool:
		r.out.WriteString(strconv.FormatBool(t))
	case nil:
		r.out.WriteString("null")
	}
	return nil
}

// next keeps the paths whose next segment matches the child at hand.
func (r *redactor) next(at []progress, match func(segment) bool) []progress {
	var out []progress
	for _, p := range at {
		if match(r.paths[p.path][p.pos]) {
			out = append(out, progress{p.path, p.pos + 1})
		}
	}
	return out
}

// skip reads past the next value without writing it.
func (r *redactor) skip() error {
	depth := 0
	for {
		tok, err := r.dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

func (r *redactor) writeString(s string) {
	enc := json.NewEncoder(&r.out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	r.out.Truncate(r.out.Len() - 1) // Encode's newline
}
