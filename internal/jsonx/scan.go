package jsonx

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"sync"
	"unicode/utf8"
)

// scanner is Decode's and DecodePaths' one pass over a body. It
// validates the body against JSON's grammar (RFC 8259: what
// encoding/json.Valid accepts), counts what checkLimits counts, and writes
// on its tape the values a Paths reads (all of them for a nil Paths), for
// a builder to make once their sizes are known. A string or key it builds
// or compares has the value encoding/json gives it (unquote.go); one it
// skips is only validated. It answers false for what it leaves to
// decodeGeneral, which says what is wrong: invalid JSON, a limit
// exceeded.
type scanner struct {
	body []byte

	depth, keys, values int // as checkLimits counts them

	tape []op
	// What the tape's values need, counted for the builder: the strings
	// boxed, the bytes of those strings and of the keys made, the numbers
	// and the elements of the lists.
	strs, bytes, nums, elems int

	scratch []byte // a string's value unquoted, to measure it or compare it
}

// text gives the value of a string's bytes, as encoding/json decodes it:
// raw itself when it is plain, else its value unquoted into the scanner's
// scratch (valid until the next call) and esc true.
func (s *scanner) text(raw []byte, special bool) (v []byte, esc bool) {
	if !special || plain(raw) {
		return raw, false
	}
	s.scratch = unquote(s.scratch[:0], raw)
	return s.scratch, true
}

// opKind says what an op of the tape stands for.
type opKind uint8

const (
	opNull   opKind = iota
	opTrue          //
	opFalse         //
	opString        // start, end: the string's bytes, between its quotes
	opNumber        // start, end: the literal
	opObject        // start: how many members follow, each a key op then its value
	opArray         // start: how many elements follow
	opKey           // a member's key as written, start, end (an object read whole)
	opName          // a member's key, name (an object read in part: the key's name in the Paths)
)

// op is one value, or one member's key, on the tape, in the body's order.
type op struct {
	kind       opKind
	esc        bool // opString, opKey: the bytes are to be unquoted
	start, end int
	name       string
}

// mode is what the scanner does with a value: validate it only, record it
// whole, or record of an object only the members its Paths reads.
type mode uint8

const (
	skipIt mode = iota
	wholeIt
	projectIt
)

// A pooled scanner keeps its tape and its scratch between decodes up to
// these sizes.
const (
	maxPooledTape    = 1 << 12
	maxPooledScratch = 1 << 16
)

var scanners = sync.Pool{New: func() any { return new(scanner) }}

// scan runs the pass over body for the values need reads; false leaves the
// body to decodeGeneral.
func (s *scanner) scan(body []byte, need *Paths) bool {
	*s = scanner{body: body, values: 1, tape: s.tape[:0], scratch: s.scratch}
	m := projectIt
	if need.Whole() {
		m = wholeIt
	}
	i, ok := s.value(skipSpace(body, 0), m, need)
	return ok && skipSpace(body, i) == len(body)
}

// release returns s to the pool, without the body.
func (s *scanner) release() {
	s.body = nil
	if cap(s.tape) > maxPooledTape || cap(s.scratch) > maxPooledScratch {
		return
	}
	// The tape keeps the names it held (strings of the Paths, which live
	// as long as their mapping) until it is written over: clearing them
	// costs a write barrier each while the garbage collector runs.
	scanners.Put(s)
}

// value scans the value at b[i] and returns the index after it.
func (s *scanner) value(i int, m mode, n *Paths) (int, bool) {
	b := s.body
	if i >= len(b) {
		return i, false
	}
	if m == projectIt && (n.whole || b[i] != '{') {
		m = wholeIt // a value that is not an object is read whole, as a reader sees it
	}
	switch c := b[i]; {
	case c == '{':
		return s.object(i, m, n)
	case c == '[':
		return s.array(i, m)
	case c == '"':
		end, special, ok := scanString(b, i+1)
		if !ok {
			return i, false
		}
		if m == skipIt {
			return end, true
		}
		start, stop := i+1, end-1
		if v, esc := s.text(b[start:stop], special); len(v) > 0 {
			s.strs++
			s.bytes += len(v)
			s.tape = append(s.tape, op{kind: opString, start: start, end: stop, esc: esc})
		} else {
			s.tape = append(s.tape, op{kind: opString, start: start, end: start})
		}
		return end, true
	case c == '-' || c >= '0' && c <= '9':
		end, ok := scanNumber(b, i)
		if !ok {
			return i, false
		}
		if m != skipIt {
			s.nums++
			s.tape = append(s.tape, op{kind: opNumber, start: i, end: end})
		}
		return end, true
	case c == 't':
		return s.literal(i, "true", opTrue, m)
	case c == 'f':
		return s.literal(i, "false", opFalse, m)
	case c == 'n':
		return s.literal(i, "null", opNull, m)
	}
	return i, false
}

func (s *scanner) literal(i int, lit string, k opKind, m mode) (int, bool) {
	if len(s.body)-i < len(lit) || string(s.body[i:i+len(lit)]) != lit {
		return i, false
	}
	if m != skipIt {
		s.tape = append(s.tape, op{kind: k})
	}
	return i + len(lit), true
}

