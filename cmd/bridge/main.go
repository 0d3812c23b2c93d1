// Command bridge turns providers' webhooks into CloudEvents stored in NATS
// JetStream. See `bridge help` and the README.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `bridge turns providers' webhooks into CloudEvents stored in NATS JetStream.

Usage:
  bridge run     [flags]   run the daemon (bridge run -h lists every setting)
  bridge version           print version, commit and Go version

Exit codes: 0 done, 1 the work found a problem, 2 a usage error.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return runDaemon(args[1:], stderr)
	case "version":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "bridge: unknown command %q\n\n%s", args[0], usage)
	return 2
}
