package profiling

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// waitFor polls cond every 10ms until it returns true or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunnerRotatesSets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pprof") // created by the Runner
	const keep = 3
	r := &Runner{Dir: dir, Interval: 300 * time.Millisecond, Keep: keep, CPUDuration: 50 * time.Millisecond}
	if r.NeedLeaderElection() {
		t.Error("NeedLeaderElection() = true, want false")
	}

	// A file that is not ours must survive pruning.
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(foreign, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Start(ctx) }()

	seen := map[string]bool{}
	most := 0
	waitFor(t, 20*time.Second, "5 sets of profiles", func() bool {
		sets, err := Sets(dir)
		if err != nil {
			return false // not created yet
		}
		most = max(most, len(sets))
		if len(sets) > keep {
			t.Fatalf("%d sets on disk, want at most %d: %v", len(sets), keep, sets)
		}
		for _, s := range sets {
			seen[s] = true
		}
		return len(seen) >= 5
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Start returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Start did not return after the context was cancelled")
	}
	if most != keep {
		t.Errorf("at most %d sets were on disk, want %d", most, keep)
	}

	sets, err := Sets(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) > keep || len(sets) == 0 {
		t.Fatalf("after stop: %d sets, want 1..%d", len(sets), keep)
	}
	// The sets left are the newest ones seen.
	all := make([]string, 0, len(seen))
	for s := range seen {
		all = append(all, s)
	}
	slices.Sort(all)
	if newest := all[len(all)-len(sets):]; !slices.Equal(sets, newest) {
		t.Errorf("kept sets %v, want the newest %v", sets, newest)
	}
	if _, err := os.Stat(foreign); err != nil {
		t.Errorf("a foreign file was removed: %v", err)
	}

	var heap string
	for _, ts := range sets {
		for _, kind := range kinds {
			path := filepath.Join(dir, kind+"-"+ts+".pprof")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) == 0 {
				t.Errorf("%s is empty", path)
				continue
			}
			p, err := profile.ParseData(data)
			if err != nil {
				t.Errorf("%s does not parse: %v", path, err)
				continue
			}
			if len(p.SampleType) == 0 {
				t.Errorf("%s has no sample types", path)
			}
			if kind == "heap" {
				heap = path
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}

	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Log("go not on PATH: skipping go tool pprof")
		return
	}
	cmdCtx, cancelCmd := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancelCmd()
	out, err := exec.CommandContext(cmdCtx, goTool, "tool", "pprof", "-top", heap).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof -top %s: %v\n%s", heap, err, out)
	}
	if !strings.Contains(string(out), "flat") {
		t.Errorf("go tool pprof -top printed no table:\n%s", out)
	}
}

func TestSetIsLive(t *testing.T) {
	dir := t.TempDir()
	// An interval long enough that nothing happens unless Set takes effect.
	r := &Runner{Dir: dir, Interval: time.Hour, Keep: 5, CPUDuration: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Start: %v", err)
		}
	}()

	if err := r.Set(50*time.Millisecond, 100); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "a set after Set shortened the interval", func() bool {
		sets, _ := Sets(dir)
		return len(sets) >= 2
	})

	// Paused: at most the capture already under way adds a set during ten
	// intervals (a bounded wait is the only way to see that nothing
	// happens).
	r.SetEnabled(false)
	before, _ := Sets(dir)
	time.Sleep(500 * time.Millisecond)
	after, _ := Sets(dir)
	if added := len(after) - len(before); added > 1 {
		t.Errorf("%d sets were added while disabled", added)
	}
	r.SetEnabled(true)
	waitFor(t, 20*time.Second, "a new set after re-enabling", func() bool {
		sets, _ := Sets(dir)
		return len(sets) > 0 && !slices.Equal(sets, after)
	})
}

func TestBadConfig(t *testing.T) {
	tests := []struct {
		name string
		r    *Runner
		want string
	}{
		{"no dir", &Runner{Interval: time.Second, Keep: 1}, "profile directory: must not be empty"},
		{"zero interval", &Runner{Dir: "x", Keep: 1}, "profile interval 0s: must be greater than 0"},
		{"zero keep", &Runner{Dir: "x", Interval: time.Second}, "profile sets to keep 0: must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Start(t.Context())
			if err == nil || err.Error() != tt.want {
				t.Errorf("Start error = %v, want %q", err, tt.want)
			}
		})
	}
	r := &Runner{}
	if err := r.Set(-time.Second, 1); err == nil {
		t.Error("Set(-1s, 1) succeeded")
	}
	if err := r.Set(time.Second, 0); err == nil {
		t.Error("Set(1s, 0) succeeded")
	}
}

func TestPruneKeepsNewestWholeSets(t *testing.T) {
	dir := t.TempDir()
	stamps := []string{"20260101T000000.000Z", "20260101T000001.000Z", "20260101T000002.000Z", "20260101T000003.000Z"}
	for _, ts := range stamps {
		for _, kind := range kinds {
			if err := os.WriteFile(filepath.Join(dir, kind+"-"+ts+".pprof"), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	// An incomplete old set counts as a set too.
	if err := os.Remove(filepath.Join(dir, "cpu-"+stamps[0]+".pprof")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		keep int
		want []string
	}{
		{5, stamps},
		{2, stamps[2:]},
		{0, nil},
	} {
		if err := prune(dir, tt.keep); err != nil {
			t.Fatal(err)
		}
		got, err := Sets(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("prune(%d): sets %v, want %v", tt.keep, got, tt.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("prune(0) left %d files", len(entries))
	}
}
