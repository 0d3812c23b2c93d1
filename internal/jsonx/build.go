package jsonx

import (
	"encoding/json"
	"unsafe"
)

// builder makes the values a scanner recorded on its tape. The scan has
// counted what they need, so they come out of three allocations made at
// their final size: the numbers, each boxed from its own slot (box.go),
// followed by the bytes of every string and key (copied from the body:
// nothing aliases it, the caller may reuse it); the strings, each boxed
// from its slot; and the elements of every list, each list a part of it
// with no room to grow into its neighbour's. Objects are made at their
// final size.
type builder struct {
	body  []byte
	tape  []op
	arena []byte
	strs  []string
	nums  []float64
	elems []any
}

// build makes the value s recorded.
func (s *scanner) build() any {
	b := builder{body: s.body, tape: s.tape}
	if s.nums > 0 || s.bytes > 0 {
		// The numbers and then the bytes share one allocation: neither
		// holds pointers, so the garbage collector need not tell them
		// apart.
		words := make([]float64, s.nums+(s.bytes+7)/8)
		b.nums = words[:0:s.nums]
		if s.bytes > 0 {
			b.arena = unsafe.Slice((*byte)(unsafe.Pointer(&words[s.nums])), s.bytes)[:0]
		}
	}
	if s.strs > 0 {
		b.strs = make([]string, 0, s.strs)
	}
	if s.elems > 0 {
		b.elems = make([]any, 0, s.elems)
	}
	v, _ := b.value(0)
	return v
}

// value makes the value of the op at t and returns the index of the op
// after it (and after its members or elements).
func (b *builder) value(t int) (any, int) {
	o := b.tape[t]
	t++
	switch o.kind {
	case opTrue:
		return true, t
	case opFalse:
		return false, t
	case opString:
		if o.start == o.end {
			return "", t
		}
		b.strs = append(b.strs, b.string(o))
		return boxString(&b.strs[len(b.strs)-1]), t
	case opNumber:
		raw := b.body[o.start:o.end]
		f, ok := numberFloat(raw)
		if !ok {
			return json.Number(string(raw)), t // the literal, as numberValue keeps it
		}
		b.nums = append(b.nums, f)
		return boxFloat64(&b.nums[len(b.nums)-1]), t
	case opObject:
		m := make(map[string]any, o.start)
		for range o.start {
			k := b.tape[t]
			key := k.name
			if k.kind == opKey {
				key = b.string(k)
			}
			var v any
			v, t = b.value(t + 1)
			m[key] = v // a repeated key: the last one wins, as in encoding/json
		}
		return m, t
	case opArray:
		n := o.start
		if n == 0 {
			return []any{}, t
		}
		var l []any
		if off := len(b.elems); off+n <= cap(b.elems) {
			b.elems = b.elems[:off+n]
			l = b.elems[off : off+n : off+n]
		} else {
			l = make([]any, n) // not counted: cannot happen, and still right
		}
		for j := range l {
			l[j], t = b.value(t)
		}
		return l, t
	}
	return nil, t
}

// string copies the value of a string or key op into the arena.
func (b *builder) string(o op) string {
	if o.start == o.end {
		return ""
	}
	off := len(b.arena)
	if raw := b.body[o.start:o.end]; o.esc {
		b.arena = unquote(b.arena, raw)
	} else {
		b.arena = append(b.arena, raw...)
	}
	return unsafe.String(&b.arena[off], len(b.arena)-off)
}
