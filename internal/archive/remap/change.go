package remap

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/bridge-dev/bridge/internal/eventlog"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/transform"
)

// change is a Change with the key of the event built now, to find it again.
type change struct {
	Change
	origKey string
}

func stripOrig(cs []change) []Change {
	out := make([]Change, len(cs))
	for i, c := range cs {
		out[i] = c.Change
	}
	return out
}

// volatile are the attributes that differ between two builds of one event
// without it being different: its id (a new UUID v7 each time), the trace
// context of the run, and the reissue's own marks.
var volatile = map[string]bool{"id": true, transform.ExtTraceParent: true, transform.ExtTraceState: true,
	transform.ExtSupersedes: true}

// changes pairs the events built now with the stored ones (by idempotency
// key, else by position) and returns those that differ, with their diffs.
// A stored event that is no longer in the stream (past its max age) cannot
// be compared and is left alone.
func (r *Remapper) changes(ctx context.Context, events []transform.Event, stored []pipeline.EventRef) ([]change, error) {
	byKey := map[string]pipeline.EventRef{}
	for _, s := range stored {
		byKey[s.IdempotencyKey] = s
	}
	var out []change
	for i, ev := range events {
		old, ok := byKey[ev.IdempotencyKey.String()]
		if !ok && i < len(stored) {
			old, ok = stored[i], true
		}
		if !ok || old.ID == "" {
			continue
		}
		got, err := r.Events.Get(ctx, old.ID)
		if errors.Is(err, eventlog.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read stored event %s: %w", old.ID, err)
		}
		diff, err := Diff(got.Raw, ev.JSON)
		if err != nil {
			return nil, fmt.Errorf("compare with stored event %s: %w", old.ID, err)
		}
		if len(diff) == 0 {
			continue
		}
		fixed, err := corrected(ev, old.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, change{Change{Supersedes: old.ID, Type: ev.Type, Key: fixed.IdempotencyKey.String(), Diff: diff},
			ev.IdempotencyKey.String()})
	}
	return out, nil
}

// corrected is ev as a reissue stores it: under the key uuid5(ev's key,
// sha256 of ev without its volatile attributes and key), so that the same
// correction made again has the same key, and with the extension
// supersedes = oldID.
func corrected(ev transform.Event, oldID string) (transform.Event, error) {
	doc, err := decode(ev.JSON)
	if err != nil {
		return ev, fmt.Errorf("event %s: %w", ev.ID, err)
	}
	content := map[string]any{}
	for k, v := range doc {
		if !volatile[k] && k != transform.ExtIdempotencyKey {
			content[k] = v
		}
	}
	canon, err := json.Marshal(content) // map keys sorted: canonical
	if err != nil {
		return ev, err
	}
	digest := sha256.Sum256(canon)
	key := uuid.NewSHA1(ev.IdempotencyKey, digest[:])
	doc[transform.ExtIdempotencyKey] = key.String()
	doc[transform.ExtSupersedes] = oldID
	b, err := json.Marshal(doc)
	if err != nil {
		return ev, err
	}
	if len(b) >= transform.MaxEventSize {
		return ev, fmt.Errorf("event %s: with %s it is %d bytes, the profile's limit is %d", ev.ID, transform.ExtSupersedes, len(b), transform.MaxEventSize)
	}
	ev.IdempotencyKey, ev.JSON = key, b
	return ev, nil
}

func decode(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // numbers compare and are written back as they were
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// Diff compares two structured-mode CloudEvents, their volatile attributes
// aside, and returns one line per difference, sorted by path:
// "- path: old value" for what the old one has and the new one has not (or
// differently), "+ path: new value" for the new one's.
func Diff(old, new []byte) ([]string, error) {
	a, err := decode(old)
	if err != nil {
		return nil, err
	}
	b, err := decode(new)
	if err != nil {
		return nil, err
	}
	fa, fb := map[string]string{}, map[string]string{}
	for k, v := range a {
		if !volatile[k] {
			flatten(k, v, fa)
		}
	}
	for k, v := range b {
		if !volatile[k] {
			flatten(k, v, fb)
		}
	}
	paths := map[string]bool{}
	for p := range fa {
		paths[p] = true
	}
	for p := range fb {
		paths[p] = true
	}
	sorted := make([]string, 0, len(paths))
	for p := range paths {
		sorted = append(sorted, p)
	}
	sort.Strings(sorted)
	var out []string
	for _, p := range sorted {
		va, ina := fa[p]
		vb, inb := fb[p]
		if ina && inb && va == vb {
			continue
		}
		if ina {
			out = append(out, "- "+p+": "+va)
		}
		if inb {
			out = append(out, "+ "+p+": "+vb)
		}
	}
	return out, nil
}

// flatten writes v's leaves under path: objects by key, lists by index.
func flatten(path string, v any, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			out[path] = "{}"
		}
		for k, x := range v {
			flatten(path+"."+k, x, out)
		}
	case []any:
		if len(v) == 0 {
			out[path] = "[]"
		}
		for i, x := range v {
			flatten(fmt.Sprintf("%s[%d]", path, i), x, out)
		}
	default:
		b, _ := json.Marshal(v)
		out[path] = strings.TrimSpace(string(b))
	}
}
