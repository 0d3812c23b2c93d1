package playground

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"runtime/debug"
	"strings"
	"time"

	"github.com/bridge-dev/bridge/internal/transform"
)

// WorkerEnv is set to "1" in the environment of a worker process. A
// program that is started as one (the bridge as `bridge map-worker`, or a
// test binary whose tests start a daemon) runs WorkerMain.
const WorkerEnv = "BRIDGE_MAP_WORKER"

// Defaults of Worker.
const (
	DefaultWorkerMemory  = 512 << 20        // address space a worker may add after it starts
	DefaultWorkerCPU     = 10 * time.Second // CPU time of a worker
	DefaultWorkerTimeout = 15 * time.Second // wall clock of a worker
)

// maxWorkerAnswer bounds what the handler reads of a worker's answer.
const maxWorkerAnswer = 32 << 20

// Worker runs each dry run in a child process: the program at Path (the
// bridge's own executable) with Args, WorkerEnv set and nothing else of the
// environment (no secret reaches it). The child limits itself before it
// reads the mapping: Memory of address space beyond what it has at start
// (RLIMIT_AS) and CPU seconds (RLIMIT_CPU), on Linux; elsewhere only the
// wall clock (Timeout) holds. Whatever a mapping does, it costs the child,
// not the daemon: a child that runs out of memory, stack or CPU dies, and
// its dry run is answered 422.
type Worker struct {
	Path    string
	Args    []string
	Memory  int64
	CPU     time.Duration
	Timeout time.Duration
}

// job is one dry run, as the handler hands it to a worker.
type job struct {
	Path        string            `json:"path"` // the path the mapping is compiled as
	Text        string            `json:"text"`
	Body        []byte            `json:"body"`
	ContentType string            `json:"content_type"`
	Headers     map[string]string `json:"headers"`
	ReceivedAt  time.Time         `json:"received_at"`
	SchemasDir  string            `json:"schemas_dir"`
	Limits      transform.Limits  `json:"limits"`
	// For a worker only: the running set's schema files, and its limits.
	SchemaFiles []string      `json:"schema_files,omitempty"`
	Memory      int64         `json:"memory,omitempty"`
	CPU         time.Duration `json:"cpu,omitempty"`

	// PayloadError says why the request's payload gives no Body (missing,
	// unreadable): answered invalid-payload once the mapping compiles.
	PayloadError string `json:"payload_error,omitempty"`
	// MutualTLS is Config.MutualTLS: none-unverified is left out.
	MutualTLS bool `json:"mutual_tls,omitempty"`
}

// workerAnswer is the HTTP answer a worker computed.
type workerAnswer struct {
	Status      int    `json:"status"`
	ContentType string `json:"content_type"`
	Body        []byte `json:"body"`
}

// isolated answers a dry run by running it in a worker.
func (h *Handler) isolated(w http.ResponseWriter, r *http.Request, set *transform.Set, j job) {
	wk := *h.cfg.Worker
	if wk.Memory <= 0 {
		wk.Memory = DefaultWorkerMemory
	}
	if wk.CPU <= 0 {
		wk.CPU = DefaultWorkerCPU
	}
	if wk.Timeout <= 0 {
		wk.Timeout = DefaultWorkerTimeout
	}
	j.SchemaFiles, j.Memory, j.CPU = set.SchemaFiles(), wk.Memory, wk.CPU
	in, err := json.Marshal(j)
	if err != nil {
		writeProblem(w, r, "internal", http.StatusInternalServerError, "the dry run cannot be handed to its worker: "+err.Error(), nil)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), wk.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, wk.Path, wk.Args...)
	cmd.Env = []string{WorkerEnv + "=1"}
	cmd.Stdin = bytes.NewReader(in)
	out := &capped{max: maxWorkerAnswer}
	stderr := &capped{max: 4 << 10}
	cmd.Stdout, cmd.Stderr = out, stderr
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if r.Context().Err() != nil {
		h.cfg.Logger.Debug("playground: dry run cancelled, the client is gone; its worker is killed")
		return
	}
	var a workerAnswer
	if err == nil && !out.over {
		if err = json.Unmarshal(out.Bytes(), &a); err == nil && a.Status != 0 {
			w.Header().Set("Content-Type", a.ContentType)
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(a.Status)
			_, _ = w.Write(a.Body)
			return
		}
	}
	why := firstLine(stderr.String())
	limited := errors.Is(ctx.Err(), context.DeadlineExceeded) || out.over || killedByLimit(err) ||
		strings.Contains(why, "out of memory") || strings.Contains(why, "stack exceeds") ||
		strings.Contains(why, "address space") // the race detector's words for out of memory
	h.cfg.Logger.Warn("playground: dry run worker failed", "err", err, "stderr", why, "over_limits", limited)
	if !limited {
		writeProblem(w, r, "worker-failed", http.StatusInternalServerError, "the dry run's worker failed: "+firstLine(fmt.Sprint(err)), nil)
		return
	}
	if why == "" {
		why = firstLine(fmt.Sprint(err))
	}
	writeProblem(w, r, "budget-exceeded", http.StatusUnprocessableEntity,
		fmt.Sprintf("the dry run was stopped by its worker's limits (%d MiB of memory, %s of CPU, %s): %s; a delivery would exceed its evaluation budget too",
			wk.Memory>>20, wk.CPU, wk.Timeout, why), map[string]any{"limit": "worker"})
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// capped is a buffer that keeps at most max bytes and says whether more
// came.
type capped struct {
	bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); len(p) > room {
		c.over = true
		c.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

// WorkerMain is a worker process: it reads one dry run on stdin, limits
// itself, runs the dry run and writes its HTTP answer on stdout. It
// returns the process's exit code.
func WorkerMain(stdin io.Reader, stdout, stderr io.Writer) int {
	var j job
	if err := json.NewDecoder(io.LimitReader(stdin, 16<<20)).Decode(&j); err != nil {
		fmt.Fprintln(stderr, "map-worker: reading the dry run:", err)
		return 2
	}
	// Before anything the mapping controls: past these the process dies,
	// alone.
	if err := limitSelf(j.Memory, j.CPU); err != nil {
		fmt.Fprintln(stderr, "map-worker: limits:", err)
		return 2
	}
	debug.SetMaxStack(64 << 20)
	set, err := transform.SchemasOnly(j.SchemasDir, j.SchemaFiles)
	if err != nil {
		fmt.Fprintln(stderr, "map-worker:", err)
		return 2
	}
	rec := &recorder{header: http.Header{}}
	req := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/api/map"}, Header: http.Header{}}
	New(Config{}).evaluate(context.Background(), rec, req, j, set)
	if err := json.NewEncoder(stdout).Encode(workerAnswer{Status: rec.status, ContentType: rec.header.Get("Content-Type"), Body: rec.body.Bytes()}); err != nil {
		fmt.Fprintln(stderr, "map-worker: writing the answer:", err)
		return 2
	}
	return 0
}

// recorder is the http.ResponseWriter of a worker: the answer, kept.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}
