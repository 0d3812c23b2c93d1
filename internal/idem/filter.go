package idem

import (
	"sync"
	"time"

	"github.com/bits-and-blooms/bloom/v3"
	"github.com/google/uuid"
)

// keyFilter is a Bloom filter of idempotency keys, safe for concurrent use:
// mayHold false means the key is certainly not in it.
type keyFilter struct {
	capacity uint      // keys it is sized for; beyond them it is rebuilt
	born     time.Time // when it was made, for the periodic rebuild

	mu    sync.RWMutex
	bf    *bloom.BloomFilter
	count uint // distinct keys added, as far as the filter can tell
}

func newKeyFilter(capacity uint, falsePositive float64) *keyFilter {
	return &keyFilter{capacity: capacity, born: time.Now(), bf: bloom.NewWithEstimates(capacity, falsePositive)}
}

// add puts key in the filter.
func (f *keyFilter) add(key uuid.UUID) {
	f.mu.Lock()
	if !f.bf.TestOrAdd(key[:]) {
		f.count++
	}
	f.mu.Unlock()
}

// mayHold reports whether key may be in the filter.
func (f *keyFilter) mayHold(key uuid.UUID) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.bf.Test(key[:])
}

// full reports whether more keys were added than the filter is sized for,
// so that its false-positive rate is above the one it was made for.
func (f *keyFilter) full() bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.count > f.capacity
}
