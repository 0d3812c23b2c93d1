// Package daemon assembles `bridge run`: the embedded nats-server (or a
// connection to a configured one), the streams, the idempotency store, the
// mapping set, the pipeline and the two HTTP listeners. New validates the
// configuration (config.Config and each component's own); Start brings the
// parts up in named steps, each registering how it is undone, and Shutdown
// undoes them in reverse order, waiting for every goroutine they started.
//
// It owns the wiring and the admin listener (health, readiness, metrics,
// reload, the playground); it holds no delivery logic: the doors live in
// ingest, the delivery in pipeline, the stores in publish and idem.
package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bridge-dev/bridge/internal/archive"
	"github.com/bridge-dev/bridge/internal/archive/remap"
	"github.com/bridge-dev/bridge/internal/buildinfo"
	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/deadletter/replay"
	"github.com/bridge-dev/bridge/internal/eventlog"
	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/ingest"
	"github.com/bridge-dev/bridge/internal/metrics"
	"github.com/bridge-dev/bridge/internal/natsconn"
	"github.com/bridge-dev/bridge/internal/natsembed"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/retry"
	"github.com/bridge-dev/bridge/internal/signature"
	"github.com/bridge-dev/bridge/internal/tracing"
	"github.com/bridge-dev/bridge/internal/transform"
)

// payloadHeadroom is the room left in a NATS message beside a body at the
// body limit: a dead letter carries the original headers and the error.
const payloadHeadroom = 128 << 10

// Daemon is a running bridge.
type Daemon struct {
	cfg config.Config
	log *slog.Logger

	mappings atomic.Pointer[transform.Set]
	reloadMu sync.Mutex      // serializes reloads
	watcher  *mappingWatcher // nil when the directory could not be watched
	registry *prometheus.Registry
	metrics  *metrics.Set
	embedded *natsembed.Server
	natsIn   *ingest.NATS
	nc       *nats.Conn
	js       jetstream.JetStream
	pub      publish.Config
	tracing  *tracing.Provider // nil: tracing off
	sync     string            // how the server syncs writes, for /readyz; set in Start
	lazySync bool              // the server acknowledges before it syncs: no batches (publish.Batcher)

	// bodies bounds the request bodies in memory, of both listeners.
	bodies *ingest.BodyBudget
	// archiver keeps every delivery in the raw archive; nil when it is off.
	archiver ingest.Archiver
	// idemStore is the idempotency store once open: the admin API's remap
	// dry runs look keys up in it.
	idemStore atomic.Pointer[idem.Store]
	remapAPI  *remap.Handler

	// The admin API's dead-letter replays map and store with these, set in
	// Start once they exist; dlqAPI serves them.
	pipe        atomic.Pointer[pipeline.Runner]
	publisher   atomic.Pointer[publish.Publisher]
	events      atomic.Pointer[eventlog.Reader] // the admin API's /api/events reads the stored events with it
	deadLetters atomic.Pointer[deadletter.Writer]
	dlqAPI      *replay.Handler
	// replayBodyTimeout bounds the read of a replay request's body.
	replayBodyTimeout time.Duration

	started           atomic.Bool // Start has finished: every listener serves
	public, admin     *http.Server
	publicLn, adminLn net.Listener
	stopAdmin         func(context.Context) error // shuts the admin listener down; set in Start

	lifeMu       sync.Mutex                    // guards closers
	closers      []func(context.Context) error // how to undo each step of Start, in order
	shutdownOnce sync.Once
	shutdownErr  error
}

