package subscriber

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// Many workers draining lanes fed by one pusher: each key's deliveries
// come out in push order, never two of one key at once, none lost.
func TestLanesKeepOrderPerKeyAndExclusivity(t *testing.T) {
	ls := newLanes()
	const keys, perKey, workers = 10, 200, 6
	var (
		mu     sync.Mutex
		active = map[string]bool{}
		got    = map[string][]uint64{}
		wg     sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				l, d, ok := ls.next()
				if !ok {
					return
				}
				mu.Lock()
				if active[l.key] {
					t.Errorf("lane %s held by two workers", l.key)
				}
				active[l.key] = true
				mu.Unlock()
				if rand.IntN(4) == 0 {
					for range 100 { // a slow delivery now and then
						_ = fmt.Sprint(d.seq)
					}
				}
				mu.Lock()
				active[l.key] = false
				got[l.key] = append(got[l.key], d.seq)
				mu.Unlock()
				ls.finish(l, d)
			}
		})
	}
	for i := range keys * perKey {
		ls.push(fmt.Sprint("k", rand.IntN(keys)), &delivery{seq: uint64(i)})
	}
	for {
		ls.mu.Lock()
		n := len(ls.held)
		ls.mu.Unlock()
		if n == 0 {
			break
		}
		runtime.Gosched()
	}
	ls.close()
	wg.Wait()
	total := 0
	for k, seqs := range got {
		total += len(seqs)
		for i := 1; i < len(seqs); i++ {
			if seqs[i] <= seqs[i-1] {
				t.Fatalf("lane %s: %d after %d", k, seqs[i], seqs[i-1])
			}
		}
	}
	if total != keys*perKey {
		t.Errorf("%d deliveries came out, %d went in", total, keys*perKey)
	}
}
