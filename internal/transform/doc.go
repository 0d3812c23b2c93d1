// Package transform owns mapping files: it loads and compiles them (YAML,
// expr-lang expressions compiled and type-checked once at load), matches a
// provider payload against a file's rules (first match wins), and builds the
// CloudEvent the matching rule describes, filling what the profile requires
// and validating the result against the profile before anyone publishes it.
//
// It does not publish, deduplicate or answer callers: Apply returns a Result
// (events, a drop, or the reason the payload must be dead-lettered) and the
// pipeline decides what happens next.
package transform
