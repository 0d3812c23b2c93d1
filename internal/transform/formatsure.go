package transform

// Formats the schema check decides without the validator's format
// functions, which allocate per value (santhosh-tekuri/jsonschema splits
// strings): each answers true only for strings that function accepts
// (FuzzFormatSure holds that); anything else is left to the function.

// formatSure returns the check for the format named name; nil: none.
func formatSure(name string) func(any) bool {
	switch name {
	case "date-time":
		return dateTimeSure
	case "uuid":
		return uuidSure
	}
	return nil
}

// uuidSure: 8-4-4-4-12 hexadecimal digits.
func uuidSure(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// dateTimeSure: RFC 3339's date-time, yyyy-mm-ddThh:mm:ss[.frac](Z|±hh:mm),
// a day that the month has and a second below 60 (a leap second is left
// to the validator, which checks it against the offset).
func dateTimeSure(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) < 20 {
		return false
	}
	if s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return false
	}
	year, ok1 := digits(s, 0, 4)
	month, ok2 := digits(s, 5, 2)
	day, ok3 := digits(s, 8, 2)
	hour, ok4 := digits(s, 11, 2)
	minute, ok5 := digits(s, 14, 2)
	sec, ok6 := digits(s, 17, 2)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 {
		return false
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return false
	}
	rest := s[19:]
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && '0' <= rest[n] && rest[n] <= '9' {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	switch {
	case rest == "Z" || rest == "z":
		return true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		zh, ok1 := digits(rest, 1, 2)
		zm, ok2 := digits(rest, 4, 2)
		return ok1 && ok2 && zh <= 23 && zm <= 59
	}
	return false
}

// digits reads n decimal digits of s from i.
func digits(s string, i, n int) (int, bool) {
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
