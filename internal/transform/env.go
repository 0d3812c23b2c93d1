package transform

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"

	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/bridge-dev/bridge/internal/signature"
)

// Envelope is the events-protocol envelope of a call; on the webhook and NATS
// paths it is present with empty fields, so `envelope.name == "x"` is false.
type Envelope struct {
	Name     string         `expr:"name"`
	Version  int            `expr:"version"`
	ID       string         `expr:"id"`
	FlowID   string         `expr:"flowId"`
	Metadata map[string]any `expr:"metadata"`
	Identity map[string]any `expr:"identity"`
	// The envelope's auth (credentials) is not here on purpose: the events
	// endpoint checks it before the envelope is parsed, and no expression
	// may read, copy or publish a credential.
}

// env is what every expression sees.
type env struct {
	Payload    any               `expr:"payload"`
	Headers    map[string]string `expr:"headers"`
	Query      map[string]string `expr:"query"` // webhooks: first value of each query parameter; empty elsewhere
	Provider   string            `expr:"provider"`
	ReceivedAt time.Time         `expr:"received_at"`
	Envelope   Envelope          `expr:"envelope"`
	// Budget is what the evaluation may still spend (see budget.go); the
	// charging calls the patcher adds read it, expressions may not.
	Budget *budget `expr:"__bridge_budget"`
}

// itemEnv is what the expressions of a rule with `each` see: the element of
// the list as `item`. Rules without `each` compile against env, so `item`
// there is a load error, not a nil at run time.
type itemEnv struct {
	Payload    any               `expr:"payload"`
	Headers    map[string]string `expr:"headers"`
	Query      map[string]string `expr:"query"`
	Provider   string            `expr:"provider"`
	ReceivedAt time.Time         `expr:"received_at"`
	Envelope   Envelope          `expr:"envelope"`
	Item       any               `expr:"item"`
	Budget     *budget           `expr:"__bridge_budget"`
}

// functions returns the bridge's functions for one mapping file (hmac needs
// the file's secrets). Each declares its signatures so the checker rejects a
// wrong call at load; arguments typed `any` (JSON values) pass the checker
// and are checked at run time.
func functions(secrets map[string]signature.Secret) []expr.Option {
	return append(append(fetchOptions(), bridgeFunctions(secrets)...), budgetOptions()...)
}

// bridgeFunctions are the functions of functions, without the member
// access rewrite.
func bridgeFunctions(secrets map[string]signature.Secret) []expr.Option {
	return append([]expr.Option(nil),
		expr.Function("fromUnix", fromUnix,
			new(func(int) time.Time), new(func(float64) time.Time), new(func(string) time.Time)),
		expr.Function("fromUnixMilli", fromUnixMilli,
			new(func(int) time.Time), new(func(float64) time.Time), new(func(string) time.Time)),
		expr.Function("parseTime", parseTime, new(func(string, string) time.Time)),
		expr.Function("uuid5", uuid5, new(func(...any) string)),
		expr.Function("minorUnits", minorUnits,
			new(func(string, string) int), new(func(float64, string) int), new(func(int, string) int)),
		expr.Function("mask", mask, new(func(string, int) string)),
		// expr's own string() writes 1234567 as "1.234567e+06" and nil as
		// "<nil>": an id built with it would be silently wrong.
		expr.Function("string", toString, new(func(any) string)),
		expr.Function("hmac", func(params ...any) (any, error) {
			name, _ := params[0].(string)
			secret, ok := secrets[name]
			if !ok {
				return nil, fmt.Errorf("hmac: no secret named %q in this file's secrets", name)
			}
			s, err := str("hmac", params[1])
			if err != nil {
				return nil, err
			}
			m := hmac.New(sha256.New, []byte(secret))
			m.Write([]byte(s))
			return hex.EncodeToString(m.Sum(nil)), nil
		}, new(func(string, string) string)),
	)
}

// toString is the bridge's string(): a number as the data writer writes it
// (1234567, 0.5; a literal kept as written as that literal), a time in RFC
// 3339, and nil an error rather than "<nil>".
func toString(params ...any) (any, error) {
	switch v := params[0].(type) {
	case string:
		return v, nil
	case nil:
		return nil, errors.New("string: argument is nil (a missing field? give a default with ??)")
	case float64:
		if b, ok := jsonx.AppendFloat(nil, v); ok {
			return string(b), nil
		}
	case json.Number:
		return string(v), nil
	case time.Time:
		return v.Format(time.RFC3339Nano), nil
	}
	return fmt.Sprint(params[0]), nil
}

// FunctionNames lists the functions the bridge adds to expr's built-ins.
var FunctionNames = []string{"fromUnix", "fromUnixMilli", "parseTime", "uuid5", "minorUnits", "mask", "hmac"}

func number(fn string, v any) (float64, error) {
	switch n := v.(type) {
	case float64:
		return n, nil
	case int:
		return float64(n), nil
	case int64:
		return float64(n), nil
	case json.Number:
		return n.Float64()
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %q is not a number", fn, n)
		}
		return f, nil
	case nil:
		return 0, fmt.Errorf("%s: argument is nil", fn)
	}
	return 0, fmt.Errorf("%s: want a number, got %T", fn, v)
}

func str(fn string, v any) (string, error) {
	switch s := v.(type) {
	case string:
		return s, nil
	case nil:
		return "", fmt.Errorf("%s: argument is nil", fn)
	}
	return "", fmt.Errorf("%s: want a string, got %T", fn, v)
}

