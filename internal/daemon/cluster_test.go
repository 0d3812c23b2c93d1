package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// The cluster tests run two bridges against a real in-process three-node
// JetStream cluster (routes on random ports, a store per node) with R3
// streams and bucket, as docs/scaling.md describes the deployment.

// clusterStreams are the streams (and the bucket's stream) a bridge creates.
var clusterStreams = []string{"EVENTS", "EVENTS_DLQ", "INGEST", "KV_bridge_idem"}

// startClusterBridges starts two bridges on c with --replicas 3 and checks
// that every stream and the idempotency bucket have three replicas.
func startClusterBridges(t *testing.T, c *natstest.Cluster, edit func(*config.Config)) (*bridge, *bridge, jetstream.JetStream) {
	t.Helper()
	cfg := func(cfg *config.Config) {
		cfg.NATSURLs, cfg.Streams.Replicas = c.URLs(), 3
		if edit != nil {
			edit(cfg)
		}
	}
	b1, b2 := startBridge(t, nil, cfg), startBridge(t, nil, cfg)
	_, js := natstest.Connect(t, c.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, name := range clusterStreams {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		info := s.CachedInfo()
		if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
			t.Fatalf("stream %s: %d replicas configured, cluster %+v; want 3 (a leader and two followers)", name, info.Config.Replicas, info.Cluster)
		}
	}
	return b1, b2, js
}

// TestClusterStreamLeaderLossUnderLoad: senders that retry every non-2xx
// and broken connection spread N deliveries over two bridges (each retry
// goes to the other one); the EVENTS stream's leader node crashes in the
// middle (cut off, then shut down: no leadership handed over) and is
// started again later. The bridges answer 503 while no leader can store,
// become ready again on the two surviving nodes, and at the end the stream
// holds exactly N events, no idempotency key twice, each event id a 2xx
// answered, and its three replicas agree once the node has caught up.
func TestClusterStreamLeaderLossUnderLoad(t *testing.T) {
	const n = 300
	c := natstest.StartCluster(t, 3)
	b1, b2, js := startClusterBridges(t, c, nil)
	l := newClusterLoad(n, b1, b2)
	result := l.start(t, 4)

	l.waitDone(t, n/3, result)
	leader := c.StreamLeader(t, "EVENTS")
	l.mark()
	c.KillNode(t, leader)
	t.Logf("killed %s, the EVENTS leader, after %d deliveries", c.Node(leader).Name(), l.done.Load())

	// The two other nodes elect a leader and take the load on; both bridges
	// say ready again while the node is still down.
	l.waitDone(t, 2*n/3, result)
	for _, b := range []*bridge{b1, b2} {
		checkFor(t, 20*time.Second, func() error {
			if r := do(t, mustRequest(t, http.MethodGet, b.admin+"/readyz")); r.status != http.StatusOK {
				return fmt.Errorf("readyz with one node down: %d %s", r.status, r.raw)
			}
			return nil
		})
	}
	if l := c.StreamLeader(t, "EVENTS"); l == leader {
		t.Fatalf("the killed node %d still leads EVENTS", l)
	}
	c.RestartNode(t, leader)
	t.Logf("restarted %s %s after the kill, with %d deliveries done", c.Node(leader).Name(), l.sinceMark(), l.done.Load())

	if err := <-result; err != nil {
		t.Fatal(err)
	}
	l.report(t)
	checkClusterAgrees(t, c, js, l)
}

