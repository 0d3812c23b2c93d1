package backfill

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/bridge-dev/bridge/internal/retry"
)

// Defaults of Options.
const (
	DefaultMaxPageBytes  = 16 << 20
	DefaultMaxPages      = 10_000
	DefaultAttempts      = 8
	DefaultMaxRetryAfter = time.Minute
	DefaultTimeout       = 30 * time.Second
)

// DefaultBackoff is the wait between attempts at a page when the answer
// gives no Retry-After.
var DefaultBackoff = retry.Policy{Initial: 500 * time.Millisecond, Max: 15 * time.Second, Jitter: retry.Equal}

// ErrLoop is wrapped by Run when backfill.next names a page already read.
var ErrLoop = errors.New("backfill.next repeats a page")

// ErrTooManyPages is wrapped by Run when the list goes on past MaxPages.
var ErrTooManyPages = errors.New("too many pages")

// HTTPError is a list API's answer that no retry fixes (or that is still
// retryable after the last attempt).
type HTTPError struct {
	Status int
	Body   string // the start of the answer, for the operator
}

func (e *HTTPError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body)
}

// fetcher reads one page at a time.
type fetcher struct {
	o      *Options
	base   *url.URL
	header http.Header // the credentials and Accept
}

// page GETs the page of query and decodes it, trying again on 429, 5xx
// and transport errors (Retry-After honoured, capped).
func (f *fetcher) page(ctx context.Context, query url.Values) (any, error) {
	u := *f.base
	u.RawQuery = query.Encode()
	bo := f.o.Backoff.Backoff()
	var last error
	for attempt := 1; ; attempt++ {
		page, wait, err := f.once(ctx, u.String())
		if err == nil {
			return page, nil
		}
		last = err
		if wait < 0 || attempt >= f.o.Attempts {
			break
		}
		if wait == 0 {
			wait = bo.Next()
		}
		wait = min(wait, f.o.MaxRetryAfter)
		f.o.Logger.Info("list API answer retried", "url", redactURL(&u), "attempt", attempt, "wait", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (last answer: %w)", context.Cause(ctx), last)
		case <-t.C:
		}
	}
	return nil, fmt.Errorf("GET %s: %w", redactURL(&u), last)
}

// once makes one request. wait is how long to wait before another
// attempt: -1 none (the error is final), 0 the backoff's, else the
// answer's Retry-After.
func (f *fetcher) once(ctx context.Context, u string) (page any, wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, -1, err
	}
	for k, v := range f.header {
		req.Header[k] = v
	}
	resp, err := f.o.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, -1, err
		}
		return nil, 0, stripURL(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.o.MaxPageBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return nil, retryAfter(resp.Header.Get("Retry-After"), time.Now()), &HTTPError{Status: resp.StatusCode, Body: f.redact(snippet(body))}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, -1, &HTTPError{Status: resp.StatusCode, Body: f.redact(snippet(body))}
	}
	if int64(len(body)) > f.o.MaxPageBytes {
		return nil, -1, fmt.Errorf("the page is larger than %d bytes (--max-page-bytes)", f.o.MaxPageBytes)
	}
	page, err = jsonx.Decode(body)
	if err != nil {
		return nil, -1, fmt.Errorf("the page is not JSON: %w", err)
	}
	return page, -1, nil
}

// redact replaces in s what the request's credentials hold (the header
// values, a bearer token, a basic password): a list API may echo the key
// it refused in its error body, which the operator is then shown.
func (f *fetcher) redact(s string) string {
	for name, values := range f.header {
		if strings.EqualFold(name, "Accept") {
			continue
		}
		for _, v := range values {
			parts := []string{v}
			if scheme, cred, ok := strings.Cut(v, " "); ok {
				parts = append(parts, cred)
				if strings.EqualFold(scheme, "Basic") {
					if b, err := base64.StdEncoding.DecodeString(cred); err == nil {
						if _, pass, ok := strings.Cut(string(b), ":"); ok {
							parts = append(parts, pass)
						}
					}
				}
			}
			for _, p := range parts {
				if len(p) >= 4 {
					s = strings.ReplaceAll(s, p, "[redacted]")
				}
			}
		}
	}
	return s
}

// retryAfter reads a Retry-After value, seconds or an HTTP date; 0 when
// there is none or it cannot be read (the backoff's wait then).
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s <= 0 {
			return time.Millisecond // "0": at once, but not a busy loop
		}
		s = min(s, 1<<31) // a Duration holds 292 years; the caller caps the wait anyway
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
		return time.Millisecond
	}
	return 0
}

// snippet is the start of an answer's body, one line, for an error.
func snippet(b []byte) string {
	const n = 200
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

// redactURL is u without user info (never credentials in a log line).
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// stripURL keeps a transport error's cause and operation but not its URL,
// which the caller names itself.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
