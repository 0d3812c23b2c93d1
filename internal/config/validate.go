package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bridge-dev/bridge/internal/publish"
)

// Validate reports every setting that is out of range or inconsistent with
// another, sorted, each named by its flag:
// "--replicas: must be between 1 and 5, got 7". It changes nothing.
func (c Config) Validate() error {
	var p problems
	c.validateListeners(&p)
	c.validateNATS(&p)
	c.validateNATSSecurity(p.add)
	c.validateStreams(&p)
	c.validateIngest(&p)
	c.validateEvents(&p)
	c.validateWebhook(&p)
	p.positive("grace", c.Grace)
	if c.LogFormat != FormatJSON && c.LogFormat != FormatText {
		p.add("log-format", "must be json or text, got %q", c.LogFormat)
	}
	if !slices.Contains(logLevels, c.LogLevel) {
		p.add("log-level", "must be debug, info, warn or error, got %s", c.LogLevel)
	}
	c.validateTracing(p.add)
	return p.err()
}

// problems collects Validate's findings, each named by its flag.
type problems []string

func (p *problems) add(flag, format string, args ...any) {
	*p = append(*p, "--"+flag+": "+fmt.Sprintf(format, args...))
}

func (p *problems) addr(flag, a string) {
	if _, _, err := net.SplitHostPort(a); err != nil {
		p.add(flag, "want host:port, got %q", a)
	}
}

func (p *problems) positive(flag string, d time.Duration) {
	if d <= 0 {
		p.add(flag, "must be greater than 0, got %s", formatDuration(d))
	}
}

func (p *problems) dir(flag, d string) {
	if d == "" {
		p.add(flag, "must not be empty")
	}
}

// err joins the problems, sorted, or returns nil.
func (p problems) err() error {
	slices.Sort(p)
	errs := make([]error, len(p))
	for i, s := range p {
		errs[i] = errors.New(s)
	}
	return errors.Join(errs...)
}

// validateListeners checks the public and admin listeners and the mapping
// directories.
func (c Config) validateListeners(p *problems) {
	p.addr("http", c.HTTP)
	p.addr("admin", c.Admin)
	pair("tls-cert", c.TLSCert, "tls-key", c.TLSKey, p.add)
	if c.TLSClientCA != "" && c.TLSCert == "" {
		p.add("tls-client-ca", "needs --tls-cert and --tls-key: client certificates are asked for in the TLS handshake")
	}
	p.dir("mappings", c.Mappings)
	p.dir("schemas", c.Schemas)
}

// validateNATS checks where NATS is: the URLs or the embedded server, the
// replicas it allows, its sync policy.
func (c Config) validateNATS(p *problems) {
	for _, u := range c.NATSURLs {
		if err := checkNATSURL(u); err != nil {
			p.add("nats-url", "%v", err)
		}
	}
	p.addr("nats-listen", c.EmbeddedNATS.Listen)
	p.dir("data", c.EmbeddedNATS.StoreDir)
	switch {
	case c.Streams.Replicas < 1 || c.Streams.Replicas > publish.MaxReplicas:
		p.add("replicas", "must be between 1 and %d, got %d", publish.MaxReplicas, c.Streams.Replicas)
	case c.Streams.Replicas > 1 && c.Embedded():
		p.add("replicas", "must be 1 with the embedded server (no --nats-url), got %d", c.Streams.Replicas)
	}
	if c.EmbeddedNATS.Sync < 0 {
		p.add("sync", "must be always or a positive duration, got %s", formatDuration(c.EmbeddedNATS.Sync))
	}
	if c.NATSMonitorURL != "" {
		if c.Embedded() {
			p.add("nats-monitor-url", "needs --nats-url: the embedded server's sync policy is --sync")
		} else if u, err := url.Parse(c.NATSMonitorURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("nats-monitor-url", "want http://host:port or https://host:port, got %q", c.NATSMonitorURL)
		}
	}
}

