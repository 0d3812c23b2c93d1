package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/bridge-dev/bridge/internal/asyncapi"
	"github.com/bridge-dev/bridge/internal/config"
)

var asyncAPIHelp = help{name: "asyncapi", args: "[flags]",
	purpose: "print the AsyncAPI 3.0 document of every event type the mappings can emit, with bridge run's NATS servers"}

// asyncAPIFlags are bridge asyncapi's flags.
type asyncAPIFlags struct {
	*toolFlags
	format *string
	nats   *natsFlags
}

func newAsyncAPIFlags(stdout, stderr io.Writer) asyncAPIFlags {
	t := newToolFlags(&asyncAPIHelp, stdout, stderr)
	return asyncAPIFlags{t, t.fs.String("format", "yaml", "output format: yaml or json"), addServerFlags(t.fs)}
}

// runAsyncAPI is `bridge asyncapi`: the AsyncAPI 3.0 document of every
// event type the mappings can emit, with the NATS servers of bridge run's
// settings (--nats-url, else its embedded server's --nats-listen).
func runAsyncAPI(args []string, stdout, stderr io.Writer) int {
	f := newAsyncAPIFlags(stdout, stderr)
	t, format, nats := f.toolFlags, f.format, f.nats
	if code := t.parse(args); code >= 0 {
		return code
	}
	if *format != "yaml" && *format != "json" {
		return asyncAPIHelp.usageError(stderr, "--format %q: want yaml or json", *format)
	}
	cfg, err := nats.resolve()
	if err != nil {
		return asyncAPIHelp.usageError(stderr, "%v", err)
	}
	set, code := t.load(true, stderr)
	if set == nil {
		return code
	}
	doc, err := asyncapi.Build(set, asyncapi.Options{NATSURLs: cfg.NATSURLs, NATSListen: cfg.EmbeddedNATS.Listen})
	if err != nil {
		fmt.Fprintf(stderr, "bridge asyncapi: %v\n", err)
		return 1
	}
	var out []byte
	if *format == "json" {
		out, err = doc.JSON()
	} else {
		out, err = doc.YAML()
	}
	if err != nil {
		fmt.Fprintf(stderr, "bridge asyncapi: %v\n", err)
		return 1
	}
	_, _ = stdout.Write(out)
	return 0
}

// addServerFlags registers the settings that say where bridge run's NATS
// is, without the credentials bridge asyncapi never uses: --nats-url,
// --nats-listen and --config, resolved as bridge run resolves them.
func addServerFlags(fs *flag.FlagSet) *natsFlags {
	n := &natsFlags{fs: fs, given: map[string]*string{}}
	n.file = fs.String("config", "", "bridge run's YAML config file to read the NATS settings from")
	for _, st := range config.Settings() {
		if st.Flag == "nats-url" || st.Flag == "nats-listen" {
			n.given[st.Flag] = fs.String(st.Flag, "", st.Usage)
		}
	}
	return n
}
