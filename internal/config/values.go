package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"strconv"
	"strings"
	"time"
)

// The parsers below turn one value, as typed in a flag, an environment
// variable or the config file, into its Config type; the formatters write
// it back the way a user would type it.

func parseText(s string) (string, error) {
	if s == "" {
		return "", errors.New("must not be empty")
	}
	return s, nil
}

func formatText(s string) string { return s }

// parseOptional takes any text; empty means none (a file path left unset).
func parseOptional(s string) (string, error) { return strings.TrimSpace(s), nil }

// parseURLs splits a comma-separated list; an empty string is no URLs.
func parseURLs(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	urls := strings.Split(s, ",")
	for i, u := range urls {
		urls[i] = strings.TrimSpace(u)
		if urls[i] == "" {
			return nil, fmt.Errorf("empty URL in list %q", s)
		}
	}
	return urls, nil
}

func formatURLs(urls []string) string { return strings.Join(urls, ",") }

// parseHosts splits a comma-separated list of host names or IP
// addresses, without ports, lower-cased; an empty string is none.
func parseHosts(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	hosts := strings.Split(s, ",")
	for i, h := range hosts {
		h = strings.ToLower(strings.TrimSpace(h))
		h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		if h == "" || strings.ContainsAny(h, "/ @?#") || (strings.Contains(h, ":") && net.ParseIP(h) == nil) {
			return nil, fmt.Errorf("%q in list %q: want a host name or an IP address, without scheme or port", strings.TrimSpace(hosts[i]), s)
		}
		hosts[i] = h
	}
	return hosts, nil
}

func parseInt(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	return n, nil
}

// parseRate reads a rate per second: a number such as 10 or 0.5.
func parseRate(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("invalid rate %q (want a number per second such as 10 or 0.5)", s)
	}
	return f, nil
}

func formatRate(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// parseBool accepts true, false, 1 and 0, in any case.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean %q (want true, false, 1 or 0)", s)
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (want Go syntax such as 500ms, 30s, 2m, 1h30m)", s)
	}
	return d, nil
}

// formatDuration is time.Duration.String without trailing zero units:
// "2m" rather than "2m0s", and "0" for zero.
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// parseMaxBytes is parseSize that also takes -1 for "no limit".
func parseMaxBytes(s string) (int64, error) {
	if strings.TrimSpace(s) == "-1" {
		return -1, nil
	}
	return parseSize(s)
}

func parseLogFormat(s string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(s)); f {
	case FormatJSON, FormatText:
		return f, nil
	}
	return "", fmt.Errorf("invalid log format %q (want json or text)", s)
}

// logLevels are the levels a user may name.
var logLevels = []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}

func parseLogLevel(s string) (slog.Level, error) {
	name := strings.TrimSpace(s)
	for _, l := range logLevels {
		if strings.EqualFold(name, l.String()) {
			return l, nil
		}
	}
	return 0, fmt.Errorf("invalid log level %q (want debug, info, warn or error)", s)
}

func formatLogLevel(l slog.Level) string { return strings.ToLower(l.String()) }

// parseSync reads --sync: "always" or a positive duration.
func parseSync(s string) (time.Duration, error) {
	v := strings.TrimSpace(s)
	if strings.EqualFold(v, "always") {
		return SyncAlways, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("invalid sync %q (want always, or a positive duration such as 1s or 2m)", s)
	}
	return d, nil
}

// formatSync writes Sync back: "always" or the interval.
func formatSync(d time.Duration) string {
	if d == SyncAlways {
		return "always"
	}
	return formatDuration(d)
}
