// Command bridge turns providers' webhooks into CloudEvents stored in NATS
// JetStream. See `bridge help` and the README.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/bridge-dev/bridge/internal/playground"
	"github.com/bridge-dev/bridge/internal/suggest"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		writeUsage(stderr)
		return 2
	}
	if args[0] == "help" && len(args) > 1 {
		if strings.HasPrefix(args[1], "-") { // help's own flags: only -h
			if code := helpHelp.noArgs(args[1:], stdout, stderr); code >= 0 {
				return code
			}
		}
		// bridge help CMD [SUB] is CMD's own help.
		return run(append(slices.Clone(args[1:]), "-h"), stdin, stdout, stderr)
	}
	switch args[0] {
	case "run":
		return runDaemon(args[1:], stdout, stderr)
	case "check":
		return runCheck(args[1:], stdout, stderr)
	case "test":
		return runTest(args[1:], stdout, stderr)
	case "map":
		return runMap(args[1:], stdin, stdout, stderr)
	case "catalog":
		return runCatalog(args[1:], stdout, stderr)
	case "new":
		return runNew(args[1:], stdout, stderr)
	case "asyncapi":
		return runAsyncAPI(args[1:], stdout, stderr)
	case "dlq":
		return runDLQ(args[1:], stdout, stderr)
	case "remap":
		return runRemap(args[1:], stdout, stderr)
	case "backfill":
		return runBackfill(args[1:], stdout, stderr)
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
		if code := versionHelp.noArgs(args[1:], stdout, stderr); code >= 0 {
			return code
		}
		fmt.Fprintln(stdout, versionString())
		return 0
	case "map-worker": // not in the usage: the daemon runs it for each playground dry run
		return playground.WorkerMain(stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		writeUsage(stdout)
		return 0
	}
	hint := ""
	if c, ok := suggest.Closest(args[0], commands); ok {
		hint = fmt.Sprintf(" (did you mean %q?)", c)
	}
	fmt.Fprintf(stderr, "bridge: unknown command %q%s\nUsage: bridge CMD [args] (bridge help lists the commands)\n", args[0], hint)
	return 2
}
