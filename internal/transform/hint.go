package transform

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"

	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/bridge-dev/bridge/internal/suggest"
)

// maxHintKeys bounds the keys a hint lists.
const maxHintKeys = 12

// errMissing is the error of a field whose expression read nothing (nil).
var errMissing = errors.New("is missing (nil)")

// missingHintIn is ": <hint>" for the rule's field (entity_id or time)
// whose expression read nothing, from the whole payload of in (decoded
// again: the mapping decoded only the paths it reads), or "".
func missingHintIn(r *Rule, field string, in Input) string {
	var p *program
	switch field {
	case "entity_id":
		p = r.entityID
	case "time":
		p = r.time
	default:
		return ""
	}
	full := in.Payload
	if len(in.Body) > 0 && in.Ingest != IngestEvents { // an envelope's body is not the payload
		if v, err := jsonx.Decode(in.Body); err == nil {
			full = v
		}
	}
	if hint := missingHint(p, &env{Payload: full}); hint != "" {
		return ": " + hint
	}
	return ""
}

// missingHint says, for an expression that read nothing (nil), which key
// of the payload its path missed and which keys were there, with the
// nearest: `payload.data has no key "idd" (did you mean "id"? it has: id,
// total)`. It is "" when the expression is not a plain path into the
// payload, or the path is there (its value is null).
func missingHint(p *program, e any) string {
	if p == nil {
		return ""
	}
	node := p.prog.Node()
	for {
		d, ok := node.(*ast.VariableDeclaratorNode) // a let
		if !ok {
			break
		}
		node = d.Expr
	}
	path, root, _ := constChain(node)
	if root == nil {
		return ""
	}
	var cur any
	switch x := e.(type) {
	case *env:
		cur = x.Payload
	case *itemEnv:
		cur = x.Payload
	default:
		return ""
	}
	return pathHint(path, cur)
}

// pathHint is missingHint's message for path into the payload cur: which
// key it missed, or "" when every key is there.
func pathHint(path []string, cur any) string {
	at := "payload"
	for _, key := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			if cur == nil {
				return fmt.Sprintf("%s is null, so it has no key %q", at, key)
			}
			return fmt.Sprintf("%s is not an object, so it has no key %q", at, key)
		}
		next, ok := m[key]
		if !ok {
			return at + " has no key " + fmt.Sprintf("%q", key) + keysHint(key, m)
		}
		cur, at = next, at+"."+key
	}
	return ""
}

// nilHintIn is ": <hint>" for an evaluation of the program p that failed
// on a nil (`string + <nil>`, `argument is nil`): the first path into the
// payload that p reads and the payload (decoded whole) lacks, or "".
func nilHintIn(p *program, in Input) string {
	if p == nil {
		return ""
	}
	full := in.Payload
	if len(in.Body) > 0 && in.Ingest != IngestEvents {
		if v, err := jsonx.Decode(in.Body); err == nil {
			full = v
		}
	}
	var hint string
	root := p.prog.Node()
	ast.Find(root, func(n ast.Node) bool {
		if hint != "" {
			return false
		}
		path, id, _ := constChain(n)
		if id != nil {
			hint = pathHint(path, full)
		}
		return false
	})
	if hint == "" {
		return ""
	}
	return ": " + hint
}

// fieldProgram is the program of the rule's field as a Failure names it
// (entity_id, time, source, idempotency_key, data.a.b), or nil.
func (r *Rule) fieldProgram(m *Mapping, field string) *program {
	switch field {
	case "entity_id":
		return r.entityID
	case "time":
		return r.time
	case "source":
		return r.source
	case "each":
		return r.each
	case "idempotency_key":
		if r.idemKey != nil {
			return r.idemKey
		}
		return m.idemKey
	}
	rest, ok := strings.CutPrefix(field, "data.")
	if !ok || r.data == nil {
		return nil
	}
	n := r.data
	for _, key := range strings.Split(rest, ".") {
		i := slices.Index(n.keys, key)
		if !n.isMap || i < 0 {
			return nil
		}
		n = n.vals[i]
	}
	return n.leaf
}

// keysHint is " (did you mean "k"? it has: a, b, ...)" for the keys of m.
func keysHint(key string, m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return " (it is empty)"
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(" (")
	if near, ok := suggest.Closest(key, keys); ok {
		fmt.Fprintf(&b, "did you mean %q? ", near)
	}
	shown := keys
	if len(shown) > maxHintKeys {
		shown = shown[:maxHintKeys]
	}
	b.WriteString("it has: " + strings.Join(shown, ", "))
	if len(keys) > maxHintKeys {
		fmt.Fprintf(&b, ", and %d more", len(keys)-maxHintKeys)
	}
	b.WriteString(")")
	return b.String()
}
