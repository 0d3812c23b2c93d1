package ingest

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/bridge-dev/bridge/internal/metrics"
	"github.com/bridge-dev/bridge/internal/problem"
)

// RateLimit bounds the webhook deliveries of each provider: a token bucket
// per provider that refills at PerSecond tokens a second and holds at most
// Burst. The zero value (PerSecond 0) is no limit.
type RateLimit struct {
	PerSecond float64 // average deliveries a second per provider; 0: no limit
	Burst     int     // most deliveries at once; at least 1 when PerSecond > 0
}

func (l RateLimit) validate() error {
	switch {
	case l.PerSecond < 0 || math.IsNaN(l.PerSecond) || math.IsInf(l.PerSecond, 0):
		return fmt.Errorf("webhook: rate limit must be 0 (none) or a rate greater than 0, got %v", l.PerSecond)
	case l.PerSecond > 0 && l.Burst < 1:
		return fmt.Errorf("webhook: rate burst must be at least 1, got %d", l.Burst)
	}
	return nil
}

// limiters holds one rate.Limiter per provider, made at the provider's
// first delivery. Only providers that have a mapping file get one (the
// lookup comes first), so there are at most as many as the mapping sets
// have named since the start; requests for every other provider share
// one more, unknown, so that a flood of them stays as bounded as one
// provider's.
type limiters struct {
	limit rate.Limit
	burst int

	unknown *rate.Limiter

	mu         sync.Mutex
	byProvider map[string]*rate.Limiter
}

// newLimiters returns nil, which allows everything, when l is no limit.
func newLimiters(l RateLimit) *limiters {
	if l.PerSecond == 0 {
		return nil
	}
	return &limiters{limit: rate.Limit(l.PerSecond), burst: l.Burst, byProvider: make(map[string]*rate.Limiter),
		unknown: rate.NewLimiter(rate.Limit(l.PerSecond), l.Burst)}
}

// allow takes a token of provider's bucket at now, or reports how long
// until one is there; it never blocks.
func (ls *limiters) allow(provider string, now time.Time) (ok bool, retryAfter time.Duration) {
	if ls == nil {
		return true, 0
	}
	ls.mu.Lock()
	lim, found := ls.byProvider[provider]
	if !found {
		lim = rate.NewLimiter(ls.limit, ls.burst)
		ls.byProvider[provider] = lim
	}
	ls.mu.Unlock()
	return take(lim, now)
}

// allowUnknown takes a token of the bucket that requests for providers
// without a mapping share, as allow does.
func (ls *limiters) allowUnknown(now time.Time) (ok bool, retryAfter time.Duration) {
	if ls == nil {
		return true, 0
	}
	return take(ls.unknown, now)
}

// take takes a token of lim at now, or gives it back and says how long
// until one is there.
func take(lim *rate.Limiter, now time.Time) (ok bool, retryAfter time.Duration) {
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second // burst < 1; validate rules it out
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // give the token back: this delivery is refused, not queued
		return false, d
	}
	return true, 0
}

// rateLimited answers 429 with Retry-After (whole seconds, rounded up) to
// a delivery over its provider's limit, counts it and logs it as reject
// does. known is false for a provider without a mapping, counted under
// metrics.UnknownProvider and limited by the bucket those share.
func (wh *Webhook) rateLimited(w http.ResponseWriter, r *http.Request, provider string, known bool, received time.Time, retryAfter time.Duration) {
	secs := max(int64(math.Ceil(retryAfter.Seconds())), 1)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	who, label := "provider "+strconv.Quote(provider)+" is over its limit", provider
	if !known {
		who, label = "requests for providers without a mapping are over their shared limit", metrics.UnknownProvider
	}
	wh.reject(w, r, label, received, "rate_limited", "rate-limited", problem.Problem{Status: http.StatusTooManyRequests, Title: "Rate limited",
		Detail: who + " of " + strconv.FormatFloat(wh.cfg.RateLimit.PerSecond, 'g', -1, 64) + " deliveries a second (burst " +
			strconv.Itoa(wh.cfg.RateLimit.Burst) + "); retry after " + strconv.FormatInt(secs, 10) + "s",
		Ext: members(provider, "")})
}
