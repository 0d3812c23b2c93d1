// Package transform compiles mapping files into rules and evaluates them:
// it loads and compiles the files (YAML, expr-lang expressions compiled and
// type-checked once at load, within an evaluation budget), matches a
// provider payload against a file's rules (first match wins), and builds
// the CloudEvent the matching rule describes, filling what the profile
// requires and validating the result against the profile and the rule's
// JSON Schema before anyone publishes it. A file that does not load is
// reported as Diagnostics, each at its file, line and column.
//
// It does not publish, deduplicate or answer callers: Apply returns a Result
// (events, a drop, or the reason the payload must be dead-lettered) and the
// pipeline decides what happens next. Nor does it own what it calls on:
// signature parses and verifies the webhook.signature block, jsonx decodes
// and writes JSON, yamlcheck words what is wrong with a YAML node, and
// fixture runs the rules' `tests:` for bridge test.
package transform
