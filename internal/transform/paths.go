package transform

import (
	"github.com/expr-lang/expr/ast"

	"github.com/bridge-dev/bridge/internal/jsonx"
)

// readPaths adds to n what the expression tree reads of `payload`: every
// longest chain of constant member accesses from it (payload.data.object.id,
// payload?.data["object"], or the fetchFunc call such a chain is compiled
// into) reads that value; any other use of payload, or of $env, reads all
// of it.
func readPaths(n *jsonx.Paths, tree ast.Node) {
	v := &pathVisitor{chains: map[ast.Node][]string{}, inner: map[ast.Node]bool{}, roots: map[*ast.IdentifierNode]bool{}}
	ast.Walk(&tree, v)
	for c, path := range v.chains {
		if !v.inner[c] {
			n.Add(path)
		}
	}
	for _, id := range v.payloads {
		if !v.roots[id] {
			n.Add(nil) // payload read whole
		}
	}
	if v.env {
		n.Add(nil)
	}
}

type pathVisitor struct {
	chains   map[ast.Node][]string        // constant chains from payload, and their paths
	inner    map[ast.Node]bool            // chains that are the start of a longer chain
	roots    map[*ast.IdentifierNode]bool // payload identifiers at the root of a chain
	payloads []*ast.IdentifierNode        // every payload identifier
	env      bool                         // $env is read
}

func (v *pathVisitor) Visit(node *ast.Node) {
	switch x := (*node).(type) {
	case *ast.IdentifierNode:
		switch x.Value {
		case "payload":
			v.payloads = append(v.payloads, x)
		case "$env":
			v.env = true
		}
	case *ast.MemberNode, *ast.CallNode:
		path, root, base := constChain(x)
		if root == nil {
			return
		}
		v.chains[x] = path
		v.roots[root] = true
		if base != nil {
			v.inner[base] = true
		}
	}
}

// constChain returns the keys of a chain of constant member accesses that
// starts at the payload, the payload identifier, and the chain it extends
// (nil when it extends none); a nil identifier when n is not such a chain.
func constChain(n ast.Node) (path []string, root *ast.IdentifierNode, base ast.Node) {
	var rev []string
	for cur := n; ; {
		var next ast.Node
		switch x := cur.(type) {
		case *ast.ChainNode:
			cur = x.Node
			continue
		case *ast.MemberNode:
			s, ok := x.Property.(*ast.StringNode)
			if x.Method || !ok {
				return nil, nil, nil
			}
			rev = append(rev, s.Value)
			next = x.Node
		case *ast.CallNode:
			from, fk := fetchCall(x)
			if fk == nil {
				return nil, nil, nil
			}
			for i := len(fk.keys) - 1; i >= 0; i-- {
				rev = append(rev, fk.keys[i])
			}
			next = from
		case *ast.IdentifierNode:
			if x.Value != "payload" || len(rev) == 0 {
				return nil, nil, nil
			}
			path = make([]string, len(rev))
			for i, k := range rev {
				path[len(rev)-1-i] = k
			}
			return path, x, base
		default:
			return nil, nil, nil
		}
		if base == nil {
			base = unwrapChain(next)
		}
		cur = next
	}
}

// unwrapChain returns the node an optional chain (a?.b) wraps, or n.
func unwrapChain(n ast.Node) ast.Node {
	if c, ok := n.(*ast.ChainNode); ok {
		return c.Node
	}
	return n
}

// readsIdentifier reports whether the expression tree can read the
// environment's variable name: it names it, or reads $env.
func readsIdentifier(tree ast.Node, name string) bool {
	v := identVisitor{name: name}
	ast.Walk(&tree, &v)
	return v.found
}

type identVisitor struct {
	name  string
	found bool
}

func (v *identVisitor) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok && (id.Value == v.name || id.Value == "$env") {
		v.found = true
	}
}
