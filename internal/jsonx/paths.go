package jsonx

import "slices"

// Paths is the part of a JSON value a reader needs: the value itself at
// the root, each key read by name below it. A node read whole (given to a
// function, compared, iterated, indexed by a computed key) is decoded
// whole. The zero value reads nothing; a nil *Paths reads everything.
type Paths struct {
	whole bool
	kids  map[string]*Paths
	byLen [][]*Paths // the kids by the length of their key: a decode compares a key with the few of its length
	name  string     // the key this node is under in its parent: the built map's key, made once
}

// Add marks the value at path as read whole (an empty path: the root).
func (n *Paths) Add(path []string) {
	for _, k := range path {
		if n.whole {
			return
		}
		if n.kids == nil {
			n.kids = map[string]*Paths{}
		}
		kid := n.kids[k]
		if kid == nil {
			kid = &Paths{name: k}
			n.kids[k] = kid
			if len(n.byLen) <= len(k) {
				n.byLen = append(n.byLen, make([][]*Paths, len(k)+1-len(n.byLen))...)
			}
			n.byLen[len(k)] = append(n.byLen[len(k)], kid)
		}
		n = kid
	}
	n.whole, n.kids, n.byLen = true, nil, nil
}

// kid returns the node of the key, nil if the key is not read.
func (n *Paths) kid(key []byte) *Paths {
	if len(key) >= len(n.byLen) {
		return nil
	}
	for _, kid := range n.byLen[len(key)] {
		if kid.name == string(key) {
			return kid
		}
	}
	return nil
}

// Whole reports whether the root is read whole.
func (n *Paths) Whole() bool { return n == nil || n.whole }

// List returns the values read whole, each as root followed by its keys
// joined with dots ("payload.data.object"), sorted.
func (n *Paths) List(root string) []string {
	if n.whole {
		return []string{root}
	}
	var out []string
	for k, kid := range n.kids {
		out = append(out, kid.List(root+"."+k)...)
	}
	slices.Sort(out)
	return out
}

// DecodePaths decodes of a JSON body only what need says is read: the
// same values Decode gives at those paths, without building the rest. One
// pass over the body validates all of it, counts the limits Decode
// checks and records what is read; the values are then made from a few
// allocations sized by that pass (build.go). A body the pass refuses
// (invalid JSON, a limit exceeded) goes to Decode's general decoder,
// which gives the error as always. The values do not refer to body.
func DecodePaths(body []byte, need *Paths) (any, error) {
	s := scanners.Get().(*scanner)
	defer s.release()
	if !s.scan(body, need) {
		return decodeGeneral(body)
	}
	return s.build(), nil
}
