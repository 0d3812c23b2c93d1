package natstest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// TestClusterLosesAndRegainsTheStreamLeader: an R3 stream keeps taking
// writes when its leader's node stops, and the node, restarted on the same
// ports and store, catches up until the three replicas agree.
func TestClusterLosesAndRegainsTheStreamLeader(t *testing.T) {
	c := StartCluster(t, 3)
	if c.Size() != 3 || len(c.URLs()) != 3 || strings.Count(c.URL(), ",") != 2 {
		t.Fatalf("size %d, URLs %v, URL %q", c.Size(), c.URLs(), c.URL())
	}
	for i := range 3 {
		if n := c.Node(i); n.Name() != fmt.Sprintf("n%d", i+1) || !n.Running() || n.Server().Name() != n.Name() {
			t.Fatalf("node %d: name %q, running %v", i, n.Name(), n.Running())
		}
	}
	urls := c.URLs()
	_, js := Connect(t, c.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: jetstream.FileStorage, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	publish := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			for {
				// Each attempt has its own deadline: a request lost while the
				// connection moves to another node is never answered.
				pctx, pcancel := context.WithTimeout(ctx, time.Second)
				_, err := js.Publish(pctx, "t.x", fmt.Appendf(nil, "%d", i), jetstream.WithMsgID(fmt.Sprint(i)))
				pcancel()
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("publish %d: %v", i, errors.Join(err, ctx.Err()))
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	publish(0, 50)

	leader := c.StreamLeader(t, "T")
	info, err := js.Stream(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	if got := info.CachedInfo().Cluster.Leader; got != c.Node(leader).Name() {
		t.Fatalf("StreamLeader says %s, StreamInfo says %s", c.Node(leader).Name(), got)
	}
	c.StopNode(t, leader)
	c.StopNode(t, leader) // a no-op
	if c.Node(leader).Running() || c.Node(leader).Server() != nil {
		t.Fatal("stopped node still running")
	}
	publish(50, 100) // the two others elect a new leader and store these
	if l := c.StreamLeader(t, "T"); l == leader {
		t.Fatalf("the stopped node %d still leads", leader)
	}
	if states := c.StreamStates(t, "T"); len(states) != 2 {
		t.Fatalf("states of the running nodes: %v", states)
	}

	c.RestartNode(t, leader)
	if got := c.URLs(); fmt.Sprint(got) != fmt.Sprint(urls) {
		t.Fatalf("URLs changed across restart: %v -> %v", urls, got)
	}
	st := c.WaitStreamInSync(t, "T", 3, 20*time.Second)
	if st.Msgs != 100 || st.FirstSeq != 1 || st.LastSeq != 100 {
		t.Fatalf("state after the restart: %v, want 100 messages 1..100", st)
	}
}

// TestClusterKillNode: a crashed stream leader hands nothing over; the two
// others elect a new leader by themselves and store again, and the node,
// restarted, catches up.
func TestClusterKillNode(t *testing.T) {
	c := StartCluster(t, 3)
	_, js := Connect(t, c.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: jetstream.FileStorage, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "t.x", []byte("before")); err != nil {
		t.Fatal(err)
	}
	leader := c.StreamLeader(t, "T")
	killed := time.Now()
	c.KillNode(t, leader)
	failures := 0
	for {
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		_, err := js.Publish(pctx, "t.x", []byte("after"), jetstream.WithMsgID("after"))
		pcancel()
		if err == nil {
			break
		}
		failures++
		if ctx.Err() != nil {
			t.Fatalf("no publish after the kill: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("stored again %s after the kill, %d failed publishes", time.Since(killed).Round(time.Millisecond), failures)
	if l := c.StreamLeader(t, "T"); l == leader {
		t.Fatalf("the killed node %d still leads", l)
	}
	c.RestartNode(t, leader)
	if st := c.WaitStreamInSync(t, "T", 3, 20*time.Second); st.Msgs != 2 {
		t.Fatalf("state after the restart: %v, want 2 messages", st)
	}
}

// TestClusterIsolate: a node cut off from the others keeps its clients but
// cannot store (the minority side); the majority stores; once healed the
// node catches up.
func TestClusterIsolate(t *testing.T) {
	c := StartCluster(t, 3)
	_, js := Connect(t, c.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: jetstream.FileStorage, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	leader := c.StreamLeader(t, "T")
	minority := (leader + 1) % 3 // a follower: the leader keeps its quorum
	ncMinority, jsMinority := Connect(t, c.Node(minority).URL())
	if _, err := jsMinority.Publish(ctx, "t.x", []byte("1")); err != nil {
		t.Fatalf("publish through %s before the partition: %v", c.Node(minority).Name(), err)
	}
	c.Isolate(t, minority)
	if !c.Node(minority).Running() {
		t.Fatal("an isolated node must keep running")
	}
	pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
	_, err := jsMinority.Publish(pctx, "t.x", []byte("lost"))
	pcancel()
	if err == nil {
		t.Fatal("the isolated node stored a message")
	}
	if ncMinority.ConnectedUrl() != c.Node(minority).URL() {
		t.Fatalf("the client left the isolated node for %s", ncMinority.ConnectedUrl())
	}
	_, jsLeader := Connect(t, c.Node(leader).URL())
	if _, err := jsLeader.Publish(ctx, "t.x", []byte("2")); err != nil {
		t.Fatalf("publish on the majority side: %v", err)
	}
	c.Heal(t, minority)
	if st := c.WaitStreamInSync(t, "T", 3, 20*time.Second); st.Msgs != 2 {
		t.Fatalf("state after healing: %v, want 2 messages", st)
	}
}
