package natsconn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// Connect dials NATS the way the daemon needs it: urls are the servers
// (several name the seeds of a cluster), name is the connection name. It
// reconnects forever, retries a server that is not up yet, buffers nothing
// while disconnected (a publish then fails at once instead of being queued
// and sent later), and logs disconnects, reconnects, closing and
// asynchronous errors to logger. extra options are applied last.
//
// Connect does not wait for the first connection: it returns at once, and
// the connection may still be connecting (nc.IsConnected reports it).
func Connect(urls []string, name string, logger *slog.Logger, extra ...nats.Option) (*nats.Conn, error) {
	if len(urls) == 0 {
		return nil, errors.New("natsconn: connect: no NATS URL")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var lastConnectLog atomic.Int64 // unix nanoseconds
	opts := append([]nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectBufSize(-1),
		nats.ConnectHandler(func(nc *nats.Conn) {
			logger.Info("nats connected", "url", nc.ConnectedUrlRedacted(), "server", nc.ConnectedServerName())
		}),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if err == nil && (nc.IsClosed() || nc.IsDraining()) {
				logger.Info("nats disconnected", "reason", "closing")
				return
			}
			logger.Warn("nats disconnected", "err", err)
		}),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			// A failed attempt to connect, first or again: at most one
			// line per 10 s, naming where and why ("connection refused").
			now := time.Now().UnixNano()
			if last := lastConnectLog.Load(); now-last >= int64(10*time.Second) && lastConnectLog.CompareAndSwap(last, now) {
				logger.Warn("nats connect failed", "url", redactURLs(urls), "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			logger.Info("nats reconnected", "url", nc.ConnectedUrlRedacted(), "server", nc.ConnectedServerName())
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			logger.Info("nats connection closed", "err", nc.LastError())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				logger.Error("nats error", "subject", sub.Subject, "err", err)
				return
			}
			logger.Error("nats error", "err", err)
		}),
	}, extra...)
	nc, err := nats.Connect(strings.Join(urls, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("natsconn: connect to %s: %w", redactURLs(urls), err)
	}
	return nc, nil
}

// Security is how Connect authenticates to the NATS servers and secures the
// connection. At most one of CredsFile, NkeyFile, User (with Password) and
// Token is set; the zero value is neither authentication nor TLS. It never
// prints Password or Token.
type Security struct {
	CredsFile string // user JWT credentials file (nats.UserCredentials), read at every connect
	NkeyFile  string // nkey seed file (nats.NkeyOptionFromSeed)
	User      string // with Password (nats.UserInfo)
	Password  string `json:"-"`
	Token     string `json:"-"` // nats.Token

	CAFile   string // PEM CAs of the servers' certificates (nats.RootCAs); default the system's
	CertFile string // PEM client certificate, with KeyFile (nats.ClientCert)
	KeyFile  string
}

// String describes s without its secrets.
func (s Security) String() string {
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, name+"="+v)
		}
	}
	add("creds", s.CredsFile)
	add("nkey", s.NkeyFile)
	add("user", s.User)
	if s.Password != "" {
		add("password", "[redacted]")
	}
	if s.Token != "" {
		add("token", "[redacted]")
	}
	add("ca", s.CAFile)
	add("cert", s.CertFile)
	add("key", s.KeyFile)
	return "{" + strings.Join(parts, " ") + "}"
}

// GoString is String.
func (s Security) GoString() string { return s.String() }

// LogValue is String, for slog.
func (s Security) LogValue() slog.Value { return slog.StringValue(s.String()) }

// TLS reports whether s asks for TLS: a CA, or a client certificate.
func (s Security) TLS() bool { return s.CAFile != "" || s.CertFile != "" || s.KeyFile != "" }

// Options returns the nats.Options of s, for Connect's extra options. It
// reads every file now, so that a missing or malformed one is an error
// here, naming the file, rather than a connection that keeps failing.
// With any TLS setting, TLS is required: a server that does not offer it
// is refused rather than talked to in plain text.
func (s Security) Options() ([]nats.Option, error) {
	var methods []string
	for _, m := range []struct{ name, v string }{{"creds", s.CredsFile}, {"nkey", s.NkeyFile}, {"user", s.User}, {"token", s.Token}} {
		if m.v != "" {
			methods = append(methods, m.name)
		}
	}
	if len(methods) > 1 {
		return nil, fmt.Errorf("natsconn: one NATS authentication method at a time, got %s", strings.Join(methods, ", "))
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		return nil, errors.New("natsconn: a NATS client certificate needs both its certificate and key files")
	}
	var opts []nats.Option
	switch {
	case s.CredsFile != "":
		opt := nats.UserCredentials(s.CredsFile)
		if err := checkCreds(opt); err != nil {
			return nil, fmt.Errorf("natsconn: NATS credentials %s: %w", s.CredsFile, err)
		}
		opts = append(opts, opt)
	case s.NkeyFile != "":
		opt, err := nats.NkeyOptionFromSeed(s.NkeyFile)
		if err != nil {
			return nil, fmt.Errorf("natsconn: NATS nkey seed %s: %w", s.NkeyFile, err)
		}
		opts = append(opts, opt)
	case s.User != "":
		if s.Password == "" {
			return nil, fmt.Errorf("natsconn: NATS user %q has no password", s.User)
		}
		opts = append(opts, nats.UserInfo(s.User, s.Password))
	case s.Token != "":
		opts = append(opts, nats.Token(s.Token))
	}
	if s.TLS() {
		opts = append(opts, nats.Secure())
		if s.CAFile != "" {
			opts = append(opts, nats.RootCAs(s.CAFile))
		}
		if s.CertFile != "" {
			opts = append(opts, nats.ClientCert(s.CertFile, s.KeyFile))
		}
		var o nats.Options
		for _, opt := range opts {
			if err := opt(&o); err != nil {
				return nil, fmt.Errorf("natsconn: NATS TLS: %w", err)
			}
		}
	}
	return opts, nil
}

// checkCreds reads a credentials file the way a connect would: its JWT,
// and its seed by signing a nonce.
func checkCreds(opt nats.Option) error {
	var o nats.Options
	if err := opt(&o); err != nil {
		return err
	}
	if _, err := o.UserJWT(); err != nil {
		return err
	}
	_, err := o.SignatureCB([]byte("nonce"))
	return err
}

// redactURLs joins urls with any user:password replaced, for messages.
func redactURLs(urls []string) string {
	out := make([]string, len(urls))
	for i, u := range urls {
		if at := strings.LastIndex(u, "@"); at >= 0 {
			scheme := ""
			if i := strings.Index(u, "://"); i >= 0 && i < at {
				scheme = u[:i+3]
			}
			u = scheme + "***@" + u[at+1:]
		}
		out[i] = u
	}
	return strings.Join(out, ",")
}

// Drain drains nc (its subscriptions finish the messages they hold, its
// pending publishes are flushed) and returns once nc is closed, or closes
// it at once when ctx ends first. It returns Drain's error, if any but "already
// closed".
func Drain(ctx context.Context, nc *nats.Conn) error {
	closed := make(chan struct{})
	var once sync.Once
	prev := nc.Opts.ClosedCB
	nc.SetClosedHandler(func(c *nats.Conn) {
		if prev != nil {
			prev(c)
		}
		once.Do(func() { close(closed) })
	})
	err := nc.Drain()
	if errors.Is(err, nats.ErrConnectionClosed) {
		err = nil
	}
	if !nc.IsClosed() {
		select {
		case <-closed:
		case <-ctx.Done():
		}
	}
	nc.Close()
	return err
}
