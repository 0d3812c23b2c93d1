package daemon

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/bridge-dev/bridge/internal/asyncapi"
	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/deadletter/replay"
	"github.com/bridge-dev/bridge/internal/eventlog"
	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/ingest"
	"github.com/bridge-dev/bridge/internal/metrics"
	"github.com/bridge-dev/bridge/internal/problem"
)

// Limits of both listeners: a slow or stalled client is cut off by these,
// whichever listener it talks to.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second // headers and body together
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	writeSlack        = 10 * time.Second // beyond --request-timeout
)

// newServer is an HTTP server for h with the limits every listener has:
// header and body read timeouts, a write timeout of the request timeout
// and some slack, an idle timeout and a header size limit.
func (d *Daemon) newServer(h http.Handler, name string) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      d.cfg.RequestTimeout + writeSlack,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(d.log.With("listener", name).Handler(), slog.LevelWarn),
	}
}

// adminHandler is the admin listener's handler: adminMux behind the
// Host check and, with BRIDGE_ADMIN_TOKEN, the bearer token.
func (d *Daemon) adminHandler() http.Handler {
	return newAdminGuard(d.adminMux(), d.cfg, d.log.With("component", "admin"))
}

// adminGuard keeps the admin API to the operator. A web page the operator
// opens can make the browser send requests to a loopback or private
// address, and with DNS rebinding (the page's own name made to resolve to
// that address) read the answers: the Host header is then the page's
// name. So the listener answers only Host names it knows: localhost and
// --admin-hosts, and IP addresses, which no rebinding can produce (a page
// that names an IP is of another origin and cannot read the answer; as
// webpack-dev-server's host check does); 421 otherwise. With a token,
// every route but the probes and the playground's static page needs it
// too.
type adminGuard struct {
	next  http.Handler
	hosts map[string]bool    // allowed Host names besides localhost and IPs
	token *[sha256.Size]byte // SHA-256 of the token; nil: none asked for
	log   *slog.Logger
	logs  *ingest.LogSampler // refusals logged, per reason
}

func newAdminGuard(next http.Handler, cfg config.Config, log *slog.Logger) *adminGuard {
	g := &adminGuard{next: next, hosts: map[string]bool{}, log: log, logs: ingest.NewLogSampler(ingest.RejectLogBurst, ingest.RejectLogInterval)}
	for _, h := range cfg.AdminHosts {
		g.hosts[strings.ToLower(h)] = true
	}
	if cfg.AdminToken != "" {
		sum := sha256.Sum256([]byte(cfg.AdminToken))
		g.token = &sum
	}
	return g
}

// probe reports whether path is a liveness or readiness probe: answered
// for any Host and without the token, since an orchestrator's probe sends
// the pod's IP as Host and no credentials, and a probe that fails on 421
// would restart a healthy bridge. They show no data.
func probe(path string) bool { return path == "/healthz" || path == "/readyz" }

// page reports whether path is the playground page or one of its static
// files: they hold no data, and a browser cannot send a token when it
// navigates, so the page is served without one and asks for it.
// Only a clean path counts: the mux would answer "/playground/../api/dlq"
// with a redirect, but the guard does not rely on it.
func page(p string) bool {
	return path.Clean(p) == p && (p == "/playground" || strings.HasPrefix(p, "/playground/"))
}

func (g *adminGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if probe(r.URL.Path) {
		g.next.ServeHTTP(w, r)
		return
	}
	if host, ok := g.allowedHost(r.Host); !ok {
		g.logs.Log(g.log, slog.LevelInfo, time.Now(), "host", "admin request refused", "reason", "host", "host", host, "path", r.URL.Path, "remote", r.RemoteAddr)
		problem.Write(w, r, "misdirected-request", http.StatusMisdirectedRequest,
			"the admin listener does not answer for host "+strconv.Quote(host)+
				": only localhost, IP addresses and the names in --admin-hosts", nil, 0)
		return
	}
	if g.token != nil && !page(r.URL.Path) && !g.authorized(r.Header.Get("Authorization")) {
		g.logs.Log(g.log, slog.LevelInfo, time.Now(), "token", "admin request refused", "reason", "token", "path", r.URL.Path, "remote", r.RemoteAddr)
		challenge := `Bearer realm="bridge admin"`
		detail := "this route needs Authorization: Bearer with the admin token (BRIDGE_ADMIN_TOKEN)"
		if r.Header.Get("Authorization") != "" {
			challenge += `, error="invalid_token"`
			detail = "the admin token does not match"
		}
		w.Header().Set("WWW-Authenticate", challenge)
		problem.Write(w, r, "unauthorized", http.StatusUnauthorized, detail, nil, 0)
		return
	}
	g.next.ServeHTTP(w, r)
}

