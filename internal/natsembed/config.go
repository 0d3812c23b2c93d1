package natsembed

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"
)

// Defaults of Config (DefaultConfig).
const (
	// DefaultName is the server name used when Config.Name is empty.
	DefaultName = "bridge-embedded"
	// DefaultListen is the client address: loopback, NATS's usual port.
	DefaultListen = "127.0.0.1:4222"
	// DefaultStoreDir is the JetStream store, relative to the working
	// directory.
	DefaultStoreDir = "./data"
	// SyncAlways is the Sync that syncs every write before it is
	// acknowledged: the default.
	SyncAlways time.Duration = 0
)

// DefaultConfig returns the default configuration.
func DefaultConfig() Config {
	return Config{Listen: DefaultListen, StoreDir: DefaultStoreDir, Name: DefaultName, Sync: SyncAlways}
}

// Config of the embedded server.
type Config struct {
	// Listen is the client listen address host:port; default DefaultListen.
	// Port -1 (or 0) picks a random free port.
	Listen string
	// StoreDir is the JetStream file store directory, created if missing;
	// default DefaultStoreDir.
	StoreDir string
	// Name is the server name; default DefaultName.
	Name string
	// MaxPayload is the largest message the server accepts, in bytes; 0
	// keeps nats-server's default (1 MiB). The bridge raises it so that a
	// webhook body at the body limit still fits in a dead letter with its
	// headers.
	MaxPayload int32
	// Sync is how JetStream writes reach the disk: SyncAlways (0, the default) syncs
	// each write before it is acknowledged (nats-server's sync_interval:
	// always); a positive interval acknowledges writes before they are
	// synced and syncs in the background that often, so a crash of the
	// machine loses what was acknowledged since the last sync.
	Sync time.Duration
	// MonitorListen is the monitoring (HTTP: /varz, /jsz) listen address
	// host:port, port -1 or 0 for a random one; empty (the default) opens
	// no monitoring port.
	MonitorListen string
	// Logger receives the server's own log lines: notices at Info, warnings
	// at Warn, errors at Error; debug and trace lines are dropped. nil
	// discards them.
	Logger *slog.Logger
}

// Validate checks c and returns every problem joined. It never changes c.
func (c Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("listen address is empty, want host:port"))
	} else if _, _, err := splitListen(c.Listen); err != nil {
		errs = append(errs, err)
	}
	if c.MaxPayload < 0 {
		errs = append(errs, fmt.Errorf("max payload must not be negative, got %d", c.MaxPayload))
	}
	if c.MonitorListen != "" {
		if _, _, err := splitListen(c.MonitorListen); err != nil {
			errs = append(errs, fmt.Errorf("monitor: %w", err))
		}
	}
	if c.Sync < 0 {
		errs = append(errs, fmt.Errorf("sync interval must be 0 (always) or positive, got %s", c.Sync))
	}
	if c.StoreDir == "" {
		errs = append(errs, errors.New("store directory is empty"))
	}
	return errors.Join(errs...)
}

// splitListen parses host:port; port -1 and 0 both mean random (nats-server
// itself reads 0 as its default port 4222, which surprises Go users).
func splitListen(listen string) (host string, port int, err error) {
	host, p, err := net.SplitHostPort(listen)
	if err != nil {
		return "", 0, fmt.Errorf("listen address %q: %w", listen, err)
	}
	port, err = strconv.Atoi(p)
	if err != nil || port < -1 || port > 65535 {
		return "", 0, fmt.Errorf("listen address %q: port must be -1 (random) or 0..65535", listen)
	}
	if port == 0 {
		port = -1
	}
	return host, port, nil
}