// New validates cfg, with each component's own Validate, and loads the
// mapping set; nothing is started yet.
func New(cfg config.Config, logger *slog.Logger) (*Daemon, error) {
	if err := validate(cfg); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := &Daemon{cfg: cfg, log: logger, replayBodyTimeout: replay.DefaultBodyTimeout, pub: cfg.Streams}
	set, err := d.loadMappings()
	if err != nil {
		return nil, err
	}
	if err := checkEventsAuth(cfg, set); err != nil {
		return nil, err
	}
	d.registry = prometheus.NewRegistry()
	if d.metrics, err = metrics.New(d.registry); err != nil {
		return nil, err
	}
	bi := buildinfo.Read()
	d.metrics.BuildInfo.WithLabelValues(bi.Version, bi.Commit, bi.GoVersion).Set(1)
	if err := metrics.NATSConnected(d.registry, func() bool { return d.nc != nil && d.nc.IsConnected() }); err != nil {
		return nil, err
	}
	d.swapIn(set)
	if d.bodies, err = ingest.NewBodyBudget(cfg.MaxInflightBytes); err != nil {
		return nil, err
	}
	if err := metrics.RegisterBodyBudget(d.registry, d.bodies.InFlight, d.bodies.Limit()); err != nil {
		return nil, err
	}
	return d, nil
}

// validate checks the settings, each problem named by its flag
// (config.Validate), then the configuration each component is handed, with
// the component's own Validate.
func validate(cfg config.Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	errs := []error{cfg.Streams.Validate(), idemConfig(cfg, false).Validate(), cfg.Tracing.Validate()}
	if cfg.Embedded() {
		errs = append(errs, embeddedConfig(cfg, nil).Validate())
	}
	return errors.Join(errs...)
}

// embeddedConfig is the embedded server's configuration: the settings,
// with room in a message for a body at the body limit and the headers of
// its dead letter.
func embeddedConfig(cfg config.Config, log *slog.Logger) natsembed.Config {
	c := cfg.EmbeddedNATS
	c.MaxPayload = int32(min(cfg.BodyLimit+payloadHeadroom, 64<<20))
	if log != nil {
		c.Logger = log.With("component", "nats-server")
	}
	return c
}

// idemConfig is the idempotency store's configuration: the settings, with
// the streams' replicas, batching unless the server syncs lazily.
func idemConfig(cfg config.Config, lazySync bool) idem.StoreConfig {
	c := cfg.Idempotency
	c.Replicas = cfg.Streams.Replicas
	c.NoBatch = lazySync
	return c
}

// startNATSIngest sets up the INGEST stream and its shared consumer, and
// starts taking raw payloads from it and from request/reply.
func (d *Daemon) startNATSIngest(ctx context.Context, mappings func() ingest.Mappings, pipe *pipeline.Runner, dead *deadletter.Writer) error {
	cfg := ingest.DefaultNATSConfig()
	cfg.Consumer, cfg.Batch, cfg.Workers = d.cfg.IngestConsumer, d.cfg.IngestBatch, d.cfg.IngestWorkers
	cfg.MaxDeliver, cfg.AckWait, cfg.Timeout = d.cfg.IngestMaxDeliver, d.cfg.IngestAckWait, d.cfg.RequestTimeout
	cfg.Logger, cfg.Metrics, cfg.Tracer, cfg.Archive = d.log, d.metrics, d.tracing.Tracer(), d.archiver
	if err := cfg.Validate(); err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := publish.EnsureStream(sctx, d.js, d.pub, cfg.StreamConfig(d.pub.Replicas)); err != nil {
		return err
	}
	n, err := ingest.NewNATS(d.js, d.nc, mappings, pipe, dead, cfg)
	if err != nil {
		return err
	}
	if err := n.Start(sctx); err != nil {
		return err
	}
	d.natsIn = n
	return nil
}

// loadMappings loads the mapping set from the configured directories, with
// secrets from the environment.
func (d *Daemon) loadMappings() (*transform.Set, error) {
	set, err := transform.Load(d.cfg.Mappings, transform.Options{SchemasDir: d.cfg.Schemas})
	if err == nil {
		d.warnShortSecrets(set)
		d.warnMappings(set)
	}
	return set, err
}

