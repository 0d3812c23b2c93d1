package pipeline

import "regexp"

// quotedRE matches a quoted text in an error message: the way expr, the
// bridge's functions and the JSON Schema validator quote the values they
// refuse, which are the payload's.
var quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)

// LogText is err's message for a log line, with every quoted text elided:
// a quoted value may be a payload's card number or e-mail address, and logs
// travel further than the dead-letter stream, which keeps the message whole.
func LogText(err error) string {
	if err == nil {
		return ""
	}
	return quotedRE.ReplaceAllString(err.Error(), `"…"`)
}
