package ingest

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/bridge-dev/bridge/internal/jsonx"
)

// BodyPresize is the most a body's buffer is given before its bytes
// arrive. A declared Content-Length is only a promise: a client declaring
// a megabyte and sending one byte gets a buffer of at most this size,
// which then grows as bytes arrive.
const BodyPresize = 4 << 10

// ErrOverBudget is returned by BodyBudget.ReadBody when the bodies already
// in memory leave no room for this one's next bytes: answer 503 with
// Retry-After.
var ErrOverBudget = errors.New("request bodies in memory are at the limit")

// BodyBudget bounds the memory that request bodies hold at once, across
// every request that reads through it. A body is charged what its buffer
// holds (its capacity), as the buffer is made and each time it grows, not
// what the client declares: a client that declares a large body and sends
// it slowly holds at most BodyPresize of the budget until its bytes come.
// The charge stays until the caller releases it, after it is done with
// the body. A nil *BodyBudget charges nothing and refuses nothing.
type BodyBudget struct {
	limit int64
	used  atomic.Int64
}

// NewBodyBudget returns a budget of limit bytes; limit must be > 0.
func NewBodyBudget(limit int64) (*BodyBudget, error) {
	if limit <= 0 {
		return nil, errors.New("body budget: limit must be > 0")
	}
	return &BodyBudget{limit: limit}, nil
}

// Limit is the budget in bytes; 0 for a nil budget (no limit).
func (b *BodyBudget) Limit() int64 {
	if b == nil {
		return 0
	}
	return b.limit
}

// InFlight is the number of bytes charged now.
func (b *BodyBudget) InFlight() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

// reserve charges n bytes if they fit.
func (b *BodyBudget) reserve(n int64) bool {
	if b == nil {
		return true
	}
	for {
		used := b.used.Load()
		if used+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

func (b *BodyBudget) free(n int64) {
	if b != nil && n != 0 {
		b.used.Add(-n)
	}
}

// DecodedValueCost is what a body is charged per JSON value it decodes to
// (jsonx.Values), beside its bytes: a decoded tree costs memory
// with its values, and a small body can hold many (`[{},{},...]`).
const DecodedValueCost = 256

// treeCharge is what the decoded payload of body is charged beside it:
// DecodedValueCost per JSON value, but never more than the budget leaves
// beside the largest body, so that a delivery the limits take is always
// served when it is alone, however many values it has.
func treeCharge(b *BodyBudget, bodyLimit int64, body []byte) int64 {
	return min(int64(jsonx.Values(body))*DecodedValueCost, b.Limit()-bodyLimit)
}

// Charge charges n more bytes if they fit, for memory a request holds
// beside its body (its decoded payload); ok is false, and nothing is
// charged, when they do not. release gives them back; it is never nil and
// safe to call twice.
func (b *BodyBudget) Charge(n int64) (release func(), ok bool) {
	if n <= 0 || !b.reserve(n) {
		return func() {}, n <= 0
	}
	var once sync.Once
	return func() { once.Do(func() { b.free(n) }) }, true
}

// ReadBody reads the whole body of r, at most limit bytes, charging its
// buffer to b. It returns the body and a release func that gives the
// charge back; call release once the body is no longer used (a deferred
// call right after ReadBody), whatever the error: it is never nil and safe
// to call twice.
//
// A body longer than limit, declared or found while reading, is an
// *http.MaxBytesError, before anything is read when declared; a body that
// does not fit in the budget is ErrOverBudget, before anything is read
// when the first buffer does not fit, else when the buffer would grow.
// With a Content-Length the buffer is at most BodyPresize to begin with
// and never grows beyond the declared length (plus one byte to see the
// end); without one, it starts at BodyPresize and doubles as needed.
func (b *BodyBudget) ReadBody(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, release func(), err error) {
	var charged atomic.Int64
	release = func() { b.free(charged.Swap(0)) }
	if r.ContentLength > limit {
		return nil, release, &http.MaxBytesError{Limit: limit}
	}
	// The most the buffer may need: the declared length, or the limit, and
	// one byte more so that the read meeting the end needs no growth.
	most := limit + 1
	if r.ContentLength >= 0 {
		most = r.ContentLength + 1
	}
	size := min(most, BodyPresize)
	if !b.reserve(size) {
		return nil, release, ErrOverBudget
	}
	charged.Store(size)
	buf := make([]byte, 0, size)
	src := http.MaxBytesReader(w, r.Body, limit)
	for {
		if len(buf) == cap(buf) {
			// Up to the declared length at most; a body longer than it
			// declared (only a reader outside net/http lets one through)
			// grows towards the limit.
			c, target := int64(cap(buf)), most
			if c >= most {
				target = limit + 1
			}
			grown := max(min(2*c, target), c+1)
			if !b.reserve(grown - c) {
				return buf, release, ErrOverBudget
			}
			charged.Add(grown - c)
			next := make([]byte, len(buf), grown)
			copy(next, buf)
			buf = next
		}
		n, err := src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, release, nil
		}
		if err != nil {
			return buf, release, err
		}
	}
}
