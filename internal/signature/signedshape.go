package signature

import (
	"fmt"
	"reflect"

	"github.com/expr-lang/expr/ast"
)

// A signed expression runs on every request before the signature is
// checked, so on forged ones too: what it may cost must not depend on the
// expression's author getting it right (attack of 2026-12-06: a `let`
// doubling a string, nested toBase64, body concatenated 200 times, a
// large pattern matched over the body each cost seconds or gigabytes per
// forged request). So an expression is only string plumbing:
//
//   - no let, closure, predicate, list or map literal, pointer or
//     sequence;
//   - body read at most once (in each branch of ?:), and only as an operand of +, == or != or a
//     branch of ?: (never an argument of a built-in or of matches);
//   - matches only with a literal pattern of at most signedMaxPattern
//     bytes;
//
// and at run time the values it reads besides the body, times the number
// of times it reads them, may not exceed signedMaxReads bytes. Its result
// and every intermediate string are then at most the body plus that.
const (
	signedMaxPattern = 256
	signedMaxReads   = 1 << 20
)

// signedShape checks the compiled tree of an expression of setting and
// returns how many times it reads a variable other than body.
func signedShape(setting string, root ast.Node) (reads int, err error) {
	// bodies counts the reads of body along one evaluation: the branches
	// of ?: are alternatives, so their counts are not added.
	var bodies func(n ast.Node) int
	bodies = func(n ast.Node) int {
		if c, ok := n.(*ast.ConditionalNode); ok {
			return bodies(c.Cond) + maxInt(bodies(c.Exp1), bodies(c.Exp2))
		}
		count := 0
		if id, ok := n.(*ast.IdentifierNode); ok && id.Value == "body" {
			count++
		}
		for _, c := range children(n) {
			count += bodies(c)
		}
		return count
	}
	if bodies(root) > 1 {
		return 0, fmt.Errorf("%s: body may be read once (in each branch of ?:)", setting)
	}
	var walk func(n ast.Node, bodyOK bool) error
	walk = func(n ast.Node, bodyOK bool) error {
		switch n := n.(type) {
		case nil:
			return nil
		case *ast.IdentifierNode:
			if n.Value == "body" {
				if !bodyOK {
					return fmt.Errorf("%s: body may only be concatenated (+), compared (==, !=) or chosen (?:), not passed to a function or an operator that scans it", setting)
				}
				return nil
			}
			reads++
			return nil
		case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NilNode, *ast.ConstantNode, *ast.BytesNode:
			return nil
		case *ast.BinaryNode:
			keep := n.Operator == "+" || n.Operator == "==" || n.Operator == "!="
			if n.Operator == "matches" {
				if p, ok := literal(n.Right); !ok || len(p) > signedMaxPattern {
					return fmt.Errorf("%s: matches takes a literal pattern of at most %d bytes", setting, signedMaxPattern)
				}
			}
			if err := walk(n.Left, bodyOK && keep); err != nil {
				return err
			}
			return walk(n.Right, bodyOK && keep)
		case *ast.UnaryNode:
			return walk(n.Node, false)
		case *ast.ConditionalNode:
			if err := walk(n.Cond, false); err != nil {
				return err
			}
			if err := walk(n.Exp1, bodyOK); err != nil {
				return err
			}
			return walk(n.Exp2, bodyOK)
		case *ast.MemberNode:
			if err := walk(n.Node, false); err != nil {
				return err
			}
			return walk(n.Property, false)
		case *ast.ChainNode:
			return walk(n.Node, false)
		case *ast.SliceNode:
			for _, c := range []ast.Node{n.Node, n.From, n.To} {
				if err := walk(c, false); err != nil {
					return err
				}
			}
			return nil
		case *ast.BuiltinNode:
			for _, a := range n.Arguments {
				if err := walk(a, false); err != nil {
					return err
				}
			}
			return nil
		case *ast.CallNode:
			if err := walk(n.Callee, false); err != nil {
				return err
			}
			for _, a := range n.Arguments {
				if err := walk(a, false); err != nil {
					return err
				}
			}
			return nil
		}
		return fmt.Errorf("%s: %s is not allowed here: a signed expression only reads and joins strings (no let, closures, lists or maps)", setting, nodeKind(n))
	}
	if err := walk(root, true); err != nil {
		return 0, err
	}
	return reads, nil
}

// children are the operands of the nodes signedShape allows.
func children(n ast.Node) []ast.Node {
	switch n := n.(type) {
	case *ast.BinaryNode:
		return []ast.Node{n.Left, n.Right}
	case *ast.UnaryNode:
		return []ast.Node{n.Node}
	case *ast.ConditionalNode:
		return []ast.Node{n.Cond, n.Exp1, n.Exp2}
	case *ast.MemberNode:
		return []ast.Node{n.Node, n.Property}
	case *ast.ChainNode:
		return []ast.Node{n.Node}
	case *ast.SliceNode:
		return []ast.Node{n.Node, n.From, n.To}
	case *ast.BuiltinNode:
		return n.Arguments
	case *ast.CallNode:
		return append([]ast.Node{n.Callee}, n.Arguments...)
	}
	return nil
}

// literal is a string constant node's value.
func literal(n ast.Node) (string, bool) {
	switch n := n.(type) {
	case *ast.StringNode:
		return n.Value, true
	case *ast.ConstantNode:
		s, ok := n.Value.(string)
		return s, ok
	}
	return "", false
}

func nodeKind(n ast.Node) string {
	switch n.(type) {
	case *ast.VariableDeclaratorNode:
		return "let"
	case *ast.PredicateNode:
		return "a predicate"
	case *ast.ArrayNode:
		return "a list"
	case *ast.MapNode:
		return "a map"
	}
	return reflect.TypeOf(n).Elem().Name()
}

// readSize is the largest value the expressions may read besides the
// body: a header's, a query parameter's, a sig part's or the URL.
func (env *signedEnv) readSize() int {
	max := len(env.URL)
	for _, m := range []map[string]string{env.Headers, env.Query, env.Sig} {
		for k, v := range m {
			max = maxInt(max, maxInt(len(k), len(v)))
		}
	}
	return max
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
