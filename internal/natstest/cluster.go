package natstest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

const (
	// clusterName is the cluster (routes) name of every StartCluster.
	clusterName = "natstest"
	// formTimeout bounds how long StartCluster waits for JetStream's meta
	// leader, and the helpers below for a stream to settle.
	formTimeout = 30 * time.Second
	// clusterStartAttempts: StartCluster picks its route ports before it
	// starts the nodes; if another process takes one meanwhile, it starts
	// over with new ports.
	clusterStartAttempts = 3
)

// Cluster is an in-process nats-server cluster with JetStream, owned by one
// test: every node listens for clients and for routes on 127.0.0.1 random
// ports, routes to every other node, and stores under its own t.TempDir().
// Nodes are named n1, n2, ... and indexed from 0 (Node(0) is n1).
//
// Each route goes through a small TCP relay of the cluster's, one per
// ordered pair of nodes, so that a test can cut a node off from the others
// (Isolate, KillNode) as a crash or a network partition would, instead of
// the orderly shutdown of StopNode.
type Cluster struct {
	nodes      []*Node
	relays     map[[2]int]*relay // [from, to] -> the relay from's route to to dials
	blackholes []net.Listener    // each node's advertised route address: see tryStartCluster
}

// Node is one server of a Cluster. Its ports and store directory stay the
// same across StopNode and RestartNode.
type Node struct {
	name        string
	storeDir    string
	clientPort  int // -1 (random) until the first start
	clusterPort int
	routes      []*url.URL // itself, then a relay to each other node
	advertise   string     // host:port others are told to dial: a listener that hangs up
	log         *ringLog

	mu  sync.Mutex
	srv *server.Server // nil while stopped
}

// StartCluster starts an n-node cluster (n at least 1; JetStream needs 3
// for R3 streams) and waits until JetStream has a meta leader that knows
// every node as a peer, and every node is current with it (see
// WaitMetaLeader). t.Cleanup stops every node; if the test failed, the
// tail of each node's log (debug lines and route churn left out) is
// printed.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("natstest: cluster of %d nodes", n)
	}
	var errs []error
	for range clusterStartAttempts {
		c, err := tryStartCluster(t, n)
		if err == nil {
			t.Cleanup(func() {
				if t.Failed() {
					for _, nd := range c.nodes {
						t.Logf("natstest: last log lines of %s:\n%s", nd.name, nd.log.String())
					}
				}
				c.stopAll(t)
				c.closeNetwork()
			})
			if err := c.waitMetaLeader(formTimeout); err != nil {
				t.Fatalf("natstest: %v", err)
			}
			return c
		}
		errs = append(errs, err)
		if !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	t.Fatalf("natstest: start cluster: %v", errors.Join(errs...))
	return nil
}