// Start brings the bridge up in steps, each registering how it is undone
// (see Shutdown): tracing and the mappings watch; the NATS connection (and
// the embedded server); the admin listener, so /healthz answers while the
// streams are set up; the streams; the idempotency store; the pipeline and
// the NATS ingestor; the public listener. A Start that fails half-way stops
// what it began and returns both errors.
func (d *Daemon) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err = errors.Join(err, d.Shutdown(sctx))
		}
	}()
	// The certificate first: a missing or bad file fails before anything starts.
	tlsConf, err := publicTLS(d.cfg, d.log.With("component", "tls"))
	if err != nil {
		return err
	}
	if err := d.startObservers(); err != nil {
		return err
	}
	if err := d.connect(ctx); err != nil {
		return err
	}
	if err := d.startAdmin(); err != nil {
		return err
	}
	bodyLimit, err := d.setUpStreams(ctx)
	if err != nil {
		return err
	}
	if err := d.startArchive(); err != nil {
		return err
	}
	store, err := d.openIdempotency(ctx)
	if err != nil {
		return err
	}
	pipe, err := d.startPipeline(ctx, store)
	if err != nil {
		return err
	}
	if err := d.startPublic(pipe, bodyLimit, tlsConf); err != nil {
		return err
	}
	d.started.Store(true)
	d.log.Info("bridge started", "http", d.publicLn.Addr().String(), "tls", tlsConf != nil, "tracing", d.tracing != nil,
		"mtls", tlsConf != nil && tlsConf.ClientCAs != nil, "admin", d.adminLn.Addr().String(),
		"mappings", d.cfg.Mappings, "providers", d.mappings.Load().Providers())
	return nil
}

// startObservers starts the tracer provider, before anything that makes
// spans (with no endpoint it is nil and nothing is exported), and the watch
// of the mappings directory, before the streams are set up (which may wait
// for a NATS cluster), so that an edit made meanwhile is not missed.
func (d *Daemon) startObservers() error {
	tc := d.cfg.Tracing
	tc.Version, tc.Logger = buildinfo.Read().Version, d.log.With("component", "tracing")
	var err error
	if d.tracing, err = tracing.Start(tc); err != nil {
		return err
	}
	// Last: every delivery has ended its spans by then.
	d.onShutdown(d.tracing.Shutdown)
	d.watcher, err = watchMappings(d.cfg.Mappings, reloadDebounce, d.log,
		func(files []string) { _ = d.reload("file_change", files) })
	if err != nil {
		d.log.Warn("mappings directory not watched; reload with SIGHUP", "dir", d.cfg.Mappings, "err", err)
		return nil
	}
	d.onShutdown(d.watcher.Close)
	return nil
}

// connect starts the embedded server when no NATS URL is configured,
// connects to NATS, reads the server's sync policy and builds the
// publisher.
func (d *Daemon) connect(ctx context.Context) error {
	urls := d.cfg.NATSURLs
	var opts []nats.Option
	if d.cfg.Embedded() {
		srv, err := natsembed.Start(ctx, embeddedConfig(d.cfg, d.log))
		if err != nil {
			return fmt.Errorf("embedded nats-server: %w", err)
		}
		d.embedded = srv
		d.onShutdown(srv.Shutdown)
		urls = []string{srv.ClientURL()}
		d.log.Info("embedded nats-server started", "url", srv.ClientURL(), "store", d.cfg.EmbeddedNATS.StoreDir)
	} else {
		var err error
		if opts, err = d.natsSecurity().Options(); err != nil {
			return err
		}
	}
	nc, err := natsconn.Connect(urls, "bridge", d.log.With("component", "nats"), opts...)
	if err != nil {
		return err
	}
	d.nc = nc
	d.onShutdown(func(ctx context.Context) error { return natsconn.Drain(ctx, nc) })
	d.warnNATSPlaintext()
	if d.js, err = jetstream.New(nc); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	d.sync, d.lazySync = d.syncPolicy(ctx)
	d.pub.NoBatch = d.lazySync
	publisher, err := publish.New(d.js, d.pub, d.log.With("component", "publish"))
	if err != nil {
		return err
	}
	d.publisher.Store(publisher)
	d.events.Store(eventlog.NewReader(d.js, d.pub.Stream))
	dead, err := deadletter.NewWriter(publisher, d.pub)
	if err != nil {
		return err
	}
	d.deadLetters.Store(dead)
	// Before the admin listener, which serves it.
	d.dlqAPI, err = replay.NewHandler(replay.HandlerConfig{Stream: deadletter.NewStream(d.js, d.pub), Bodies: d.bodies,
		Mappings: d.mappings.Load, Pipeline: d.pipe.Load, DeadLetters: d.deadLetters.Load, Timeout: d.cfg.RequestTimeout,
		BodyTimeout: d.replayBodyTimeout, Logger: d.log.With("component", "dlq")})
	if err != nil {
		return err
	}
	d.remapAPI, err = remap.NewHandler(remap.HandlerConfig{Remapper: d.remapper, Enabled: d.cfg.Archive.Enabled})
	return err
}