// validateStreams checks the events stream and the idempotency store.
func (c Config) validateStreams(p *problems) {
	s := c.Streams
	p.positive("duplicate-window", s.DuplicateWindow)
	if s.MaxAge < 0 {
		p.add("stream-max-age", "must be 0 (for ever) or more, got %s", formatDuration(s.MaxAge))
	}
	if s.MaxAge > 0 && s.DuplicateWindow > s.MaxAge {
		p.add("duplicate-window", "must not exceed --stream-max-age (%s), got %s", formatDuration(s.MaxAge), formatDuration(s.DuplicateWindow))
	}
	if s.MaxBytes != -1 && s.MaxBytes <= 0 {
		p.add("stream-max-bytes", "must be -1 (no cap) or greater than 0, got %d", s.MaxBytes)
	}
	p.positive("idempotency-horizon", c.Idempotency.Horizon)
	if c.Idempotency.Horizon > 0 && c.Idempotency.Horizon < s.DuplicateWindow {
		p.add("idempotency-horizon", "must not be shorter than --duplicate-window (%s), got %s", formatDuration(s.DuplicateWindow), formatDuration(c.Idempotency.Horizon))
	}
	if c.Idempotency.CacheKeys < 0 {
		p.add("idempotency-cache-keys", "must be 0 (no cache) or more, got %d", c.Idempotency.CacheKeys)
	}
	if c.Archive.MaxAge < 0 {
		p.add("archive-max-age", "must be 0 (for ever) or more, got %s", formatDuration(c.Archive.MaxAge))
	}
	if c.Archive.MaxBytes != -1 && c.Archive.MaxBytes <= 0 {
		p.add("archive-max-bytes", "must be -1 (no cap) or greater than 0, got %d", c.Archive.MaxBytes)
	}
	if c.MaxInFlight < 1 {
		p.add("max-in-flight", "must be at least 1, got %d", c.MaxInFlight)
	}
}

// validateIngest checks the NATS ingestor's consumer.
func (c Config) validateIngest(p *problems) {
	if c.IngestConsumer == "" || strings.ContainsAny(c.IngestConsumer, ".*> \t") {
		p.add("ingest-consumer", "must be a non-empty name without '.', '*', '>' or spaces, got %q", c.IngestConsumer)
	}
	for flag, n := range map[string]int{"ingest-batch": c.IngestBatch, "ingest-workers": c.IngestWorkers, "ingest-max-deliver": c.IngestMaxDeliver} {
		if n < 1 {
			p.add(flag, "must be at least 1, got %d", n)
		}
	}
	if c.IngestAckWait <= c.RequestTimeout {
		p.add("ingest-ack-wait", "must be greater than --request-timeout (%s), got %s", formatDuration(c.RequestTimeout), formatDuration(c.IngestAckWait))
	}
}

// validateEvents checks the events-protocol endpoint's authentication.
func (c Config) validateEvents(p *problems) {
	switch c.EventsAuth {
	case "none":
	case "token", "jwt":
		if c.EventsSecret == "" {
			p.add("events-auth", "%s needs the secret in the environment variable %s", c.EventsAuth, EnvEventsSecret)
		}
	default:
		p.add("events-auth", "must be none, token or jwt, got %q", c.EventsAuth)
	}
	for flag, set := range map[string]bool{"events-jwt-issuer": c.EventsJWTIssuer != "", "events-jwt-audience": c.EventsJWTAudience != "",
		"events-jwt-max-lifetime": c.EventsJWTMaxLifetime != 0} {
		if set && c.EventsAuth != "jwt" {
			p.add(flag, "applies to --events-auth jwt only, got --events-auth %s", c.EventsAuth)
		}
	}
	if c.EventsJWTMaxLifetime < 0 {
		p.add("events-jwt-max-lifetime", "must be 0 (no limit) or more, got %s", formatDuration(c.EventsJWTMaxLifetime))
	}
}

// validateWebhook checks the request limits of the public listener.
func (c Config) validateWebhook(p *problems) {
	if c.BodyLimit <= 0 {
		p.add("body-limit", "must be greater than 0, got %d", c.BodyLimit)
	}
	if c.MaxInflightBytes < c.BodyLimit {
		p.add("max-inflight-bytes", "must be at least --body-limit (%s), got %s", formatSize(c.BodyLimit), formatSize(c.MaxInflightBytes))
	}
	p.positive("request-timeout", c.RequestTimeout)
	if c.RateLimit < 0 || math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0) {
		p.add("rate-limit", "must be 0 (no limit) or a rate per second greater than 0, got %s", formatRate(c.RateLimit))
	}
	if c.RateBurst < 1 {
		p.add("rate-burst", "must be at least 1, got %d", c.RateBurst)
	}
}

