package publish

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

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
		return nil, errors.New("publish: connect: no NATS URL")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := append([]nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectBufSize(-1),
		nats.ConnectHandler(func(nc *nats.Conn) {
			logger.Info("nats connected", "url", nc.ConnectedUrlRedacted(), "server", nc.ConnectedServerName())
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			logger.Warn("nats disconnected", "err", err)
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
		return nil, fmt.Errorf("publish: connect to %s: %w", redactURLs(urls), err)
	}
	return nc, nil
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