func fromUnix(params ...any) (any, error) {
	f, err := number("fromUnix", params[0])
	if err != nil {
		return nil, err
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

func fromUnixMilli(params ...any) (any, error) {
	f, err := number("fromUnixMilli", params[0])
	if err != nil {
		return nil, err
	}
	return time.UnixMilli(int64(f)).UTC(), nil
}

func parseTime(params ...any) (any, error) {
	layout, _ := params[0].(string)
	s, err := str("parseTime", params[1])
	if err != nil {
		return nil, err
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return nil, fmt.Errorf("parseTime: %w", err)
	}
	return t, nil
}

func uuid5(params ...any) (any, error) {
	parts := make([]string, len(params))
	for i, p := range params {
		switch v := p.(type) {
		case string:
			parts[i] = v
		case float64:
			parts[i] = strconv.FormatFloat(v, 'f', -1, 64)
		case nil:
			return nil, fmt.Errorf("uuid5: part %d is nil", i+1)
		default:
			parts[i] = fmt.Sprint(v)
		}
	}
	return idem.UUID5(parts...).String(), nil
}

// currencyExponent lists ISO 4217 currencies whose minor unit is not 2.
var currencyExponent = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// minorUnits turns a decimal amount ("110.00", 110.5) into integer minor
// units of the currency (11000, 11050 for BRL), exactly: a string amount is
// parsed as a decimal, not as a float, and an amount with more decimals than
// the currency has is an error rather than silently rounded.
func minorUnits(params ...any) (any, error) {
	cur, _ := params[1].(string)
	exp, ok := currencyExponent[strings.ToUpper(cur)]
	if !ok {
		if len(cur) != 3 {
			return nil, fmt.Errorf("minorUnits: %q is not an ISO 4217 currency code", cur)
		}
		exp = 2
	}
	var lit string
	switch a := params[0].(type) {
	case string:
		lit = strings.TrimSpace(a)
	case json.Number:
		lit = string(a) // a literal too long for float64: exact as written
	case nil:
		return nil, fmt.Errorf("minorUnits: amount is nil")
	default:
		f, err := number("minorUnits", a)
		if err != nil {
			return nil, err
		}
		// A JSON number like 110.1 is not exact in binary; its shortest
		// decimal form is what the provider wrote.
		lit = strconv.FormatFloat(f, 'f', -1, 64)
	}
	n, err := decimalMinorUnits(lit, exp)
	switch {
	case errors.Is(err, errNotDecimal):
		return nil, fmt.Errorf("minorUnits: %q is not a decimal amount", params[0])
	case errors.Is(err, errMoreDecimals):
		return nil, fmt.Errorf("minorUnits: %v has more decimals than %s allows (%d)", params[0], strings.ToUpper(cur), exp)
	case err != nil:
		return nil, fmt.Errorf("minorUnits: amount out of range")
	}
	return n, nil
}

var (
	errNotDecimal   = errors.New("not a decimal")
	errMoreDecimals = errors.New("more decimals")
	errOutOfRange   = errors.New("out of range")
)

// maxMinorUnits is the largest amount minorUnits gives: every integer up
// to it is exact in a float64.
const maxMinorUnits = 1 << 53

// decimalMinorUnits reads lit, a decimal amount ([-+]digits[.digits]
// [e[-+]digits], jsonx.ParseDecimal), as an integer of minor units, the
// amount times 10^exp, exactly and without big numbers: an exponent of a
// million costs what one of one does (attack of 2026-12-06: big.Rat
// computed 10^exponent). Another form big.Rat reads (a fraction "1/2", a
// base prefix) is read by it when short and without an exponent (the e
// of a hexadecimal number is a digit); a binary exponent ("1p-2") is not
// a decimal amount.
func decimalMinorUnits(lit string, exp int) (int, error) {
	d, ok := jsonx.ParseDecimal(lit)
	if !ok {
		return ratMinorUnits(lit, exp)
	}
	// The amount in minor units is 0.d1d2...dn × 10^whole: an integer
	// when its digits (no trailing zero) all stand before the point.
	whole := d.Exp + exp
	switch {
	case d.Len() == 0:
		return 0, nil
	case d.Len() > whole:
		return 0, errMoreDecimals
	case whole > 16:
		return 0, errOutOfRange
	}
	var n uint64
	for i := range whole {
		n = n*10 + uint64(d.Digit(i)-'0')
	}
	if n > maxMinorUnits {
		return 0, errOutOfRange
	}
	if d.Neg {
		return -int(n), nil
	}
	return int(n), nil
}

// ratMinorUnits reads the other forms big.Rat takes, when short and
// without an exponent (whose cost big.Rat would pay).
func ratMinorUnits(lit string, exp int) (int, error) {
	body := strings.TrimLeft(lit, "+-")
	hex := len(body) > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') // where e is a digit
	if len(lit) > 64 || strings.ContainsAny(lit, "pP") || !hex && strings.ContainsAny(lit, "eE") {
		return 0, errNotDecimal
	}
	r, ok := new(big.Rat).SetString(lit)
	if !ok {
		return 0, errNotDecimal
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil)))
	if !r.IsInt() {
		return 0, errMoreDecimals
	}
	n := r.Num()
	if !n.IsInt64() || n.Int64() > maxMinorUnits || n.Int64() < -maxMinorUnits {
		return 0, errOutOfRange
	}
	return int(n.Int64()), nil
}

// mask keeps the last keep characters of s and replaces the others with '*'.
func mask(params ...any) (any, error) {
	if params[0] == nil {
		return nil, nil
	}
	s, err := str("mask", params[0])
	if err != nil {
		return nil, err
	}
	keep, _ := params[1].(int)
	r := []rune(s)
	if keep < 0 {
		keep = 0
	}
	for i := 0; i < len(r)-keep; i++ {
		r[i] = '*'
	}
	return string(r), nil
}