// validateNATSSecurity checks the NATS credentials and TLS settings: only
// with --nats-url, one authentication method at a time, a user with its
// password, a client certificate with its key.
func (c Config) validateNATSSecurity(add func(flag, format string, args ...any)) {
	files := []struct{ flag, value string }{
		{"nats-creds", c.NATSCreds}, {"nats-nkey", c.NATSNkey}, {"nats-user", c.NATSUser},
		{"nats-tls-ca", c.NATSTLSCA}, {"nats-tls-cert", c.NATSTLSCert}, {"nats-tls-key", c.NATSTLSKey},
	}
	secrets := []struct {
		env   string
		value Secret
	}{{EnvNATSPassword, c.NATSPassword}, {EnvNATSToken, c.NATSToken}}
	if c.Embedded() {
		for _, f := range files {
			if f.value != "" {
				add(f.flag, "needs --nats-url: the embedded server takes no credentials")
			}
		}
		for _, s := range secrets {
			if s.value != "" {
				add("nats-url", "%s is set, but without --nats-url the bridge starts its embedded server, which takes no credentials", s.env)
			}
		}
		return
	}
	var methods []string
	for _, m := range []struct{ name, value string }{
		{"--nats-creds", c.NATSCreds}, {"--nats-nkey", c.NATSNkey}, {"--nats-user", c.NATSUser}, {EnvNATSToken, string(c.NATSToken)},
	} {
		if m.value != "" {
			methods = append(methods, m.name)
		}
	}
	if len(methods) > 1 {
		add(strings.TrimPrefix(methods[0], "--"), "one NATS authentication method at a time, got %s and %s",
			strings.Join(methods[:len(methods)-1], ", "), methods[len(methods)-1])
	}
	switch {
	case c.NATSUser != "" && c.NATSPassword == "":
		add("nats-user", "needs the password in the environment variable %s", EnvNATSPassword)
	case c.NATSUser == "" && c.NATSPassword != "":
		add("nats-user", "must be set when %s is (the password is for that user)", EnvNATSPassword)
	}
	pair("nats-tls-cert", c.NATSTLSCert, "nats-tls-key", c.NATSTLSKey, add)
}

// validateTracing checks the span export settings: the endpoint is an
// http:// or https:// URL, plain HTTP only when --otlp-insecure allows it,
// and the sample ratio a share.
func (c Config) validateTracing(add func(flag, format string, args ...any)) {
	if r := c.Tracing.SampleRatio; math.IsNaN(r) || r < 0 || r > 1 {
		add("trace-sample-ratio", "must be between 0 and 1, got %s", formatRate(r))
	}
	if c.Tracing.Endpoint == "" {
		return // tracing off; --otlp-insecure is unused
	}
	u, err := url.Parse(c.Tracing.Endpoint)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https"):
		add("otlp-endpoint", "want an http:// or https:// URL such as http://otel-collector:4318, got %q", c.Tracing.Endpoint)
	case u.Host == "":
		add("otlp-endpoint", "%q has no host", c.Tracing.Endpoint)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		add("otlp-endpoint", "%q: no user, query or fragment allowed (headers go in OTEL_EXPORTER_OTLP_HEADERS)", c.Tracing.Endpoint)
	case u.Scheme == "http" && !c.Tracing.Insecure:
		add("otlp-endpoint", "%q is plain HTTP: use https://, or allow it with --otlp-insecure", c.Tracing.Endpoint)
	case u.Scheme == "https" && c.Tracing.Insecure:
		add("otlp-insecure", "asks for plain HTTP, but --otlp-endpoint %q is https://", c.Tracing.Endpoint)
	}
}

// pair reports a certificate given without its key, or a key without its
// certificate.
func pair(certFlag, cert, keyFlag, key string, add func(flag, format string, args ...any)) {
	switch {
	case cert != "" && key == "":
		add(certFlag, "needs --%s too (the certificate's private key)", keyFlag)
	case cert == "" && key != "":
		add(keyFlag, "needs --%s too (the key's certificate)", certFlag)
	}
}

// checkNATSURL accepts host:port or a URL with a scheme nats.go dials.
func checkNATSURL(s string) error {
	if s == "" {
		return errors.New("empty URL")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		if _, _, err := net.SplitHostPort(s); err == nil {
			return nil // host:port, nats.go adds nats://
		}
		return fmt.Errorf("%q: want nats://host:port or host:port", withoutUserinfo(s))
	}
	switch u.Scheme {
	case "nats", "tls", "ws", "wss":
		return nil
	}
	return fmt.Errorf("%q: scheme must be nats, tls, ws or wss", withoutUserinfo(s))
}

// userinfo is the user and password part of a URL, parsable or not: a
// password may hold the characters that make a URL unparsable.
var userinfo = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*://)?[^/?#]*@`)

// withoutUserinfo is s with its user and password replaced, so that an
// error about a URL never shows a credential.
func withoutUserinfo(s string) string {
	if i := strings.LastIndex(s, "@"); i >= 0 {
		prefix := ""
		if m := userinfo.FindStringSubmatch(s[:i+1]); m != nil {
			prefix = m[1]
		} else if j := strings.Index(s, "://"); j >= 0 && j < i {
			prefix = s[:j+3]
		}
		return prefix + "[redacted]@" + s[i+1:]
	}
	return s
}
