package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natsconn"
	"github.com/bridge-dev/bridge/internal/natsembed"
)

// natsSettingFlags are bridge run's settings that say where its NATS is
// and how to reach it; the tools that read the bridge's streams take them
// with the same names, variables and config file.
var natsSettingFlags = []string{"nats-url", "nats-listen", "nats-creds", "nats-nkey", "nats-user",
	"nats-tls-ca", "nats-tls-cert", "nats-tls-key"}

// natsFlags are a tool's NATS settings: flags registered on its FlagSet,
// resolved as bridge run resolves them (flag, else BRIDGE_* variable, else
// --config or BRIDGE_CONFIG, else the default), so a tool run beside a
// bridge reaches the same NATS server: its configured URLs, or its
// embedded server's --nats-listen address.
type natsFlags struct {
	fs    *flag.FlagSet
	given map[string]*string
	file  *string
}

func addNATSFlags(fs *flag.FlagSet) *natsFlags {
	n := &natsFlags{fs: fs, given: map[string]*string{}}
	n.file = fs.String("config", "", "bridge run's YAML config file to read the NATS settings from")
	for _, st := range config.Settings() {
		for _, name := range natsSettingFlags {
			if st.Flag == name {
				n.given[name] = fs.String(name, "", st.Usage)
			}
		}
	}
	return n
}

// resolve reads the settings as bridge run would.
func (n *natsFlags) resolve() (config.Config, error) {
	var args []string
	n.fs.Visit(func(f *flag.Flag) {
		if p, ok := n.given[f.Name]; ok {
			args = append(args, "--"+f.Name, *p)
		} else if f.Name == "config" {
			args = append(args, "--config", *n.file)
		}
	})
	fs := flag.NewFlagSet(n.fs.Name(), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return config.Load(fs, args, os.LookupEnv)
}

// connect dials the bridge's NATS, failing at once when no server answers;
// the error names the settings that say where it is.
func (n *natsFlags) connect() (*nats.Conn, jetstream.JetStream, error) {
	cfg, err := n.resolve()
	if err != nil {
		return nil, nil, err
	}
	urls := cfg.NATSURLs
	if len(urls) == 0 { // bridge run starts its embedded server there
		host, port, err := net.SplitHostPort(cfg.EmbeddedNATS.Listen)
		if err == nil && (host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified()) {
			host = "127.0.0.1"
		}
		urls = []string{"nats://" + net.JoinHostPort(host, port)}
	}
	sec := natsconn.Security{
		CredsFile: cfg.NATSCreds, NkeyFile: cfg.NATSNkey, User: cfg.NATSUser, Password: string(cfg.NATSPassword), Token: string(cfg.NATSToken),
		CAFile: cfg.NATSTLSCA, CertFile: cfg.NATSTLSCert, KeyFile: cfg.NATSTLSKey,
	}
	opts, err := sec.Options()
	if err != nil {
		return nil, nil, err
	}
	opts = append(opts, nats.RetryOnFailedConnect(false), nats.Timeout(5*time.Second))
	nc, err := natsconn.Connect(urls, n.fs.Name(), nil, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (the bridge's NATS server is --nats-url or BRIDGE_NATS_URL, or the embedded one at --nats-listen, default %s)", err, natsembed.DefaultListen)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	return nc, js, nil
}