// remapper is what the admin API's remap dry runs read with: the archive,
// the running mappings, the idempotency store and the stored events; nil
// until the store is open.
func (d *Daemon) remapper() *remap.Remapper {
	store := d.idemStore.Load()
	if store == nil {
		return nil
	}
	return &remap.Remapper{Archive: archive.NewReader(d.js, d.cfg.Archive), Mappings: d.mappings.Load(), Dedupe: store,
		Events: d.events.Load(), DeadLetters: deadletter.NewStream(d.js, d.pub), Limits: transform.DefaultLimits,
		Timeout: d.cfg.RequestTimeout, Horizon: d.cfg.Idempotency.Horizon}
}

// startAdmin opens the admin listener.
func (d *Daemon) startAdmin() (err error) {
	if d.adminLn, err = net.Listen("tcp", d.cfg.Admin); err != nil {
		return fmt.Errorf("admin listener: %w", err)
	}
	d.warnOpenAdmin(d.adminLn.Addr())
	d.admin = d.newServer(d.adminHandler(), "admin")
	d.stopAdmin = d.serve(d.admin, d.adminLn, "admin")
	d.onShutdown(d.stopAdmin)
	return nil
}

// setUpStreams puts the streams in place and returns the body limit in
// force: a body that could not be stored as a dead letter would be answered
// 503 on every retry, so one that does not fit the server's max_payload
// beside the dead-letter headers is refused up front (413) instead.
func (d *Daemon) setUpStreams(ctx context.Context) (int64, error) {
	if err := d.ensureStreams(ctx); err != nil {
		return 0, err
	}
	bodyLimit := d.cfg.BodyLimit
	if max := d.nc.MaxPayload() - payloadHeadroom; bodyLimit > max {
		d.log.Warn("body limit lowered to fit the NATS server's max_payload with room for dead-letter headers",
			"body_limit", bodyLimit, "max_payload", d.nc.MaxPayload(), "effective_body_limit", max)
		bodyLimit = max
	}
	return bodyLimit, nil
}

// startArchive starts the raw archive's writer, when the archive is on,
// and exports its metrics; it stops after the doors that feed it.
func (d *Daemon) startArchive() error {
	if !d.cfg.Archive.Enabled {
		return nil
	}
	cfg := d.cfg.Archive
	cfg.NoBatch = d.lazySync // as the events' and the records' writes
	w, err := archive.NewWriter(d.nc, cfg, d.log.With("component", "archive"))
	if err != nil {
		return err
	}
	if err := metrics.RegisterArchive(d.registry, metrics.Archive{
		Pending: func() int64 { return w.Stats().Pending },
		Written: func() uint64 { return w.Stats().Written },
		Dropped: func() uint64 { return w.Stats().Dropped },
		Failed:  func() uint64 { return w.Stats().Failed },
	}); err != nil {
		return err
	}
	w.Start()
	d.onShutdown(w.Shutdown)
	d.archiver = w
	return nil
}

// openIdempotency opens the idempotency store, starts its negative cache's
// watch and exports the cache's metrics.
func (d *Daemon) openIdempotency(ctx context.Context) (*idem.Store, error) {
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	store, err := idem.OpenStore(sctx, d.js, idemConfig(d.cfg, d.lazySync))
	cancel()
	if err != nil {
		return nil, err
	}
	store.Start()
	d.onShutdown(store.Close)
	d.idemStore.Store(store)
	if err := metrics.RegisterIdempotencyCache(d.registry, metrics.IdempotencyCache{
		Ready:    store.Ready,
		Local:    func() uint64 { return store.Stats().Local },
		Bucket:   func() uint64 { return store.Stats().KVGets },
		Rebuilds: func() uint64 { return store.Stats().Rebuilds },
		Resyncs:  func() uint64 { return store.Stats().Resyncs },
	}); err != nil {
		return nil, err
	}
	return store, nil
}