// allowedHost returns the host of a Host header (without port, brackets
// or a final dot, lower case) and whether the admin listener answers it.
func (g *adminGuard) allowedHost(hostport string) (string, bool) {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")), ".")
	if host == "" {
		return host, false
	}
	return host, host == "localhost" || g.hosts[host] || net.ParseIP(host) != nil
}

// authorized compares the bearer token of an Authorization header with
// the admin token, in constant time (of their hashes, so that the length
// does not show either).
func (g *adminGuard) authorized(header string) bool {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(sum[:], g.token[:]) == 1
}

// adminMux serves the admin listener: liveness, readiness, metrics, the
// dead-letter API, the stored events, the AsyncAPI document and the
// mapping playground.
func (d *Daemon) adminMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", d.readyz)
	mux.Handle("GET /metrics", metrics.Handler(d.registry, d.log))
	d.dlqAPI.Register(mux)
	d.remapAPI.Register(mux)
	events := eventlog.NewHandler(d.events.Load, d.cfg.RequestTimeout)
	events.History = d.deadLetterHistory
	events.Register(mux)
	mux.Handle("GET /api/asyncapi", asyncapi.Handler(d.mappings.Load, asyncapi.Options{
		NATSURLs: d.cfg.NATSURLs, NATSListen: d.cfg.EmbeddedNATS.Listen, Stream: d.pub.Stream}))
	d.registerPlayground(mux)
	return mux
}

// readyz answers 200 when the bridge can store: NATS connected, both
// streams present and answering, mappings loaded; else 503 with each
// check's state, so a load balancer stops sending deliveries.
func (d *Daemon) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{}
	ready := true
	fail := func(name, msg string) { checks[name], ready = msg, false }
	if !d.started.Load() {
		fail("started", "still starting")
	} else {
		checks["started"] = "ok"
	}

	if set := d.mappings.Load(); set == nil {
		fail("mappings", "not loaded")
	} else {
		checks["mappings"] = "ok"
	}
	switch {
	case d.nc == nil || !d.nc.IsConnected():
		fail("nats", "not connected")
	default:
		checks["nats"] = "ok"
		for _, name := range []string{d.pub.Stream, d.pub.DLQStream, "KV_" + idem.DefaultBucket} {
			if err := d.streamCanStore(ctx, name); err != nil {
				fail("stream "+name, err.Error())
			} else {
				checks["stream "+name] = "ok"
			}
		}
	}
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"ready": ready, "checks": checks, "details": map[string]string{"sync": d.sync}})
}

// streamCanStore asks the stream's state: on a cluster, a node cut off from
// the others still answers from its own view, so a stream is only ready
// when it has a leader and a majority of its replicas is current.
func (d *Daemon) streamCanStore(ctx context.Context, name string) error {
	s, err := d.js.Stream(ctx, name)
	if err != nil {
		return err
	}
	info := s.CachedInfo()
	c := info.Cluster
	if c == nil || info.Config.Replicas <= 1 {
		return nil
	}
	if c.Leader == "" {
		return fmt.Errorf("no leader")
	}
	current := 1 // the leader
	for _, r := range c.Replicas {
		if r.Current && !r.Offline {
			current++
		}
	}
	if 2*current <= info.Config.Replicas {
		return fmt.Errorf("%d of %d replicas current: no quorum", current, info.Config.Replicas)
	}
	return nil
}

// maxHistoryScan bounds the dead letters read to find an event's.
const maxHistoryScan = 1000

// deadLetterHistory is the dead letters (redacted as the dead-letter API
// shows them) of the delivery an event came from: those of its provider
// whose delivery key is the event's idempotencykey, among the first
// maxHistoryScan. An event of an each rule has a key of its own, derived
// from the delivery's: none are found for it.
func (d *Daemon) deadLetterHistory(ctx context.Context, e eventlog.Event) (any, error) {
	tokens := strings.SplitN(e.Event.Type(), ".", 3)
	key, _ := e.Event.Extensions()["idempotencykey"].(string)
	if len(tokens) < 3 || key == "" {
		return []deadletter.View{}, nil
	}
	var found []deadletter.Letter
	err := deadletter.NewStream(d.js, d.pub).Each(ctx, deadletter.Filter{Provider: tokens[1], Limit: maxHistoryScan}, func(l deadletter.Letter) error {
		if l.DeliveryKey() == key {
			found = append(found, l)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	views := replay.Show(found, d.mappings.Load())
	if views == nil {
		views = []deadletter.View{}
	}
	return views, nil
}
