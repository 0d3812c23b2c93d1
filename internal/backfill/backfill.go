package backfill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"time"

	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/retry"
	"github.com/bridge-dev/bridge/internal/transform"
)

// Handler stores one delivery and returns the verdict: the pipeline
// (pipeline.Runner), or DryRun.
type Handler interface {
	Handle(ctx context.Context, m *transform.Mapping, in transform.Input) pipeline.Verdict
}

// Options of a backfill. The zero value of each field is its default.
type Options struct {
	// URL replaces the block's url (a staging API, a local fake); it is
	// checked as the block's is (transform.CheckBackfillURL).
	URL string
	// Since and Until bound the events asked for (the block's query reads
	// them); Until zero: now.
	Since, Until time.Time
	// Client makes the requests; default one with DefaultTimeout per
	// request.
	Client *http.Client
	// LookupEnv reads the credentials the block's auth names; default
	// os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// MaxPageBytes caps one page's body; default DefaultMaxPageBytes.
	MaxPageBytes int64
	// MaxPages caps the pages of one run; default DefaultMaxPages.
	MaxPages int
	// Attempts bounds the requests made for one page (429, 5xx and
	// transport errors are tried again); default DefaultAttempts.
	Attempts int
	// MaxRetryAfter caps the wait a Retry-After asks for; default
	// DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
	// Backoff gives the waits when an answer has no Retry-After; default
	// DefaultBackoff.
	Backoff retry.Policy
	// ItemTimeout bounds the storing of one item (publish retries
	// included); default DefaultTimeout.
	ItemTimeout time.Duration
	// OnItem, when set, is called with each item's result, in order.
	OnItem func(Result)
	// OnPage, when set, is called after each page with the counts so far.
	OnPage func(Report)
	// Logger logs the retried answers; nil discards.
	Logger *slog.Logger
}

// ErrInvalidOption is wrapped by New's errors.
var ErrInvalidOption = errors.New("invalid backfill option")

// withDefaults returns o with each zero field set to its default.
func (o Options) withDefaults() Options {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: DefaultTimeout}
	}
	// The requests carry the API key: a redirect is followed only to the
	// same scheme, host and port (Go would copy a custom credential header
	// to any host, and any header to an http:// downgrade).
	c := *o.Client
	c.CheckRedirect = sameOrigin
	o.Client = &c
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.MaxPageBytes == 0 {
		o.MaxPageBytes = DefaultMaxPageBytes
	}
	if o.MaxPages == 0 {
		o.MaxPages = DefaultMaxPages
	}
	if o.Attempts == 0 {
		o.Attempts = DefaultAttempts
	}
	if o.MaxRetryAfter == 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if o.Backoff.Initial == 0 {
		o.Backoff = DefaultBackoff
	}
	if o.ItemTimeout == 0 {
		o.ItemTimeout = DefaultTimeout
	}
	if o.Until.IsZero() {
		o.Until = time.Now()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// ErrRedirect is the error of a list API that redirects elsewhere.
var ErrRedirect = errors.New("redirect to another origin refused: the request carries the API key")

// sameOrigin lets a redirect through only to the first request's scheme,
// host and port, at most 10 times.
func sameOrigin(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		return fmt.Errorf("%w (%s://%s)", ErrRedirect, req.URL.Scheme, req.URL.Host)
	}
	return nil
}

// validate checks o (with its defaults) and returns every problem.
func (o Options) validate() error {
	var errs []error
	if o.MaxPageBytes < 0 || o.MaxPages < 0 || o.Attempts < 0 || o.MaxRetryAfter < 0 || o.ItemTimeout < 0 {
		errs = append(errs, fmt.Errorf("%w: a limit is negative", ErrInvalidOption))
	}
	if o.Since.IsZero() {
		errs = append(errs, fmt.Errorf("%w: since is required", ErrInvalidOption))
	} else if !o.Since.Before(o.Until) {
		errs = append(errs, fmt.Errorf("%w: since (%s) is not before until (%s)", ErrInvalidOption,
			o.Since.UTC().Format(time.RFC3339), o.Until.UTC().Format(time.RFC3339)))
	}
	if o.URL != "" {
		if err := transform.CheckBackfillURL(o.URL); err != nil {
			errs = append(errs, fmt.Errorf("%w: url: %w", ErrInvalidOption, err))
		}
	}
	return errors.Join(errs...)
}

// Result is what became of one item.
type Result struct {
	Page           int                 `json:"page"`  // from 1
	Index          int                 `json:"index"` // the item's place in its page, from 0
	Outcome        pipeline.Outcome    `json:"-"`     // written as "outcome": its name
	IdempotencyKey string              `json:"idempotencykey,omitempty"`
	Events         []pipeline.EventRef `json:"events,omitempty"`
	Rule           string              `json:"rule,omitempty"`
	Reason         string              `json:"reason,omitempty"` // DeadLettered: the dead-letter reason
	Error          string              `json:"error,omitempty"`  // DeadLettered, Failed: why
	// DeadLetterDuplicate: this item was dead-lettered by an earlier run.
	DeadLetterDuplicate bool `json:"dead_letter_duplicate,omitempty"`
}

// MarshalJSON writes r with its outcome by name ("published",
// "duplicate", "dead_lettered", ...).
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		Outcome string `json:"outcome"`
		plain
	}{r.Outcome.String(), plain(r)})
}

// Report counts the outcomes of a backfill.
type Report struct {
	Pages       int `json:"pages"`
	Items       int `json:"items"`
	Stored      int `json:"stored"`       // items whose events were stored now
	Duplicates  int `json:"duplicates"`   // items already stored (by the webhook, or an earlier backfill)
	DeadLetters int `json:"dead_letters"` // items stored in the dead letters now
	// DeadLetterDuplicates are items whose dead letter an earlier run
	// stored already.
	DeadLetterDuplicates int  `json:"dead_letter_duplicates"`
	Dropped              int  `json:"dropped"` // items a drop rule took
	DryRun               bool `json:"dry_run"`
}

