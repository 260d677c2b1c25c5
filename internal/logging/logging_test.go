package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
)

// messages returns the "msg" of every JSON line in buf, checking each line's
// shape on the way.
func messages(t *testing.T, buf *bytes.Buffer) []string {
	t.Helper()
	var msgs []string
	for line := range strings.Lines(buf.String()) {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("line is not JSON: %q: %v", line, err)
		}
		ts, _ := entry["ts"].(string)
		if _, err := time.Parse("2006-01-02T15:04:05.000Z0700", ts); err != nil {
			t.Errorf("ts %q is not ISO 8601: %v", ts, err)
		}
		if _, ok := entry["level"].(string); !ok {
			t.Errorf("line has no level: %q", line)
		}
		msg, _ := entry["msg"].(string)
		msgs = append(msgs, msg)
	}
	buf.Reset()
	return msgs
}

// logAll logs one entry at each logr level.
func logAll(log logr.Logger) {
	log.Error(errors.New("boom"), "error")
	log.Info("info")
	log.V(1).Info("v1")
	log.V(2).Info("v2")
}

func TestLevels(t *testing.T) {
	tests := []struct {
		level string
		want  []string
	}{
		{"ERROR", []string{"error"}},
		{"WARN", []string{"error"}}, // logr has no warning: Info is hidden at WARN
		{"INFO", []string{"error", "info"}},
		{"", []string{"error", "info"}},
		{"DEBUG", []string{"error", "info", "v1"}},
		{"debug", []string{"error", "info", "v1"}},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			log, h, err := New(Options{Level: tt.level, Stdout: &buf})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = h.Close() })
			logAll(log)
			if got := messages(t, &buf); !slices.Equal(got, tt.want) {
				t.Errorf("logged %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLevelNames(t *testing.T) {
	for _, l := range []string{"ERROR", "WARN", "INFO", "DEBUG"} {
		_, h, err := New(Options{Level: strings.ToLower(l), Stdout: &bytes.Buffer{}})
		if err != nil {
			t.Fatal(err)
		}
		if got := h.Level(); got != l {
			t.Errorf("Level() = %s, want %s", got, l)
		}
	}
}

func TestBadOptions(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"unknown level", Options{Level: "LOUD"}, `log level "LOUD": must be one of ERROR, WARN, INFO, DEBUG`},
		{"negative size", Options{MaxSizeMB: -1}, "log file size -1 MB: must be at least 1"},
		{"negative backups", Options{MaxBackups: -1}, "log backups -1: must be 0 (keep all) or more"},
		{"directory is a file", Options{Dir: notADir}, "creating log directory: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Stdout = &bytes.Buffer{}
			_, h, err := New(tt.o)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("New error = %v, want prefix %q", err, tt.want)
			}
			if h != nil {
				t.Error("New returned a Handle with an error")
			}
		})
	}
}

func TestSetLevelLive(t *testing.T) {
	var buf bytes.Buffer
	log, h, err := New(Options{Level: "INFO", Stdout: &buf})
	if err != nil {
		t.Fatal(err)
	}
	// A logger derived before the change follows it too.
	derived := log.WithName("child").WithValues("k", "v")
	steps := []struct {
		set     string
		wantErr bool
		want    []string
	}{
		{"", false, []string{"error", "info"}},
		{"DEBUG", false, []string{"error", "info", "v1"}},
		{"bogus", true, []string{"error", "info", "v1"}}, // unchanged
		{"error", false, []string{"error"}},
		{"Info", false, []string{"error", "info"}},
	}
	for _, st := range steps {
		if st.set != "" {
			err := h.SetLevel(st.set)
			if (err != nil) != st.wantErr {
				t.Fatalf("SetLevel(%q) error = %v, wantErr %v", st.set, err, st.wantErr)
			}
		}
		logAll(derived)
		if got := messages(t, &buf); !slices.Equal(got, st.want) {
			t.Errorf("after SetLevel(%q): logged %v, want %v", st.set, got, st.want)
		}
	}
	if err := h.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestFileAndClose(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	var buf bytes.Buffer
	log, h, err := New(Options{Dir: dir, Stdout: &buf})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("to both", "n", 1)
	if err := h.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	log.Info("after close")

	data, err := os.ReadFile(filepath.Join(dir, DefaultFileName))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"msg":"to both"`) || strings.Contains(string(data), "after close") {
		t.Errorf("log file = %q, want only the entry before Close", data)
	}
	if got := messages(t, &buf); !slices.Equal(got, []string{"to both", "after close"}) {
		t.Errorf("stdout got %v", got)
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	log, h, err := New(Options{
		Level:      "INFO",
		Dir:        dir,
		FileName:   "op.log",
		MaxSizeMB:  1,
		MaxBackups: 2,
		Stdout:     io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })

	// About 4 MB in ~1 KB entries: at least three rotations, so lumberjack
	// has an old backup to delete.
	payload := strings.Repeat("x", 1000)
	for i := range 4000 {
		log.Info("Filling the log", "i", i, "payload", payload)
	}

	backups := func() []string {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			if e.Name() != "op.log" && strings.HasPrefix(e.Name(), "op-") && strings.HasSuffix(e.Name(), ".log") {
				names = append(names, e.Name())
			}
		}
		return names
	}
	// lumberjack deletes old backups in a goroutine: wait, bounded.
	deadline := time.Now().Add(10 * time.Second)
	got := backups()
	for len(got) > 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		got = backups()
	}
	if len(got) == 0 {
		t.Fatal("no rotated file: rotation did not happen")
	}
	if len(got) > 2 {
		t.Fatalf("%d backups remain (%v), want at most 2", len(got), got)
	}
	for _, name := range append(got, "op.log") {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > 1<<20 {
			t.Errorf("%s is %d bytes, over MaxSizeMB", name, fi.Size())
		}
	}
}