// TestClusterPartitionUnderLoad: a node is cut off from the two others (a
// network partition) while it keeps running, with one bridge connected to
// it and the other to a node of the majority. The bridge on the minority
// side cannot store and never answers 202, and says unready; the majority
// side goes on storing; once the partition heals every replica holds
// exactly one event per delivery.
//
// The cut-off node leads neither EVENTS nor the idempotency bucket: a
// cut-off leader takes 15-30s to catch up after the partition heals
// (nats-server retries its catch-up), too long for the suite; docs/scaling.md
// gives those figures.
func TestClusterPartitionUnderLoad(t *testing.T) {
	const n = 200
	c := natstest.StartCluster(t, 3)
	var logs []*logBuffer
	startPinned := func(i int) *bridge {
		lb := &logBuffer{}
		logs = append(logs, lb)
		return launchBridge(t, setup{logs: lb, edit: func(cfg *config.Config) {
			cfg.NATSURLs, cfg.Streams.Replicas = []string{c.Node(i).URL()}, 3
			cfg.RequestTimeout = time.Second // the minority side answers 503 sooner
		}})
	}
	t.Cleanup(func() {
		if t.Failed() {
			for i, lb := range logs {
				lb.mu.Lock()
				t.Logf("bridge %d logs:\n%s", i, lb.buf.String())
				lb.mu.Unlock()
			}
		}
	})
	b1 := startPinned(0) // creates the streams and the bucket
	cut := 0
	for c.StreamLeader(t, "EVENTS") == cut || c.StreamLeader(t, "KV_bridge_idem") == cut {
		cut++
	}
	minority, majority := b1, (*bridge)(nil)
	if cut == 0 {
		majority = startPinned(1)
	} else {
		minority, majority = startPinned(cut), b1
	}
	_, js := natstest.Connect(t, c.Node((cut+1)%3).URL())
	l := newClusterLoad(n, minority, majority)
	result := l.start(t, 8)

	l.waitDone(t, n/4, result)
	l.mark()
	c.Isolate(t, cut)
	l.fence(minority.base)
	t.Logf("cut %s off after %d deliveries", c.Node(cut).Name(), l.done.Load())

	checkFor(t, 15*time.Second, func() error {
		if r := do(t, mustRequest(t, http.MethodGet, minority.admin+"/readyz")); r.status != http.StatusServiceUnavailable {
			return fmt.Errorf("readyz on the minority side: %d %s", r.status, r.raw)
		}
		return nil
	})
	t.Logf("the minority side says unready %s after the cut", l.sinceMark())
	l.waitDone(t, 3*n/4, result) // through the majority's bridge
	if v := l.fenceViolations(); len(v) > 0 {
		t.Errorf("the bridge on the minority side answered 202 (stored) to deliveries sent after the cut: %v", v)
	}
	// Ready again, once any stream the cut node led has a new leader.
	checkFor(t, 15*time.Second, func() error {
		if r := do(t, mustRequest(t, http.MethodGet, majority.admin+"/readyz")); r.status != http.StatusOK {
			return fmt.Errorf("readyz on the majority side: %d %s", r.status, r.raw)
		}
		return nil
	})
	c.Heal(t, cut)
	t.Logf("healed %s after %s, with %d deliveries done", c.Node(cut).Name(), l.sinceMark(), l.done.Load())
	checkFor(t, 15*time.Second, func() error {
		if r := do(t, mustRequest(t, http.MethodGet, minority.admin+"/readyz")); r.status != http.StatusOK {
			return fmt.Errorf("readyz on the healed side: %d %s", r.status, r.raw)
		}
		return nil
	})

	if err := <-result; err != nil {
		l.report(t)
		t.Fatal(err)
	}
	l.report(t)
	checkClusterAgrees(t, c, js, l)
}

// checkClusterAgrees waits until the three replicas of EVENTS and of the
// idempotency bucket agree, and checks that they hold exactly one event
// (and one record) per delivery of l, as answered.
func checkClusterAgrees(t *testing.T, c *natstest.Cluster, js jetstream.JetStream, l *clusterLoad) {
	t.Helper()
	st := c.WaitStreamInSync(t, "EVENTS", 3, 30*time.Second)
	if st.Msgs != uint64(l.n) {
		t.Errorf("every replica of EVENTS holds %d events, want exactly %d (%v)", st.Msgs, l.n, st)
	}
	if kv := c.WaitStreamInSync(t, "KV_bridge_idem", 3, 30*time.Second); kv.Msgs != uint64(l.n) {
		t.Errorf("every replica of the idempotency bucket holds %d records, want %d (%v)", kv.Msgs, l.n, kv)
	}
	// The leader's view of its followers follows on its next heartbeat.
	checkFor(t, 10*time.Second, func() error {
		info := streamInfo(t, js, "EVENTS")
		if info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
			return fmt.Errorf("EVENTS cluster info: %+v", info.Cluster)
		}
		for _, p := range info.Cluster.Replicas {
			if !p.Current || p.Offline || p.Lag != 0 {
				return fmt.Errorf("EVENTS replica %s, as its leader %s sees it: current %v offline %v lag %d",
					p.Name, info.Cluster.Leader, p.Current, p.Offline, p.Lag)
			}
		}
		return nil
	})
	checkClusterExactlyOnce(t, js, l)
}

