// Package profiling captures Go profiles of the operator periodically
// (WebOTX's PPROF_ENABLED, PPROF_INTERVAL and PPROF_ROTATION).
//
// Every interval the Runner writes one set of three files named after the
// capture time in UTC: heap-<ts>.pprof, goroutine-<ts>.pprof and
// cpu-<ts>.pprof, in the gzipped protobuf format that `go tool pprof` reads.
// Only the newest sets are kept.
package profiling

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"sort"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// TimestampFormat is the layout of the <ts> part of a profile's file name:
// UTC, to the millisecond, so names sort in time order.
const TimestampFormat = "20060102T150405.000Z"

// maxDefaultCPUDuration caps the default CPU profile length.
const maxDefaultCPUDuration = 10 * time.Second

// kinds are the profiles of one set, in the order they are taken.
var kinds = []string{"heap", "goroutine", "cpu"}

// fileName matches the files of a set: kind, then timestamp.
var fileName = regexp.MustCompile(`^(heap|goroutine|cpu)-(\d{8}T\d{6}\.\d{3}Z)\.pprof$`)

// Runner writes a set of profiles every Interval into Dir and keeps the
// newest Keep sets. It is a controller-runtime manager Runnable that runs
// on every replica, leader or not.
//
// Set the fields before Start; afterwards change them only through Set and
// SetEnabled, which are safe for concurrent use. A Runner must not be
// copied after first use.
type Runner struct {
	// Dir is where the profiles are written; it is created if missing.
	Dir string
	// Interval is the time between two sets; it must be positive.
	Interval time.Duration
	// Keep is how many sets are kept; it must be at least 1.
	Keep int
	// CPUDuration is how long the CPU is profiled for each set; zero means
	// half the Interval, at most 10s.
	CPUDuration time.Duration
	// Log receives progress (at V(1)) and failures.
	Log logr.Logger

	mu       sync.Mutex
	disabled bool
	changed  chan struct{} // wakes Start after Set; made by init
	last     time.Time     // the previous set's timestamp
}

// NeedLeaderElection returns false: every replica profiles itself.
func (r *Runner) NeedLeaderElection() bool { return false }

// Set changes the interval and the number of sets kept while the Runner
// runs. A new interval restarts the wait for the next set from now. The
// extra sets beyond a smaller keep are deleted at the next capture.
func (r *Runner) Set(interval time.Duration, keep int) error {
	if err := validate(interval, keep); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.init()
	if r.Interval != interval {
		r.Interval = interval
		select {
		case r.changed <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
	r.Keep = keep
	return nil
}

// SetEnabled pauses (false) or resumes (true) captures without stopping the
// Runner, so PPROF_ENABLED can change while the operator runs when the
// Runner is always added to the manager. A new Runner is enabled.
func (r *Runner) SetEnabled(enabled bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.disabled = !enabled
}

// init makes the wake-up channel; r.mu must be held.
func (r *Runner) init() {
	if r.changed == nil {
		r.changed = make(chan struct{}, 1)
	}
}

func validate(interval time.Duration, keep int) error {
	if interval <= 0 {
		return fmt.Errorf("profile interval %s: must be greater than 0", interval)
	}
	if keep < 1 {
		return fmt.Errorf("profile sets to keep %d: must be at least 1", keep)
	}
	return nil
}

// Start captures a set of profiles every Interval until ctx is done, then
// returns nil. It returns an error at once only when the Runner is
// misconfigured; a failed capture is logged and retried at the next
// interval, never fatal to the operator.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	r.init()
	interval, keep, dir, changed := r.Interval, r.Keep, r.Dir, r.changed
	r.mu.Unlock()
	if dir == "" {
		return errors.New("profile directory: must not be empty")
	}
	if err := validate(interval, keep); err != nil {
		return err
	}

	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
			r.mu.Lock()
			interval = r.Interval
			r.mu.Unlock()
			ticker.Reset(interval)
			r.Log.V(1).Info("Profile interval changed", "interval", interval)
		case <-ticker.C:
			r.mu.Lock()
			disabled := r.disabled
			r.mu.Unlock()
			if disabled {
				continue
			}
			if ts, err := r.capture(ctx); err != nil {
				r.Log.Error(err, "Capturing profiles failed", "dir", dir)
			} else {
				r.Log.V(1).Info("Captured profiles", "dir", dir, "timestamp", ts)
			}
		}
	}
}

