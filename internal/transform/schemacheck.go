package transform

import (
	"cmp"
	"encoding/json"
	"maps"
	"math"
	"math/big"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaCheck is a JSON Schema compiled, once at load, into a check that
// answers one question without allocating: does this data certainly pass
// its schema? It reads the schema as santhosh-tekuri/jsonschema compiled it
// (the same $refs, regexps and format functions) and follows that
// validator's rules keyword by keyword.
//
// It only ever says "valid" when the validator would: anything it does not
// decide exactly (a keyword it does not implement, a value of another Go
// type, a number at a bound it cannot compare exactly, any violation) makes
// it answer "not known valid", and validateData then runs the validator
// itself, which alone writes the errors the dead letters show. So the
// violations, their JSON pointers and their messages are the validator's,
// and the common case (data that passes) costs a walk of the data.
type schemaCheck struct {
	// opaque: a keyword this check does not implement; never known valid.
	opaque bool
	bool_  *bool // a boolean schema
	ref    *schemaCheck
	types  uint8 // the type keyword as typeBits; 0: any
	consts []any // const (one) or enum (the list): strings, booleans or null
	enum   bool  // consts is an enum (else a const, when consts is set)
	format func(any) error
	sure   func(any) bool // decides format's "valid" without it; nil: none
	allOf  []*schemaCheck
	anyOf  []*schemaCheck

	minProps, maxProps int // -1: none
	required           []string
	props              map[string]*schemaCheck
	patternProps       []patternCheck
	additional         *schemaCheck // nil: none; see noAdditional
	noAdditional       bool         // additionalProperties: false
	propNames          *schemaCheck

	minItems, maxItems int // -1: none
	items              *schemaCheck
	uniqueItems        bool

	minLen, maxLen int // -1: none
	pattern        jsonschema.Regexp

	bounds []numBound
}

type patternCheck struct {
	re    jsonschema.Regexp
	check *schemaCheck
}

// numBound is minimum, maximum, exclusiveMinimum or exclusiveMaximum.
type numBound struct {
	// the bound as an int64 when it is an integer that fits, else its
	// floor when that fits (hasFloor), and as a float64 when that is
	// exact; a value compared with none of them is not known valid.
	isInt, hasFloor bool
	iv, floor       int64
	f               float64
	fExact          bool
	below, eq       bool // the value must be below (else above) the bound, or may equal it
}

// The JSON types of the type keyword, as bits.
const (
	typeNull uint8 = 1 << iota
	typeBoolean
	typeNumber
	typeInteger
	typeString
	typeArray
	typeObject
)

// maxCheckDepth bounds how deep a check follows the data (and $refs that
// do not descend into it); past it the data is not known valid.
const maxCheckDepth = 64

// newSchemaCheck compiles sch's check. Schemas referring to each other
// share their checks, so a recursive schema gives a recursive check.
func newSchemaCheck(sch *jsonschema.Schema) *schemaCheck {
	return compileCheck(sch, map[*jsonschema.Schema]*schemaCheck{})
}

func compileCheck(s *jsonschema.Schema, seen map[*jsonschema.Schema]*schemaCheck) *schemaCheck {
	if c, ok := seen[s]; ok {
		return c
	}
	c := &schemaCheck{minProps: -1, maxProps: -1, minItems: -1, maxItems: -1, minLen: -1, maxLen: -1}
	seen[s] = c
	if s.Bool != nil {
		c.bool_ = s.Bool
		return c
	}
	if beyondCheck(s) {
		// What this check does not implement: the schema is then never
		// known valid (the validator runs on every event).
		c.opaque = true
		return c
	}
	if s.Ref != nil {
		c.ref = compileCheck(s.Ref, seen)
	}
	c.compileValues(s)
	for _, a := range s.AllOf {
		c.allOf = append(c.allOf, compileCheck(a, seen))
	}
	for _, a := range s.AnyOf {
		c.anyOf = append(c.anyOf, compileCheck(a, seen))
	}
	c.compileObject(s, seen)
	c.compileArray(s, seen)
	c.compileScalar(s)
	return c
}

// beyondCheck reports whether s uses a keyword the check does not
// implement.
func beyondCheck(s *jsonschema.Schema) bool {
	return s.RecursiveRef != nil || s.DynamicRef != nil || s.Not != nil || len(s.OneOf) > 0 || s.If != nil ||
		s.Then != nil || s.Else != nil || len(s.Dependencies) > 0 || len(s.DependentRequired) > 0 ||
		len(s.DependentSchemas) > 0 || s.UnevaluatedProperties != nil || s.UnevaluatedItems != nil ||
		s.Contains != nil || s.AdditionalItems != nil || len(s.PrefixItems) > 0 ||
		s.ContentEncoding != nil || s.ContentMediaType != nil || s.ContentSchema != nil || s.MultipleOf != nil ||
		len(s.Extensions) > 0 || (s.Ref != nil && s.DraftVersion < 2019) || s.DraftVersion == 4 || s.DraftVersion == 6
}

// typeBits are the JSON Schema type names, as bits.
var typeBits = map[string]uint8{"null": typeNull, "boolean": typeBoolean, "number": typeNumber, "integer": typeInteger,
	"string": typeString, "array": typeArray, "object": typeObject}

// compileValues reads s's type, const, enum and format.
func (c *schemaCheck) compileValues(s *jsonschema.Schema) {
	if s.Types != nil && !s.Types.IsEmpty() {
		for _, t := range s.Types.ToStrings() {
			bit, ok := typeBits[t]
			c.types |= bit
			c.opaque = c.opaque || !ok
		}
	}
	if s.Const != nil {
		c.consts = []any{*s.Const}
	}
	if s.Enum != nil {
		if s.Const != nil {
			c.opaque = true // both: rare enough not to combine them
		}
		c.consts, c.enum = slices.Clone(s.Enum.Values), true
	}
	for _, v := range c.consts {
		switch v.(type) {
		case nil, bool, string:
		default:
			c.opaque = true // numbers, arrays, objects: compared by the validator
		}
	}
	if s.Format != nil {
		if s.Format.Validate == nil {
			c.opaque = true
		}
		c.format = s.Format.Validate
		c.sure = formatSure(s.Format.Name)
	}
}

// compileObject reads s's object keywords.
func (c *schemaCheck) compileObject(s *jsonschema.Schema, seen map[*jsonschema.Schema]*schemaCheck) {
	if s.MinProperties != nil {
		c.minProps = *s.MinProperties
	}
	if s.MaxProperties != nil {
		c.maxProps = *s.MaxProperties
	}
	c.required = s.Required
	if len(s.Properties) > 0 {
		c.props = make(map[string]*schemaCheck, len(s.Properties))
		for k, p := range s.Properties {
			c.props[k] = compileCheck(p, seen)
		}
	}
	for _, re := range slices.SortedFunc(maps.Keys(s.PatternProperties), func(a, b jsonschema.Regexp) int {
		return cmp.Compare(a.String(), b.String())
	}) {
		c.patternProps = append(c.patternProps, patternCheck{re, compileCheck(s.PatternProperties[re], seen)})
	}
	switch a := s.AdditionalProperties.(type) {
	case nil:
	case bool:
		c.noAdditional = !a
	case *jsonschema.Schema:
		c.additional = compileCheck(a, seen)
	default:
		c.opaque = true
	}
	if s.PropertyNames != nil {
		c.propNames = compileCheck(s.PropertyNames, seen)
	}
}

// compileArray reads s's array keywords.
func (c *schemaCheck) compileArray(s *jsonschema.Schema, seen map[*jsonschema.Schema]*schemaCheck) {
	c.uniqueItems = s.UniqueItems
	if s.MinItems != nil {
		c.minItems = *s.MinItems
	}
	if s.MaxItems != nil {
		c.maxItems = *s.MaxItems
	}
	switch it := s.Items.(type) {
	case nil:
	case *jsonschema.Schema:
		c.items = compileCheck(it, seen)
	default:
		c.opaque = true
	}
	if s.Items2020 != nil {
		if c.items != nil {
			c.opaque = true
		}
		c.items = compileCheck(s.Items2020, seen)
	}
}

// compileScalar reads s's string and number keywords.
func (c *schemaCheck) compileScalar(s *jsonschema.Schema) {
	if s.MinLength != nil {
		c.minLen = *s.MinLength
	}
	if s.MaxLength != nil {
		c.maxLen = *s.MaxLength
	}
	c.pattern = s.Pattern
	for _, b := range []struct {
		r         *big.Rat
		below, eq bool
	}{{s.Minimum, false, true}, {s.Maximum, true, true}, {s.ExclusiveMinimum, false, false}, {s.ExclusiveMaximum, true, false}} {
		if b.r != nil {
			c.bounds = append(c.bounds, newNumBound(b.r, b.below, b.eq))
		}
	}
}

func newNumBound(r *big.Rat, below, eq bool) numBound {
	b := numBound{below: below, eq: eq}
	if r.IsInt() && r.Num().IsInt64() {
		b.isInt, b.iv = true, r.Num().Int64()
	} else if !r.IsInt() {
		fl := new(big.Int).Div(r.Num(), r.Denom()) // Euclidean: the floor, the denominator being positive
		if fl.IsInt64() {
			b.hasFloor, b.floor = true, fl.Int64()
		}
	}
	b.f, b.fExact = r.Float64()
	return b
}

// valid reports whether v certainly passes the schema; false means "not
// known": the validator decides.
func (c *schemaCheck) valid(v any) bool {
	return c.check(v, 0)
}

func (c *schemaCheck) check(v any, depth int) bool {
	if depth > maxCheckDepth || c.opaque {
		return false
	}
	if c.bool_ != nil {
		return *c.bool_
	}
	if c.ref != nil && !c.ref.check(v, depth+1) {
		return false
	}
	for _, a := range c.allOf {
		if !a.check(v, depth+1) {
			return false
		}
	}
	if len(c.anyOf) > 0 {
		ok := false
		for _, a := range c.anyOf {
			if a.check(v, depth+1) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if c.consts != nil && !c.matchConst(v) {
		return false
	}
	switch x := v.(type) {
	case nil:
		return c.typeOK(typeNull) && c.formatOK(v)
	case bool:
		return c.typeOK(typeBoolean) && c.formatOK(v)
	case string:
		return c.typeOK(typeString) && c.formatOK(v) && c.checkString(x)
	case map[string]any:
		return c.typeOK(typeObject) && c.formatOK(v) && c.checkObject(x, depth)
	case []any:
		return c.typeOK(typeArray) && c.formatOK(v) && c.checkArray(x, depth)
	case int:
		return c.checkInt(int64(x), v)
	case int64:
		return c.checkInt(x, v)
	case int32:
		return c.checkInt(int64(x), v)
	case float64:
		return c.checkFloat(x, v)
	case json.Number:
		// What jsonschema.UnmarshalJSON gives; an integer literal that
		// fits is compared exactly, anything else by the validator.
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return c.checkInt(i, v)
		}
		return false
	}
	return false // other Go types: the validator says what it makes of them
}

func (c *schemaCheck) typeOK(t uint8) bool {
	return c.types == 0 || c.types&t != 0
}

func (c *schemaCheck) formatOK(v any) bool {
	return c.format == nil || (c.sure != nil && c.sure(v)) || c.format(v) == nil
}

func (c *schemaCheck) matchConst(v any) bool {
	for _, k := range c.consts {
		switch kv := k.(type) {
		case nil:
			if v == nil {
				return true
			}
		case bool:
			if b, ok := v.(bool); ok && b == kv {
				return true
			}
		case string:
			if s, ok := v.(string); ok && s == kv {
				return true
			}
		}
	}
	return false
}

func (c *schemaCheck) checkString(s string) bool {
	if c.minLen >= 0 || c.maxLen >= 0 {
		n := utf8.RuneCountInString(s)
		if (c.minLen >= 0 && n < c.minLen) || (c.maxLen >= 0 && n > c.maxLen) {
			return false
		}
	}
	return c.pattern == nil || c.pattern.MatchString(s)
}

func (c *schemaCheck) checkObject(obj map[string]any, depth int) bool {
	if (c.minProps >= 0 && len(obj) < c.minProps) || (c.maxProps >= 0 && len(obj) > c.maxProps) {
		return false
	}
	for _, r := range c.required {
		if _, ok := obj[r]; !ok {
			return false
		}
	}
	for k, pv := range obj {
		evaluated := false
		if p, ok := c.props[k]; ok {
			evaluated = true
			if !p.check(pv, depth+1) {
				return false
			}
		}
		for _, pp := range c.patternProps {
			if pp.re.MatchString(k) {
				evaluated = true
				if !pp.check.check(pv, depth+1) {
					return false
				}
			}
		}
		if !evaluated {
			if c.noAdditional {
				return false
			}
			if c.additional != nil && !c.additional.check(pv, depth+1) {
				return false
			}
		}
		if c.propNames != nil && !c.propNames.check(k, depth+1) {
			return false
		}
	}
	return true
}

func (c *schemaCheck) checkArray(arr []any, depth int) bool {
	if (c.minItems >= 0 && len(arr) < c.minItems) || (c.maxItems >= 0 && len(arr) > c.maxItems) {
		return false
	}
	if c.items != nil {
		for _, e := range arr {
			if !c.items.check(e, depth+1) {
				return false
			}
		}
	}
	return !c.uniqueItems || distinctScalars(arr)
}

// maxUniqueItems bounds the pairs distinctScalars compares.
const maxUniqueItems = 64

// distinctScalars reports whether arr holds only strings, booleans and
// nulls, no two equal (as the validator compares them); false when it
// holds anything else, or too many to compare pair by pair.
func distinctScalars(arr []any) bool {
	if len(arr) > maxUniqueItems {
		return false
	}
	for i, a := range arr {
		switch a.(type) {
		case nil, bool, string:
		default:
			return false
		}
		for _, b := range arr[:i] {
			if a == b {
				return false
			}
		}
	}
	return true
}

// checkInt checks an integer value (v is the value as it came).
func (c *schemaCheck) checkInt(i int64, v any) bool {
	if !c.typeOK(typeNumber|typeInteger) || !c.formatOK(v) {
		return false
	}
	for _, b := range c.bounds {
		var order int
		switch {
		case b.isInt:
			order = cmp.Compare(i, b.iv)
		case b.hasFloor: // a bound strictly between floor and floor+1
			order = 1
			if i <= b.floor {
				order = -1
			}
		default:
			return false
		}
		if !b.holds(order) {
			return false
		}
	}
	return true
}

// checkFloat checks a float64. The validator compares the number as
// fmt.Sprint writes it (the shortest decimal that reads back as v): that
// decimal is on the same side of a bound that is itself a float64 as v is,
// unless v equals it; equal, or a bound that is no float64, is left to the
// validator.
func (c *schemaCheck) checkFloat(f float64, v any) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return false
	}
	if f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
		// fmt.Sprint writes such a float as its integer, exactly.
		return c.checkInt(int64(f), v)
	}
	t := typeNumber
	if f == math.Trunc(f) {
		t |= typeInteger
	}
	if !c.typeOK(t) || !c.formatOK(v) {
		return false
	}
	for _, b := range c.bounds {
		if !b.fExact || f == b.f {
			return false
		}
		if !b.holds(cmpFloat(f, b.f)) {
			return false
		}
	}
	return true
}

// holds reports whether a value that compares cmp with the bound passes it.
func (b numBound) holds(cmp int) bool {
	if cmp == 0 {
		return b.eq
	}
	return (cmp < 0) == b.below
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
