package jsonx

import "unsafe"

// Boxing a string or a float64 into an any allocates a copy of it on the
// heap, one allocation per value: half of what decoding a payload
// allocated. DecodePaths instead writes each decode's strings and numbers
// once into a slab of its own (one allocation for all of them) and makes
// each any point at its slot, as the runtime would point it at its own
// copy.
//
// This relies on how the Go runtime lays out an empty interface (a type
// word, then a pointer to the value for any type that is not
// pointer-shaped, as string and float64 are not), which has not changed
// since Go 1.4 and which TestBoxedValuesAreOrdinary checks. It is safe
// because the runtime treats the value an interface points to as
// immutable, and so does the decoder: a slot is written once, before it is
// boxed, and never again; nothing else refers to the slab. The garbage
// collector keeps the slab alive while any value boxed from it is.

// eface is the runtime's layout of an empty interface.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

var (
	stringType  = typeWord("")
	float64Type = typeWord(0.0)
)

func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

// boxString returns *p as an any, pointing at *p rather than at a copy.
// *p must not change afterwards.
func boxString(p *string) any {
	e := eface{stringType, unsafe.Pointer(p)}
	return *(*any)(unsafe.Pointer(&e))
}

// boxFloat64 returns *p as an any, pointing at *p rather than at a copy.
// *p must not change afterwards.
func boxFloat64(p *float64) any {
	e := eface{float64Type, unsafe.Pointer(p)}
	return *(*any)(unsafe.Pointer(&e))
}