// TestClusterRetryOnTheOtherBridge: a delivery and its retry landing on two
// different bridges store one event. Sent to both at once they race and
// one event is stored; retried on the other bridge once the stream's
// duplicate window has passed, the idempotency bucket (shared, R3) answers
// the original id.
func TestClusterRetryOnTheOtherBridge(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	b1, b2, js := startClusterBridges(t, c, func(cfg *config.Config) { cfg.Streams.DuplicateWindow = 500 * time.Millisecond })

	for round := range 3 {
		body := pixDelivery(2000 + round)
		var wg sync.WaitGroup
		replies := make([]reply, 6)
		for i := range replies {
			wg.Go(func() {
				replies[i] = post(t, []*bridge{b1, b2}[i%2].base+"/webhooks/pix", body, nil)
			})
		}
		wg.Wait()
		ids, created := map[any]bool{}, 0
		for _, r := range replies {
			if r.status/100 != 2 {
				t.Fatalf("round %d: %d %s", round, r.status, r.raw)
			}
			if r.status == http.StatusAccepted {
				created++
			}
			ids[r.body["events"].([]any)[0].(map[string]any)["id"]] = true
		}
		if len(ids) != 1 || created != 1 {
			t.Errorf("round %d: %d distinct ids and %d answers 202, want 1 and 1", round, len(ids), created)
		}
	}

	body := pixDelivery(3000)
	first := post(t, b1.base+"/webhooks/pix", body, nil)
	if first.status != http.StatusAccepted {
		t.Fatalf("first delivery on b1: %d %s", first.status, first.raw)
	}
	// Past the duplicate window: JetStream alone would store it again.
	natstest.AwaitDuplicateWindow(t, js, "EVENTS", natstest.ProbeSubject, 20*time.Second)
	retry := post(t, b2.base+"/webhooks/pix", body, nil)
	want := first.body["events"].([]any)[0].(map[string]any)["id"]
	if got := retry.body["events"]; retry.status != http.StatusOK || got == nil ||
		got.([]any)[0].(map[string]any)["id"] != want || got.([]any)[0].(map[string]any)["duplicate"] != true {
		t.Fatalf("retry on b2 past the window: %d %s, want 200 duplicate with id %v", retry.status, retry.raw, want)
	}
	if n := streamMsgs(t, js, "EVENTS"); n != 4 {
		t.Fatalf("EVENTS holds %d events, want 4", n)
	}
	if st := c.WaitStreamInSync(t, "EVENTS", 3, 10*time.Second); st.Msgs != 4 {
		t.Fatalf("replicas of EVENTS: %v, want 4 events on each", st)
	}
}

// clusterLoad sends n unique Pix deliveries from several senders; each is
// retried, after any non-2xx answer or broken connection, on the next
// bridge, until it gets a 2xx (bounded by the start's deadline).
type clusterLoad struct {
	bases  []string
	n      int
	done   atomic.Int64
	broken atomic.Int64
	client *http.Client

	mu        sync.Mutex
	answered  map[int]answer       // delivery -> its first 2xx
	status    map[int]int          // status -> count
	via       map[string]int       // bridge -> 2xx answers
	markAt    time.Time            // the fault; zero before it
	fenced    map[string]time.Time // bridge -> since when it must not answer 202
	violation []string             // 202 answers of a fenced bridge
	firstBad  time.Time            // first non-2xx or broken connection after markAt
	lastBad   time.Time            // last one
	badAfter  int                  // how many after markAt
	firstGood time.Time            // first 2xx after the last bad answer
}

type answer struct{ id, key string }

func newClusterLoad(n int, bridges ...*bridge) *clusterLoad {
	l := &clusterLoad{n: n, answered: map[int]answer{}, status: map[int]int{}, via: map[string]int{}, fenced: map[string]time.Time{}}
	for _, b := range bridges {
		l.bases = append(l.bases, b.base)
	}
	return l
}

// start runs the load from senders goroutines, for at most 45s; the
// channel gets its outcome.
func (l *clusterLoad) start(t *testing.T, senders int) chan error {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	result := make(chan error, 1)
	go func() { result <- l.run(ctx, senders) }()
	return result
}

