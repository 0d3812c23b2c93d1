// Package jsonx reads and writes JSON the way the bridge needs it, fast and
// exactly: Decode and DecodePaths parse a provider's body into maps, lists
// and float64 (a number float64 would round is kept as its literal, a
// json.Number), within limits on depth, keys and values checked before
// decoding; DecodePaths builds only the paths a mapping's expressions read.
// Marshal writes a value as encoding/json does, without HTML escaping, byte
// for byte.
//
// It knows nothing of mappings, rules or events: transform decides which
// paths are read and what is written.
package jsonx