func tryStartCluster(t testing.TB, n int) (_ *Cluster, err error) {
	ports, err := freePorts(n)
	if err != nil {
		return nil, err
	}
	c := &Cluster{relays: map[[2]int]*relay{}}
	defer func() {
		if err != nil {
			c.stopAll(t)
			c.closeNetwork()
		}
	}()
	// Implicit routes (dialled to the address a node advertises, when
	// gossip names a node not yet connected) would bypass the relays: every
	// node advertises a listener of its own that hangs up at once, so only
	// the configured routes, through the relays, ever connect.
	blackhole := func() (string, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		c.blackholes = append(c.blackholes, ln)
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				conn.Close()
			}
		}()
		return ln.Addr().String(), nil
	}
	hostPort := func(p int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p)) }
	for i := range n {
		advertise, err := blackhole()
		if err != nil {
			return nil, err
		}
		nd := &Node{
			name:        fmt.Sprintf("n%d", i+1),
			storeDir:    t.TempDir(),
			clientPort:  -1,
			clusterPort: ports[i],
			advertise:   advertise,
			log:         newRingLog(400),
		}
		// Itself first: JetStream counts the configured routes to size the
		// meta group, so a node lists all n.
		nd.routes = append(nd.routes, &url.URL{Scheme: "nats-route", Host: hostPort(ports[i])})
		for j := range n {
			if j == i {
				continue
			}
			r, err := newRelay(hostPort(ports[j]))
			if err != nil {
				return nil, err
			}
			c.relays[[2]int{i, j}] = r
			nd.routes = append(nd.routes, &url.URL{Scheme: "nats-route", Host: r.addr()})
		}
		c.nodes = append(c.nodes, nd)
	}
	for _, nd := range c.nodes {
		if err := nd.start(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// closeNetwork closes every relay and blackhole.
func (c *Cluster) closeNetwork() {
	for _, r := range c.relays {
		r.close()
	}
	for _, ln := range c.blackholes {
		ln.Close()
	}
}

// freePorts returns n distinct ports that were free on 127.0.0.1 a moment
// ago: all are held open at once, then released.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a route port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// start runs the node's server and waits until it accepts clients and
// routes. The first start takes a random client port and keeps it.
func (nd *Node) start() error {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.srv != nil {
		return nil
	}
	// nats-server only logs a port it cannot bind; trying first gives a
	// plain error (errors.Is syscall.EADDRINUSE).
	for _, p := range []int{nd.clientPort, nd.clusterPort} {
		if p <= 0 {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			return fmt.Errorf("%s: %w", nd.name, err)
		}
		l.Close()
	}
	opts := &server.Options{
		ServerName: nd.name,
		Host:       "127.0.0.1",
		Port:       nd.clientPort,
		JetStream:  true,
		StoreDir:   nd.storeDir,
		NoSigs:     true,
		Cluster: server.ClusterOpts{
			Name:      clusterName,
			Host:      "127.0.0.1",
			Port:      nd.clusterPort,
			Advertise: nd.advertise,
		},
		Routes: nd.routes,
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("%s: %w", nd.name, err)
	}
	nd.log.reset()
	ns.SetLoggerV2(nd.log, false, false, false)
	go ns.Start()
	ready := ns.ReadyForConnections(startTimeout)
	if msg := nd.log.fatalMsg(); msg != "" || !ready {
		ns.Shutdown()
		ns.WaitForShutdown()
		if msg == "" {
			msg = "not ready for connections after " + startTimeout.String()
		}
		err := fmt.Errorf("%s: %s", nd.name, msg)
		if strings.Contains(msg, "address already in use") {
			err = fmt.Errorf("%w: %w", err, syscall.EADDRINUSE)
		}
		return err
	}
	addr, ok := ns.Addr().(*net.TCPAddr)
	if !ok {
		ns.Shutdown()
		ns.WaitForShutdown()
		return fmt.Errorf("%s: no client listener", nd.name)
	}
	if nd.clientPort <= 0 {
		nd.clientPort = addr.Port // kept for every restart
	}
	nd.srv = ns
	return nil
}

// stop shuts the node's server down and waits until it has stopped, at
// most startTimeout. Stopping a stopped node is a no-op.
func (nd *Node) stop() error {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.srv == nil {
		return nil
	}
	ns := nd.srv
	nd.srv = nil
	done := make(chan struct{})
	go func() {
		ns.Shutdown()
		ns.WaitForShutdown()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(startTimeout):
		return fmt.Errorf("%s: not stopped after %s", nd.name, startTimeout)
	}
}

func (c *Cluster) stopAll(t testing.TB) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(c.nodes))
	for i, nd := range c.nodes {
		wg.Go(func() { errs[i] = nd.stop() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Errorf("natstest: %v", err)
	}
}

// Size is the number of nodes, running or not.
func (c *Cluster) Size() int { return len(c.nodes) }

// URLs returns every node's client URL, nats://127.0.0.1:<port>, in node
// order. They stay the same across StopNode and RestartNode.
func (c *Cluster) URLs() []string {
	urls := make([]string, len(c.nodes))
	for i, nd := range c.nodes {
		urls[i] = nd.URL()
	}
	return urls
}

// URL returns URLs joined with commas, as nats.Connect (and Connect) take
// them.
func (c *Cluster) URL() string { return strings.Join(c.URLs(), ",") }

// Node returns the i-th node (from 0; Node(0) is n1).
func (c *Cluster) Node(i int) *Node { return c.nodes[i] }

// Name is the node's server name: n1, n2, ...
func (nd *Node) Name() string { return nd.name }

// URL is the node's client URL.
func (nd *Node) URL() string {
	return "nats://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(nd.clientPort))
}

// Server returns the running server, or nil while the node is stopped.
func (nd *Node) Server() *server.Server {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.srv
}

// Running reports whether the node is started.
func (nd *Node) Running() bool { return nd.Server() != nil }

// StopNode shuts node i down (its raft leaderships step down first, as
// nats-server does on a shutdown), keeping its ports and store for
// RestartNode. Stopping a stopped node is a no-op.
func (c *Cluster) StopNode(t testing.TB, i int) {
	t.Helper()
	if err := c.nodes[i].stop(); err != nil {
		t.Fatalf("natstest: %v", err)
	}
}

// KillNode is a crash of node i: it is cut off from the other nodes
// first (its routes drop at once, as when its process dies), then shut
// down. Unlike StopNode no leadership is handed over: the others notice
// the missing leader and elect one after their election timeout (seconds).
// RestartNode brings it back. Killing a stopped node only cuts it off.
func (c *Cluster) KillNode(t testing.TB, i int) {
	t.Helper()
	c.Isolate(t, i)
	if err := c.nodes[i].stop(); err != nil {
		t.Fatalf("natstest: %v", err)
	}
}

// Isolate cuts node i off from the other nodes, as a network partition
// would: its routes drop and cannot reconnect, while it keeps running and
// serving its clients (the minority side). Heal or RestartNode reconnects
// it.
func (c *Cluster) Isolate(t testing.TB, i int) {
	t.Helper()
	for pair, r := range c.relays {
		if pair[0] == i || pair[1] == i {
			r.setCut(true)
		}
	}
}

// Heal lets node i's routes connect again after Isolate or KillNode.
func (c *Cluster) Heal(t testing.TB, i int) {
	t.Helper()
	for pair, r := range c.relays {
		if pair[0] == i || pair[1] == i {
			r.setCut(false)
		}
	}
}

// RestartNode starts node i again on the same ports and store, so it
// rejoins the cluster and catches up on what it missed (it heals its
// routes too, after KillNode or Isolate). It retries for a few seconds
// while the OS has not released a port. Restarting a running node stops
// it first.
func (c *Cluster) RestartNode(t testing.TB, i int) {
	t.Helper()
	nd := c.nodes[i]
	if err := nd.stop(); err != nil {
		t.Fatalf("natstest: %v", err)
	}
	c.Heal(t, i)
	deadline := time.Now().Add(rebindFor)
	for {
		err := nd.start()
		if err == nil {
			return
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			t.Fatalf("natstest: restart %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitMetaLeader waits until a running node is JetStream's meta leader,
// knows every running node as a peer (so it can place replicas on them),
// and every running node is current with it.
func (c *Cluster) waitMetaLeader(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		leader, current, running := false, true, 0
		peers := 0 // the running nodes the leader can place replicas on
		for _, nd := range c.nodes {
			s := nd.Server()
			if s == nil {
				continue
			}
			running++
			if s.JetStreamIsLeader() {
				leader, peers = true, len(s.JetStreamClusterPeers())
			}
			current = current && s.JetStreamIsCurrent()
		}
		if leader && current && peers >= running {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no JetStream meta leader with every running node as a peer after %s (leader %v, current %v, %d peers of %d running)",
				timeout, leader, current, peers, running)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// WaitMetaLeader waits (at most 30s) until a running node is JetStream's
// meta leader, knows every running node as a peer, and every running node
// is current with it.
func (c *Cluster) WaitMetaLeader(t testing.TB) {
	t.Helper()
	if err := c.waitMetaLeader(formTimeout); err != nil {
		t.Fatalf("natstest: %v", err)
	}
}

// StreamLeader waits (at most 30s) until a running node leads stream (of
// the global account) and returns that node's index.
func (c *Cluster) StreamLeader(t testing.TB, stream string) int {
	t.Helper()
	deadline := time.Now().Add(formTimeout)
	for {
		for i, nd := range c.nodes {
			if s := nd.Server(); s != nil && s.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
				return i
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("natstest: stream %s has no leader after %s", stream, formTimeout)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// StreamState is what one node holds of a stream, read from that node's
// own store (not from the leader).
type StreamState struct {
	Msgs, Bytes       uint64
	FirstSeq, LastSeq uint64
	NumDeleted        int
}

func (s StreamState) String() string {
	return fmt.Sprintf("msgs=%d bytes=%d seqs=%d..%d deleted=%d", s.Msgs, s.Bytes, s.FirstSeq, s.LastSeq, s.NumDeleted)
}

// StreamStates returns, for every running node that holds a replica of
// stream (of the global account), its local state, by node name.
func (c *Cluster) StreamStates(t testing.TB, stream string) map[string]StreamState {
	t.Helper()
	out := map[string]StreamState{}
	for _, nd := range c.nodes {
		s := nd.Server()
		if s == nil {
			continue
		}
		st, ok, err := localStreamState(s, stream)
		if err != nil {
			t.Fatalf("natstest: %s: %v", nd.name, err)
		}
		if ok {
			out[nd.name] = st
		}
	}
	return out
}

func localStreamState(s *server.Server, stream string) (StreamState, bool, error) {
	acc, err := s.JszAccount(&server.JSzOptions{Account: server.DEFAULT_GLOBAL_ACCOUNT, Streams: true})
	if err != nil {
		return StreamState{}, false, err
	}
	for _, sd := range acc.Streams {
		if sd.Name == stream {
			st := sd.State
			return StreamState{Msgs: st.Msgs, Bytes: st.Bytes, FirstSeq: st.FirstSeq, LastSeq: st.LastSeq, NumDeleted: st.NumDeleted}, true, nil
		}
	}
	return StreamState{}, false, nil
}

// WaitStreamInSync waits (at most timeout) until every node is running,
// each of replicas nodes holds stream, their local states are equal, and
// every replica is current with the leader; it returns that state.
// Call it after RestartNode to check that the node caught up.
func (c *Cluster) WaitStreamInSync(t testing.TB, stream string, replicas int, timeout time.Duration) StreamState {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var why string
	for {
		st, err := c.inSync(stream, replicas)
		if err == nil {
			return st
		}
		why = err.Error()
		if time.Now().After(deadline) {
			t.Fatalf("natstest: stream %s: replicas not in sync after %s: %s", stream, timeout, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *Cluster) inSync(stream string, replicas int) (StreamState, error) {
	states := map[string]StreamState{}
	for _, nd := range c.nodes {
		s := nd.Server()
		if s == nil {
			return StreamState{}, fmt.Errorf("%s is stopped", nd.name)
		}
		st, ok, err := localStreamState(s, stream)
		if err != nil {
			return StreamState{}, fmt.Errorf("%s: %w", nd.name, err)
		}
		if !ok {
			continue
		}
		if !s.JetStreamIsStreamCurrent(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return StreamState{}, fmt.Errorf("%s is not current", nd.name)
		}
		states[nd.name] = st
	}
	if len(states) != replicas {
		return StreamState{}, fmt.Errorf("%d nodes hold it, want %d: %v", len(states), replicas, states)
	}
	var first StreamState
	i := 0
	for _, st := range states {
		if i > 0 && st != first {
			return StreamState{}, fmt.Errorf("replicas differ: %v", states)
		}
		first, i = st, i+1
	}
	return first, nil
}

// ringLog keeps a node's last log lines (debug and trace dropped) and its
// first fatal message, which nats-server only logs.
type ringLog struct {
	mu    sync.Mutex
	lines []string
	next  int
	full  bool
	fatal string
}

func newRingLog(n int) *ringLog { return &ringLog{lines: make([]string, n)} }

func (r *ringLog) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fatal = ""
}

func (r *ringLog) add(level, format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	if level == "INF" && (strings.Contains(msg, "Route connection created") || strings.Contains(msg, "Router connection closed")) {
		return // one pair of lines per reconnect attempt while a node is down
	}
	line := time.Now().Format("15:04:05.000") + " " + level + " " + msg
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines[r.next] = line
	r.next = (r.next + 1) % len(r.lines)
	r.full = r.full || r.next == 0
}

func (r *ringLog) fatalMsg() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fatal
}

func (r *ringLog) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	if r.full {
		out = append(out, r.lines[r.next:]...)
	}
	out = append(out, r.lines[:r.next]...)
	return strings.Join(out, "\n")
}

func (r *ringLog) Noticef(format string, v ...any) { r.add("INF", format, v...) }
func (r *ringLog) Warnf(format string, v ...any)   { r.add("WRN", format, v...) }
func (r *ringLog) Errorf(format string, v ...any)  { r.add("ERR", format, v...) }
func (r *ringLog) Debugf(string, ...any)           {}
func (r *ringLog) Tracef(string, ...any)           {}
func (r *ringLog) Fatalf(format string, v ...any) {
	r.add("FTL", format, v...)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fatal == "" {
		r.fatal = fmt.Sprintf(format, v...)
	}
}

// relay forwards TCP connections to a target address until it is cut:
// then it drops its connections and hangs up on new ones.
type relay struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
}

func newRelay(target string) (*relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	r := &relay{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go r.accept()
	return r, nil
}

func (r *relay) addr() string { return r.ln.Addr().String() }

func (r *relay) accept() {
	for {
		in, err := r.ln.Accept()
		if err != nil {
			return
		}
		go r.forward(in)
	}
}

func (r *relay) forward(in net.Conn) {
	if !r.track(in) {
		in.Close()
		return
	}
	out, err := net.DialTimeout("tcp", r.target, time.Second)
	if err != nil || !r.track(out) {
		if out != nil {
			out.Close()
		}
		r.drop(in)
		return
	}
	done := make(chan struct{}, 2)
	pump := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pump(out, in)
	go pump(in, out)
	<-done // either side ended: end both
	r.drop(in)
	r.drop(out)
	<-done
}

// track registers conn unless the relay is cut.
func (r *relay) track(conn net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cut {
		return false
	}
	r.conns[conn] = struct{}{}
	return true
}

func (r *relay) drop(conn net.Conn) {
	r.mu.Lock()
	delete(r.conns, conn)
	r.mu.Unlock()
	conn.Close()
}

func (r *relay) setCut(cut bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cut = cut
	if cut {
		for conn := range r.conns {
			conn.Close()
			delete(r.conns, conn)
		}
	}
}

func (r *relay) close() {
	r.ln.Close()
	r.setCut(true)
}
