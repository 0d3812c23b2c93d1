package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// reloadDebounce is how long the mappings directory must stay quiet after a
// change before the set is reloaded: an editor's save (write a temporary
// file, rename it over the old one) is several events, and one reload.
const reloadDebounce = 250 * time.Millisecond

// maxChangedNames bounds the file names a reload reports as its cause.
const maxChangedNames = 16

// k8sDataLink is the symlink a Kubernetes ConfigMap or Secret volume swaps
// atomically on an update; the *.yaml names in the volume point through it
// and see no event of their own.
const k8sDataLink = "..data"

// mappingWatcher watches the mappings directory (not its files: editors save
// by renaming a new file over the old one) and calls reload once a burst of
// changes to *.yaml / *.yml files has settled.
type mappingWatcher struct {
	fs        *fsnotify.Watcher
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// watchMappings starts watching dir. reload gets the base names of the
// files that changed (at most maxChangedNames of them).
func watchMappings(dir string, debounce time.Duration, log *slog.Logger, reload func(files []string)) (*mappingWatcher, error) {
	fs, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if err := fs.Add(dir); err != nil {
		_ = fs.Close()
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	w := &mappingWatcher{fs: fs, stop: make(chan struct{}), done: make(chan struct{})}
	go w.run(debounce, log, reload)
	return w, nil
}

func (w *mappingWatcher) run(debounce time.Duration, log *slog.Logger, reload func(files []string)) {
	defer close(w.done)
	timer := time.NewTimer(debounce)
	timer.Stop()
	defer timer.Stop()
	var changed []string
	for {
		select {
		case <-w.stop:
			return
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			if !isMappingChange(ev) {
				continue
			}
			if name := filepath.Base(ev.Name); !slices.Contains(changed, name) && len(changed) < maxChangedNames {
				changed = append(changed, name)
			}
			timer.Reset(debounce)
		case err, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			log.Warn("watching the mappings directory", "err", err)
		case <-timer.C:
			slices.Sort(changed)
			files := changed
			changed = nil
			reload(files)
		}
	}
}

// isMappingChange reports whether ev may change the mapping set: a mapping
// file (as transform.Load reads them: *.yaml or *.yml, not hidden) created,
// written, removed or renamed, or a Kubernetes volume's data link swapped.
func isMappingChange(ev fsnotify.Event) bool {
	if !ev.Has(fsnotify.Create | fsnotify.Write | fsnotify.Remove | fsnotify.Rename) {
		return false
	}
	name := filepath.Base(ev.Name)
	if name == k8sDataLink {
		return true
	}
	ext := filepath.Ext(name)
	return !strings.HasPrefix(name, ".") && (ext == ".yaml" || ext == ".yml")
}

// Close stops watching and waits, within ctx, for the watcher's goroutine
// (and a reload it may be running) to return. Safe to call twice.
func (w *mappingWatcher) Close(ctx context.Context) error {
	w.closeOnce.Do(func() {
		close(w.stop)
		w.closeErr = w.fs.Close()
	})
	select {
	case <-w.done:
		return w.closeErr
	case <-ctx.Done():
		return fmt.Errorf("mapping watcher: %w", ctx.Err())
	}
}
