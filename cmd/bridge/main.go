// Command bridge turns providers' webhooks into CloudEvents stored in NATS
// JetStream. See `bridge help` and the README.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/bridge-dev/bridge/internal/playground"
	"github.com/bridge-dev/bridge/internal/suggest"
)

const usage = `bridge turns providers' webhooks into CloudEvents stored in NATS JetStream.

Usage:
  bridge run     [flags]                 run the daemon (bridge run -h lists every setting)
  bridge check   [--mappings DIR]        compile and lint every mapping; file:line:col problems
  bridge test    [--mappings DIR] [--update]   run every mapping's fixtures
  bridge map     --provider P [-H "Name: value"] < payload.json   dry run: print the event(s)
  bridge catalog [--mappings DIR] [--json]     every type the mappings can emit
  bridge asyncapi [--mappings DIR] [--nats-url URL] [--format json]   the AsyncAPI 3.0 document of those types
  bridge dlq     list   [--provider P] [--reason R] [--since D] [--limit N] [--json] [--nats-url URL]
  bridge dlq     replay [--provider P] [--reason R] [--since D] [--dry-run] [--mappings DIR] [--nats-url URL]
                                         list the dead letters; map them again with the current mappings
  bridge events  list [--type T] [--since D] [--entity E] [--limit N] [--json]
  bridge events  get ID [--json]         the stored events, or one by its id
  bridge tail    [--type T] [--since D] [--entity E]   print events as they are stored
  bridge send    --name N [--version V] [--url URL] [--flow-id F] < payload.json   one events-protocol call
  bridge health  [--live] [--admin ADDR]  exit 0 when the running bridge is ready (GET /readyz)
  bridge version                         print version, commit and Go version
  bridge completion bash|zsh|fish        print a shell completion script
  bridge help    [CMD]                   this text, or CMD's flags (as CMD -h)

Exit codes: 0 done, 1 the work found a problem, 2 a usage error.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if args[0] == "help" && len(args) > 1 {
		// bridge help CMD is CMD's own help.
		return run([]string{args[1], "-h"}, stdin, stdout, stderr)
	}
	if wantsHelp(args[1:]) {
		stderr = stdout // asked for, help is the answer, not an error
	}
	switch args[0] {
	case "run":
		return runDaemon(args[1:], stderr)
	case "check":
		return runCheck(args[1:], stdout, stderr)
	case "test":
		return runTest(args[1:], stdout, stderr)
	case "map":
		return runMap(args[1:], stdin, stdout, stderr)
	case "catalog":
		return runCatalog(args[1:], stdout, stderr)
	case "asyncapi":
		return runAsyncAPI(args[1:], stdout, stderr)
	case "dlq":
		return runDLQ(args[1:], stdout, stderr)
	case "events":
		return runEvents(args[1:], stdout, stderr)
	case "tail":
		return runTail(args[1:], stdout, stderr)
	case "send":
		return runSend(args[1:], stdin, stdout, stderr)
	case "health":
		return runHealth(args[1:], stdout, stderr)
	case "completion":
		return runCompletion(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "map-worker": // not in the usage: the daemon runs it for each playground dry run
		return playground.WorkerMain(stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	hint := ""
	if c, ok := suggest.Closest(args[0], commands); ok {
		hint = fmt.Sprintf(" (did you mean %q?)", c)
	}
	fmt.Fprintf(stderr, "bridge: unknown command %q%s\n\n%s", args[0], hint, usage)
	return 2
}
