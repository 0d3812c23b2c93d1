package daemon

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
)

const (
	stripeSecret = "whsec_test_daemon"
	githubSecret = "gh-test-secret"
)

// shippedSecrets are the signing secrets of the other shipped mappings,
// which do not load without them. Each is 16 bytes or more, so only
// githubSecret is warned about (TestWarnShortSigningSecret).
var shippedSecrets = map[string]string{
	"MERCADOPAGO_WEBHOOK_SECRET": "mp-test-secret-of-the-app",
	"SLACK_WEBHOOK_SECRET":       "slack-test-signing-secret",
	"SHOPIFY_WEBHOOK_SECRET":     "shpss_test_client_secret",
}

// setShippedSecrets sets shippedSecrets in the environment for tb.
func setShippedSecrets(tb testing.TB) {
	for k, v := range shippedSecrets {
		tb.Setenv(k, v)
	}
}

// bridge is a running daemon under test.
type bridge struct {
	*Daemon
	base  string // http://host:port of the public listener
	admin string
	js    jetstream.JetStream
	logs  *logBuffer // nil unless the test asked for the logs
}

// startBridge runs a daemon on random ports with the shipped mappings. With
// a natstest server it connects to it; without, it starts its embedded
// server in a temporary directory.
func startBridge(t *testing.T, srv *natstest.Server, edit func(*config.Config)) *bridge {
	t.Helper()
	return launchBridge(t, setup{srv: srv, edit: edit})
}

// setup is what launchBridge may change from startBridge's defaults.
type setup struct {
	srv         *natstest.Server          // nil: the embedded server
	edit        func(*config.Config)      // nil: the defaults below
	logs        *logBuffer                // nil: logs are discarded
	beforeStart func(*testing.T, *Daemon) // runs between New and Start
}

// testConfig is the configuration of a test bridge: the shipped mappings,
// random ports, an embedded server storing in a temporary directory.
func testConfig(t *testing.T) config.Config {
	t.Helper()
	t.Setenv("STRIPE_WEBHOOK_SECRET", stripeSecret)
	t.Setenv("GITHUB_WEBHOOK_SECRET", githubSecret)
	setShippedSecrets(t)
	cfg := config.Default()
	cfg.HTTP, cfg.Admin = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Mappings, cfg.Schemas = "../../mappings", "../../schemas"
	cfg.EmbeddedNATS.Listen, cfg.EmbeddedNATS.StoreDir = "127.0.0.1:-1", t.TempDir()
	cfg.RequestTimeout = 2 * time.Second
	// The shipped guardia.yaml accepts the events protocol: the tests run
	// it open, as an operator would with --events-auth none.
	cfg.EventsAuthSource = "flag --events-auth"
	return cfg
}

func launchBridge(t *testing.T, s setup) *bridge {
	t.Helper()
	cfg := testConfig(t)
	if s.srv != nil {
		cfg.NATSURLs = []string{s.srv.URL()}
	}
	if s.edit != nil {
		s.edit(&cfg)
	}
	var log *slog.Logger
	if s.logs != nil {
		log = s.logs.logger()
	}
	d, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if s.beforeStart != nil {
		s.beforeStart(t, d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	url := d.NATSURL()
	if s.srv != nil {
		url = s.srv.URL()
	}
	_, js := natstest.Connect(t, url)
	return &bridge{Daemon: d, base: "http://" + d.HTTPAddr(), admin: "http://" + d.AdminAddr(), js: js, logs: s.logs}
}

// logBuffer collects a daemon's logs as JSON lines, safe for the daemon to
// write while the test reads.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// records returns the log records whose message is msg, oldest first.
func (b *logBuffer) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	data := bytes.Clone(b.buf.Bytes())
	b.mu.Unlock()
	var out []map[string]any
	for line := range bytes.Lines(data) {
		var r map[string]any
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, line)
		}
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

func readExample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func stripeSign(body []byte, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: stripeSecret, Timestamp: at}).Header
}

func githubSign(body []byte) string {
	m := hmac.New(sha256.New, []byte(githubSecret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func post(t *testing.T, url string, body []byte, header map[string]string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("answer %d is not a JSON object: %v\n%s", resp.StatusCode, err, raw)
		}
	}
	return r
}

func postStripe(t *testing.T, b *bridge, example string) reply {
	t.Helper()
	body := readExample(t, "stripe/"+example)
	return post(t, b.base+"/webhooks/stripe", body, map[string]string{"Stripe-Signature": stripeSign(body, time.Now())})
}

// streamMsgs returns the number of messages in a stream.
func streamMsgs(t *testing.T, js jetstream.JetStream, name string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// lastMsg returns the last message stored on subject in stream.
func lastMsg(t *testing.T, js jetstream.JetStream, stream, subject string) *jetstream.RawStreamMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(ctx, subject)
	if err != nil {
		t.Fatalf("no message on %s in %s: %v", subject, stream, err)
	}
	return m
}

// checkFor polls f every 25ms until it returns nil or total passes.
func checkFor(t *testing.T, total time.Duration, f func() error) {
	t.Helper()
	natstest.CheckFor(t, total, 25*time.Millisecond, f)
}