// startPipeline builds the pipeline and starts the NATS ingestor on it.
func (d *Daemon) startPipeline(ctx context.Context, store *idem.Store) (*pipeline.Runner, error) {
	// An evaluation over its time budget is dead-lettered; it must leave
	// the request time to store the dead letter, or a short
	// --request-timeout would answer 503 to every retry of it.
	limits := transform.DefaultLimits
	limits.Time = min(limits.Time, d.cfg.RequestTimeout/2)
	publisher := d.publisher.Load()
	pipe := pipeline.New(publisher, pipeline.Options{Dedupe: store, MaxInFlight: d.cfg.MaxInFlight, Metrics: d.metrics, Logger: d.log,
		Tracer: d.tracing.Tracer(), Limits: limits, DeadLetters: d.deadLetters.Load()})
	d.pipe.Store(pipe)
	mappings := func() ingest.Mappings { return d.mappings.Load() }
	if err := d.startNATSIngest(ctx, mappings, pipe, d.deadLetters.Load()); err != nil {
		return nil, err
	}
	d.onShutdown(d.natsIn.Shutdown)
	return pipe, nil
}

// startPublic opens the public listener with the webhook and
// events-protocol handlers.
func (d *Daemon) startPublic(pipe *pipeline.Runner, bodyLimit int64, tlsConf *tls.Config) (err error) {
	webhook, err := ingest.NewWebhook(func() ingest.Mappings { return d.mappings.Load() },
		pipe, ingest.WebhookConfig{
			BodyLimit: bodyLimit, Timeout: d.cfg.RequestTimeout, Logger: d.log, Metrics: d.metrics, Bodies: d.bodies,
			RateLimit: ingest.RateLimit{PerSecond: d.cfg.RateLimit, Burst: d.cfg.RateBurst}, Tracer: d.tracing.Tracer(),
			Archive: d.archiver,
		})
	if err != nil {
		return err
	}
	events, err := ingest.NewEvents(func() ingest.EventSet { return d.mappings.Load() }, pipe, ingest.EventsConfig{
		BodyLimit: bodyLimit, Timeout: d.cfg.RequestTimeout, Auth: d.cfg.EventsAuth,
		JWTIssuer: d.cfg.EventsJWTIssuer, JWTAudience: d.cfg.EventsJWTAudience, JWTMaxLifetime: d.cfg.EventsJWTMaxLifetime,
		Secret: signature.Secret(d.cfg.EventsSecret), Logger: d.log, Metrics: d.metrics, Tracer: d.tracing.Tracer(),
		Bodies: d.bodies, Archive: d.archiver,
	})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	webhook.Register(mux)
	events.Register(mux)
	if d.publicLn, err = net.Listen("tcp", d.cfg.HTTP); err != nil {
		return fmt.Errorf("public listener: %w", err)
	}
	d.public = d.newServer(mux, "public")
	d.public.TLSConfig = tlsConf // nil: plain HTTP
	stopPublic := d.serve(d.public, d.publicLn, "public")
	// Both listeners stop accepting at once, before anything behind them.
	d.onShutdown(func(ctx context.Context) error { return errors.Join(stopPublic(ctx), d.stopAdmin(ctx)) })
	return nil
}

// natsSecurity is how the bridge authenticates to a configured NATS
// server, and the TLS it asks of it.
func (d *Daemon) natsSecurity() natsconn.Security {
	c := d.cfg
	return natsconn.Security{
		CredsFile: c.NATSCreds, NkeyFile: c.NATSNkey, User: c.NATSUser, Password: string(c.NATSPassword), Token: string(c.NATSToken),
		CAFile: c.NATSTLSCA, CertFile: c.NATSTLSCert, KeyFile: c.NATSTLSKey,
	}
}

