// Package jsonx reads and writes JSON the way the bridge needs it, fast and
// exactly: Decode and DecodePaths parse a provider's body into maps, lists
// and float64 (a number float64 would round is kept as its literal, a
// json.Number), within limits on depth, keys and values; DecodePaths builds
// only the paths a mapping's expressions read. Both validate, check the
// limits and record the values in one pass over the body, then make the
// values from a few allocations sized by that pass; a body the pass
// refuses (invalid JSON, a limit exceeded) goes to a general decoder that
// says what is wrong with it. Marshal writes a value as encoding/json
// does, without HTML escaping, byte for byte.
//
// It knows nothing of mappings, rules or events: transform decides which
// paths are read and what is written.
package jsonx