// Summary is the one line a backfill ends with.
func (r Report) Summary() string {
	s := fmt.Sprintf("stored %d, duplicates %d, dead letters %d", r.Stored, r.Duplicates, r.DeadLetters)
	if r.DryRun {
		s = fmt.Sprintf("would store %d, duplicates %d, would dead-letter %d", r.Stored, r.Duplicates, r.DeadLetters)
	}
	if r.DeadLetterDuplicates > 0 {
		s += fmt.Sprintf(" (%d more already dead-lettered)", r.DeadLetterDuplicates)
	}
	if r.Dropped > 0 {
		s += fmt.Sprintf(", dropped %d", r.Dropped)
	}
	return s + fmt.Sprintf(" (%d items, %d pages)", r.Items, r.Pages)
}

// Run pages through m's list API and hands each item to h, one at a time
// in the API's order, until the block's next is nil. It stops at the first
// item h could not store (a Failed verdict: the error says why), and at a
// page that cannot be read after its retries; the report counts what was
// done. A run stopped half-way is simply run again: what it stored is a
// duplicate the second time.
func Run(ctx context.Context, m *transform.Mapping, h Handler, o Options) (Report, error) {
	rep := Report{}
	if _, dry := h.(DryRun); dry {
		rep.DryRun = true
	}
	b := m.Backfill()
	if b == nil {
		return rep, fmt.Errorf("%s has no backfill: block (the list API to read)", m.File)
	}
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return rep, err
	}
	raw := b.URL
	if o.URL != "" {
		raw = o.URL
	}
	base, err := url.Parse(raw)
	if err != nil {
		return rep, fmt.Errorf("backfill url: %w", err)
	}
	header := http.Header{"Accept": {"application/json"}}
	if err := b.Authorize(header, o.LookupEnv); err != nil {
		return rep, err
	}
	f := &fetcher{o: &o, base: base, header: header}
	query, err := b.Query(ctx, o.Since, o.Until)
	if err != nil {
		return rep, err
	}
	// The block's query is written over the URL's own parameters.
	first := base.Query()
	for k, vs := range query {
		first[k] = vs
	}
	seen := map[string]bool{}
	query = first
	for {
		if rep.Pages >= o.MaxPages {
			return rep, fmt.Errorf("%w: the list goes on past %d pages (--max-pages); narrow --since/--until", ErrTooManyPages, o.MaxPages)
		}
		seen[query.Encode()] = true
		page, err := f.page(ctx, query)
		if err != nil {
			return rep, fmt.Errorf("page %d: %w", rep.Pages+1, err)
		}
		rep.Pages++
		items, err := b.Items(ctx, page)
		if err != nil {
			return rep, fmt.Errorf("page %d: %w", rep.Pages, err)
		}
		for i, item := range items {
			res, err := deliver(ctx, m, h, o, item)
			res.Page, res.Index = rep.Pages, i
			rep.count(res)
			if o.OnItem != nil {
				o.OnItem(res)
			}
			if err != nil {
				return rep, fmt.Errorf("page %d item %d: %w", rep.Pages, i, err)
			}
		}
		if o.OnPage != nil {
			o.OnPage(rep)
		}
		next, more, err := b.Next(ctx, page)
		if err != nil {
			return rep, fmt.Errorf("page %d: %w", rep.Pages, err)
		}
		if !more {
			return rep, nil
		}
		nq := url.Values{}
		for k, vs := range query {
			nq[k] = slices.Clone(vs)
		}
		for k, v := range next {
			nq.Set(k, v)
		}
		if seen[nq.Encode()] {
			return rep, fmt.Errorf("%w: after page %d the next query is %s again", ErrLoop, rep.Pages, nq.Encode())
		}
		query = nq
	}
}

func (r *Report) count(res Result) {
	r.Items++
	switch res.Outcome {
	case pipeline.Published:
		r.Stored++
	case pipeline.Duplicate:
		r.Duplicates++
	case pipeline.DeadLettered:
		if res.DeadLetterDuplicate {
			r.DeadLetterDuplicates++
		} else {
			r.DeadLetters++
		}
	case pipeline.Dropped:
		r.Dropped++
	}
}

// deliver hands one item to h as a delivery of ingest kind backfill: its
// JSON (written again from the decoded page: keys sorted, numbers as
// written) as the body, kept for a dead letter.
func deliver(ctx context.Context, m *transform.Mapping, h Handler, o Options, item any) (Result, error) {
	body, _, err := jsonx.Marshal(item)
	if err != nil {
		return Result{Outcome: pipeline.Failed, Error: err.Error()}, fmt.Errorf("encoding the item: %w", err)
	}
	header := http.Header{"Content-Type": {transform.ContentJSON}}
	in := transform.NewInput(m.Provider, transform.IngestBackfill, body, header, time.Now().UTC())
	in.Payload = item // decoded by jsonx as a webhook's body is: the same values
	ictx, cancel := context.WithTimeout(ctx, o.ItemTimeout)
	defer cancel()
	v := h.Handle(ictx, m, in)
	res := Result{Outcome: v.Outcome, IdempotencyKey: v.IdempotencyKey, Events: v.Events, Rule: v.Rule, Reason: v.Reason,
		DeadLetterDuplicate: v.DeadLetterDuplicate}
	if v.Err != nil {
		res.Error = v.Err.Error()
	}
	if v.Outcome == pipeline.Failed {
		return res, fmt.Errorf("not stored: %w", v.Err)
	}
	return res, nil
}