func (l *clusterLoad) run(ctx context.Context, senders int) error {
	l.client = &http.Client{Timeout: 5 * time.Second}
	work := make(chan int, l.n)
	for i := range l.n {
		work <- i
	}
	close(work)
	var wg sync.WaitGroup
	errc := make(chan error, senders)
	for range senders {
		wg.Go(func() {
			for i := range work {
				if err := l.deliver(ctx, i); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	return <-errc
}

func (l *clusterLoad) deliver(ctx context.Context, i int) error {
	for attempt := 0; ; attempt++ {
		if ctx.Err() != nil {
			return fmt.Errorf("delivery %d never got a 2xx in %d attempts: %w", i, attempt, ctx.Err())
		}
		base := l.bases[(i+attempt)%len(l.bases)]
		sent := time.Now()
		resp, err := l.client.Post(base+"/webhooks/pix", "application/json", bytes.NewReader(pixDelivery(i)))
		if err != nil {
			l.broken.Add(1)
			l.bad()
			time.Sleep(20 * time.Millisecond)
			continue
		}
		var a struct {
			Events []struct {
				ID             string `json:"id"`
				IdempotencyKey string `json:"idempotencykey"`
			} `json:"events"`
		}
		decodeErr := json.NewDecoder(resp.Body).Decode(&a)
		resp.Body.Close()
		l.mu.Lock()
		l.status[resp.StatusCode]++
		l.mu.Unlock()
		if resp.StatusCode/100 != 2 {
			if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
				return fmt.Errorf("delivery %d: 503 without Retry-After", i)
			}
			l.bad()
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if decodeErr != nil || len(a.Events) != 1 {
			return fmt.Errorf("delivery %d: %d with %d events (%v)", i, resp.StatusCode, len(a.Events), decodeErr)
		}
		l.mu.Lock()
		if _, seen := l.answered[i]; !seen {
			l.answered[i] = answer{id: a.Events[0].ID, key: a.Events[0].IdempotencyKey}
		}
		l.via[base]++
		if since, ok := l.fenced[base]; ok && resp.StatusCode == http.StatusAccepted && sent.After(since) {
			l.violation = append(l.violation, fmt.Sprintf("delivery %d at %s", i, sent.Sub(since).Round(time.Millisecond)))
		}
		if !l.lastBad.IsZero() && l.firstGood.Before(l.lastBad) {
			l.firstGood = time.Now()
		}
		l.mu.Unlock()
		l.done.Add(1)
		return nil
	}
}

// mark notes the moment of the fault: bad answers are timed from it.
func (l *clusterLoad) mark() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.markAt = time.Now()
}

func (l *clusterLoad) sinceMark() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Since(l.markAt).Round(time.Millisecond)
}

// fence notes that from now on the bridge at base cannot store: a 202
// from it to a delivery sent later is a violation (a 200 duplicate is
// fine: it names an event stored before).
func (l *clusterLoad) fence(base string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fenced[base] = time.Now()
}

func (l *clusterLoad) fenceViolations() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.violation)
}

func (l *clusterLoad) report(t *testing.T) {
	t.Helper()
	t.Logf("%d deliveries: answers by status %s; broken connections %d; after the fault: %s",
		l.n, l.statusCounts(), l.broken.Load(), l.window())
}

func (l *clusterLoad) bad() {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.markAt.IsZero() {
		return
	}
	if l.firstBad.IsZero() {
		l.firstBad = now
	}
	l.lastBad = now
	l.badAfter++
}

// window describes the failed answers after the fault.
func (l *clusterLoad) window() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.firstBad.IsZero() {
		return "no failed answer"
	}
	return fmt.Sprintf("%d failed attempts (503 or broken), from %s to %s after it; next 2xx at %s",
		l.badAfter, l.firstBad.Sub(l.markAt).Round(time.Millisecond), l.lastBad.Sub(l.markAt).Round(time.Millisecond),
		l.firstGood.Sub(l.markAt).Round(time.Millisecond))
}

func (l *clusterLoad) statusCounts() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	codes := make([]int, 0, len(l.status))
	for c := range l.status {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var b bytes.Buffer
	for _, c := range codes {
		fmt.Fprintf(&b, "%d:%d ", c, l.status[c])
	}
	return b.String()
}

// waitDone waits until at least k deliveries got their 2xx, or the load
// ended (its error, if any, is put back for the caller).
func (l *clusterLoad) waitDone(t *testing.T, k int, result chan error) {
	t.Helper()
	var loadErr error
	natstest.CheckFor(t, 30*time.Second, 5*time.Millisecond, func() error {
		select {
		case err := <-result: // the load ended: put its error back for the caller
			result <- err
			loadErr = err
			return nil
		default:
		}
		if d := l.done.Load(); d < int64(k) {
			return fmt.Errorf("only %d of %d deliveries done", d, k)
		}
		return nil
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
}

// checkClusterExactlyOnce reads the whole EVENTS stream: exactly one event
// per delivery, no idempotency key twice, and each 2xx answer's event id
// is the stored event of its key.
func checkClusterExactlyOnce(t *testing.T, js jetstream.JetStream, l *clusterLoad) {
	t.Helper()
	msgs := natstest.StreamMessages(t, js, "EVENTS")
	stored := map[string]string{} // idempotency key -> event id
	for _, m := range msgs {
		var ev struct{ ID, IdempotencyKey string }
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		if _, twice := stored[ev.IdempotencyKey]; twice {
			t.Errorf("idempotency key %s stored twice", ev.IdempotencyKey)
		}
		stored[ev.IdempotencyKey] = ev.ID
	}
	if len(msgs) != l.n || len(stored) != l.n {
		t.Errorf("EVENTS holds %d events with %d distinct keys, want exactly %d", len(msgs), len(stored), l.n)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.answered) != l.n {
		t.Errorf("%d deliveries answered 2xx, want %d", len(l.answered), l.n)
	}
	for i, a := range l.answered {
		if got, ok := stored[a.key]; !ok || got != a.id {
			t.Errorf("delivery %d was answered 2xx with event %s (key %s); the stream holds %q for that key", i, a.id, a.key, got)
		}
	}
}

func streamInfo(t *testing.T, js jetstream.JetStream, name string) *jetstream.StreamInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	return info
}