// open counts an object or a list opened.
func (s *scanner) open() bool {
	s.depth++
	s.values++
	return s.depth <= MaxDepth && s.values <= MaxValues
}

// object scans the object at b[i]: in projectIt mode, only the members
// n reads are recorded, each under its name in n.
func (s *scanner) object(i int, m mode, n *Paths) (int, bool) {
	b := s.body
	if !s.open() {
		return i, false
	}
	at := len(s.tape)
	if m != skipIt {
		s.tape = append(s.tape, op{kind: opObject})
	}
	members := 0
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		s.depth--
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		end, special, ok := scanString(b, i+1)
		if !ok {
			return i, false
		}
		vm, kid := m, (*Paths)(nil)
		switch m {
		case wholeIt:
			key, esc := s.text(b[i+1:end-1], special)
			s.tape = append(s.tape, op{kind: opKey, start: i + 1, end: end - 1, esc: esc})
			s.bytes += len(key)
			members++
		case projectIt:
			key, _ := s.text(b[i+1:end-1], special)
			if kid = n.kid(key); kid == nil {
				vm = skipIt
			} else {
				s.tape = append(s.tape, op{kind: opName, name: kid.name})
				members++
			}
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		if s.keys++; s.keys > MaxKeys {
			return i, false
		}
		if i, ok = s.value(skipSpace(b, i+1), vm, kid); !ok {
			return i, false
		}
		var more bool
		if i, more, ok = s.next(i, '}'); !ok {
			return i, false
		}
		if more {
			continue
		}
		if m != skipIt {
			s.tape[at].start = members
		}
		return i, true
	}
}

// array scans the list at b[i].
func (s *scanner) array(i int, m mode) (int, bool) {
	b := s.body
	if !s.open() {
		return i, false
	}
	at := len(s.tape)
	if m != skipIt {
		s.tape = append(s.tape, op{kind: opArray})
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		s.depth--
		return i + 1, true
	}
	elems := 0
	for {
		var ok bool
		if i, ok = s.value(i, m, nil); !ok {
			return i, false
		}
		elems++
		var more bool
		if i, more, ok = s.next(i, ']'); !ok {
			return i, false
		}
		if more {
			continue
		}
		if m != skipIt {
			s.tape[at].start = elems
			s.elems += elems
		}
		return i, true
	}
}

// next reads what follows a member or an element that ends at b[i]: a
// comma (more: the index of the next one is returned, the value it adds
// counted) or close (the index past it is returned, the object or list
// closed).
func (s *scanner) next(i int, close byte) (int, bool, bool) {
	b := s.body
	i = skipSpace(b, i)
	if i >= len(b) {
		return i, false, false
	}
	switch b[i] {
	case ',':
		if s.values++; s.values > MaxValues {
			return i, false, false
		}
		return skipSpace(b, i+1), true, true
	case close:
		s.depth--
		return i + 1, false, true
	}
	return i, false, false
}

// skipSpace returns the index of the first byte from i on that is not
// JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\n', '\r', '\t':
		default:
			return i
		}
		i++
		// A pretty-printed body's indentation: spaces, eight at a time.
		for i+8 <= len(b) {
			if x := binary.LittleEndian.Uint64(b[i:]) ^ (ones * ' '); x != 0 {
				i += bits.TrailingZeros64(x) / 8
				break
			}
			i += 8
		}
	}
	return i
}

// Eight bytes at a time: ones has 1 in each byte, highs the high bit of
// each.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// inString marks the bytes a string holds as they are: printable ASCII
// but the quote and the backslash.
var inString = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString scans a string whose opening quote is just before b[i] and
// returns the index after its closing quote; special says whether it holds
// an escape or a byte beyond ASCII. ok is false where JSON's grammar is
// broken: a control byte, an invalid escape, no closing quote.
func scanString(b []byte, i int) (end int, special, ok bool) {
	for {
		// Eight bytes at a time while none is a quote, a backslash, a
		// control byte or beyond ASCII: the high bit of a byte of mask is
		// set for the first such byte (and maybe for bytes after it).
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			q, bs := x^(ones*'"'), x^(ones*'\\')
			mask := ((q-ones)&^q | (bs-ones)&^bs | (x-ones*0x20)&^x | x) & highs
			if mask != 0 {
				i += bits.TrailingZeros64(mask) / 8
				break
			}
			i += 8
		}
		if i >= len(b) {
			return i, false, false
		}
		switch c := b[i]; {
		case inString[c]:
			i++
		case c == '"':
			return i + 1, special, true
		case c == '\\':
			special = true
			if i+1 >= len(b) {
				return i, false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return i, false, false
				}
				i += 6
			default:
				return i, false, false
			}
		case c < 0x20:
			return i, false, false
		default: // beyond ASCII: JSON's grammar takes any byte
			special = true
			i++
		}
	}
}

// plain reports whether a string's bytes are its value as encoding/json
// decodes it: no escape, valid UTF-8.
func plain(s []byte) bool {
	return bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scanNumber scans the number at b[i] (RFC 8259: a minus, an integer part
// without leading zeros, a fraction, an exponent) and returns the index
// after it.
func scanNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return i, false
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		if i++; i >= len(b) || !isDigit(b[i]) {
			return i, false
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return i, false
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	return i, true
}