// capture writes one set. Each profile is written to a temporary file
// first; older sets are then pruned to keep-1 and the new files renamed
// into place, so the directory never holds more than Keep sets, nor a
// half-written profile.
func (r *Runner) capture(ctx context.Context) (string, error) {
	r.mu.Lock()
	dir, keep, cpu := r.Dir, r.Keep, r.CPUDuration
	if cpu <= 0 {
		cpu = min(r.Interval/2, maxDefaultCPUDuration)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	if !now.After(r.last) {
		// Two sets in the same millisecond would share names.
		now = r.last.Add(time.Millisecond)
	}
	r.last = now
	r.mu.Unlock()
	ts := now.Format(TimestampFormat)

	if err := os.MkdirAll(dir, 0o750); err != nil {
		return ts, fmt.Errorf("creating profile directory: %w", err)
	}

	type file struct{ tmp, final string }
	var written []file
	defer func() {
		for _, f := range written {
			_ = os.Remove(f.tmp) // already gone when renamed
		}
	}()
	var errs []error
	for _, kind := range kinds {
		name := kind + "-" + ts + ".pprof"
		f := file{tmp: filepath.Join(dir, "."+name+".tmp"), final: filepath.Join(dir, name)}
		if err := writeProfile(ctx, f.tmp, kind, cpu); err != nil {
			_ = os.Remove(f.tmp)
			errs = append(errs, fmt.Errorf("writing %s profile: %w", kind, err))
			continue
		}
		written = append(written, f)
	}
	if len(written) == 0 {
		return ts, errors.Join(errs...)
	}

	if err := prune(dir, keep-1); err != nil {
		errs = append(errs, err)
	}
	for _, f := range written {
		if err := os.Rename(f.tmp, f.final); err != nil {
			errs = append(errs, fmt.Errorf("renaming profile: %w", err))
		}
	}
	return ts, errors.Join(errs...)
}

// writeProfile writes one profile of the given kind to path.
func writeProfile(ctx context.Context, path, kind string, cpu time.Duration) (err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("creating file: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing file: %w", cerr)
		}
	}()

	switch kind {
	case "cpu":
		if err := pprof.StartCPUProfile(f); err != nil {
			// Typically a CPU profile already running, from the debug
			// endpoint for example.
			return fmt.Errorf("starting CPU profile: %w", err)
		}
		t := time.NewTimer(cpu)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		pprof.StopCPUProfile()
		return nil
	case "heap":
		// The heap profile shows the heap as of the last garbage
		// collection; collect now so it is current.
		runtime.GC()
	}
	p := pprof.Lookup(kind)
	if p == nil {
		return fmt.Errorf("no %s profile in this runtime", kind)
	}
	if err := p.WriteTo(f, 0); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	return nil
}

// Sets returns the timestamps of the sets of profiles in dir, oldest first.
// A set counts when at least one of its files is present.
func Sets(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing profile directory: %w", err)
	}
	seen := map[string]bool{}
	var sets []string
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil || seen[m[2]] {
			continue
		}
		seen[m[2]] = true
		sets = append(sets, m[2])
	}
	sort.Strings(sets)
	return sets, nil
}

// prune deletes whole sets, oldest first, until at most keep remain. Files
// that are not profiles of ours are left alone.
func prune(dir string, keep int) error {
	sets, err := Sets(dir)
	if err != nil {
		return err
	}
	var errs []error
	for len(sets) > keep {
		for _, kind := range kinds {
			err := os.Remove(filepath.Join(dir, kind+"-"+sets[0]+".pprof"))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("deleting old profile: %w", err))
			}
		}
		sets = sets[1:]
	}
	return errors.Join(errs...)
}