// ensureStreams retries until the streams are in place: a configured NATS
// cluster may not be reachable yet when the bridge starts.
func (d *Daemon) ensureStreams(ctx context.Context) error {
	_, err := retry.Do(ctx, retry.Policy{
		Initial: 100 * time.Millisecond, Max: 5 * time.Second, AttemptTimeout: 10 * time.Second,
		// nats.go gives up on a server that refused the credentials twice.
		Retryable: func(err error) bool { return errors.Is(err, publish.ErrUnavailable) && !d.nc.IsClosed() },
		OnRetry: func(_ int, wait time.Duration, err error) {
			d.log.Warn("jetstream not ready; retrying stream set-up", "err", err, "nats_err", d.nc.LastError(), "in", wait)
		},
	}, func(ctx context.Context) error {
		if err := publish.EnsureStreams(ctx, d.js, d.pub); err != nil || !d.cfg.Archive.Enabled {
			return err
		}
		return d.ensureArchive(ctx)
	})
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, publish.ErrUnavailable):
		return err
	case d.nc.IsClosed():
		return fmt.Errorf("nats connection closed (check the NATS credentials): %w", errors.Join(d.nc.LastError(), err))
	}
	return fmt.Errorf("stream set-up: %w", errors.Join(ctx.Err(), err))
}

// ensureArchive puts the raw archive's stream in place; one that exists
// keeps its persist mode, which JetStream cannot change
// (archive.Config.StreamConfigOver).
func (d *Daemon) ensureArchive(ctx context.Context) error {
	want := d.cfg.Archive.StreamConfig(d.pub.Replicas)
	if s, err := d.js.Stream(ctx, want.Name); err == nil {
		var stuck bool
		if want, stuck = d.cfg.Archive.StreamConfigOver(s.CachedInfo().Config, d.pub.Replicas); stuck {
			d.log.Warn("the raw archive stays at 1 replica: it was made with one, in persist mode async, which JetStream cannot change; delete the stream to remake it replicated",
				"stream", want.Name, "replicas", d.pub.Replicas)
		}
	}
	return publish.EnsureStream(ctx, d.js, d.pub, want)
}

// serve serves s on ln in a goroutine, and returns the function that
// shuts s down and waits for that goroutine; it is safe to call twice.
func (d *Daemon) serve(s *http.Server, ln net.Listener, name string) func(context.Context) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		serve := s.Serve
		if s.TLSConfig != nil {
			// The certificate comes from TLSConfig.GetCertificate.
			serve = func(ln net.Listener) error { return s.ServeTLS(ln, "", "") }
		}
		if err := serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("listener stopped", "listener", name, "err", err)
		}
	}()
	var once sync.Once
	var err error
	return func(ctx context.Context) error {
		once.Do(func() {
			err = s.Shutdown(ctx)
			<-done // Serve returns as soon as Shutdown has closed ln
		})
		return err
	}
}

// HTTPAddr is the public listener's bound address (after Start).
func (d *Daemon) HTTPAddr() string { return d.publicLn.Addr().String() }

// AdminAddr is the admin listener's bound address (after Start).
func (d *Daemon) AdminAddr() string { return d.adminLn.Addr().String() }

// NATSURL is the URL of the NATS server in use (after Start).
func (d *Daemon) NATSURL() string { return d.nc.ConnectedUrl() }

// onShutdown registers how to undo a step of Start; Shutdown runs these
// in reverse order.
func (d *Daemon) onShutdown(f func(context.Context) error) {
	d.lifeMu.Lock()
	defer d.lifeMu.Unlock()
	d.closers = append(d.closers, f)
}

// Shutdown undoes what Start did, in reverse: it stops accepting (the
// public listener, then the admin one), lets in-flight deliveries finish
// within ctx, stops the NATS ingestor and the idempotency store's watch,
// drains the NATS connection and stops the embedded server, stops watching
// the mappings, and last exports the spans still buffered. Safe to call
// twice, before Start and after a failed one.
func (d *Daemon) Shutdown(ctx context.Context) error {
	d.shutdownOnce.Do(func() {
		d.lifeMu.Lock()
		closers := d.closers
		d.closers = nil
		d.lifeMu.Unlock()
		var errs []error
		for i := len(closers) - 1; i >= 0; i-- {
			if err := closers[i](ctx); err != nil {
				errs = append(errs, err)
			}
		}
		d.shutdownErr = errors.Join(errs...)
	})
	return d.shutdownErr
}
