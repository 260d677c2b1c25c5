package settings

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// env turns a map into a lookup function for Load.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

const defaultBlock = `LOG:
  LOG_LEVEL: INFO
  LOG_ROTATION: "5"
  LOG_FILESIZE: "1"
PPROF:
  PPROF_ENABLED: "FALSE"
  PPROF_INTERVAL: "10"
  PPROF_ROTATION: "144"
METERING:
  METERING_ENABLED: "TRUE"
  METERING_INTERVAL: "1"
  TIMEOUT:
    METERING_TIMEOUT_SCRAPE: "10"
    METERING_TIMEOUT_READ: "60"
    METERING_TIMEOUT_WRITE: "30"
OPERATOR:
  WATCH_NAMESPACE: ""
  LOG_DIR: "/var/log/appserver-operator"
  PPROF_DIR: "/var/lib/appserver-operator/pprof"
  LOG_SHIPPER_IMAGE: "ghcr.io/appserver-operator/appserver-log-shipper:v0.1.0"
  OPERATOR_IMAGE: ""
  METERING_AUTH: ""
  METERING_CERT_DIR: ""`

func TestDefaultBlock(t *testing.T) {
	if got := Defaults().Block(); got != defaultBlock {
		t.Errorf("Defaults().Block() =\n%s\nwant\n%s", got, defaultBlock)
	}
	s, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load(empty) error: %v", err)
	}
	if got := s.Block(); got != defaultBlock {
		t.Errorf("Load(empty).Block() =\n%s\nwant\n%s", got, defaultBlock)
	}
}

func TestLoadValid(t *testing.T) {
	tests := []struct {
		name  string
		value string
		check func(Settings) any // the field the variable sets
		want  any
		shown string // as Value prints it
	}{
		{EnvLogLevel, "ERROR", func(s Settings) any { return s.LogLevel }, LevelError, "ERROR"},
		{EnvLogLevel, "warn", func(s Settings) any { return s.LogLevel }, LevelWarn, "WARN"},
		{EnvLogLevel, " Info ", func(s Settings) any { return s.LogLevel }, LevelInfo, "INFO"},
		{EnvLogLevel, "debug", func(s Settings) any { return s.LogLevel }, LevelDebug, "DEBUG"},
		{EnvLogLevel, "", func(s Settings) any { return s.LogLevel }, LevelInfo, "INFO"},
		{EnvLogRotation, "0", func(s Settings) any { return s.LogRotation }, 0, "0"},
		{EnvLogRotation, "12", func(s Settings) any { return s.LogRotation }, 12, "12"},
		{EnvLogFileSize, "1", func(s Settings) any { return s.LogFileSizeMB }, 1, "1"},
		{EnvLogFileSize, "200", func(s Settings) any { return s.LogFileSizeMB }, 200, "200"},
		{EnvPprofEnabled, "TRUE", func(s Settings) any { return s.PprofEnabled }, true, "TRUE"},
		{EnvPprofEnabled, "true", func(s Settings) any { return s.PprofEnabled }, true, "TRUE"},
		{EnvPprofEnabled, "False", func(s Settings) any { return s.PprofEnabled }, false, "FALSE"},
		{EnvPprofInterval, "5", func(s Settings) any { return s.PprofInterval }, 5 * time.Minute, "5"},
		{EnvPprofInterval, "30s", func(s Settings) any { return s.PprofInterval }, 30 * time.Second, "30s"},
		{EnvPprofInterval, "1m30s", func(s Settings) any { return s.PprofInterval }, 90 * time.Second, "1m30s"},
		{EnvPprofRotation, "1", func(s Settings) any { return s.PprofRotation }, 1, "1"},
		{EnvPprofRotation, "+3", func(s Settings) any { return s.PprofRotation }, 3, "3"},
		{EnvMeteringEnabled, "FALSE", func(s Settings) any { return s.MeteringEnabled }, false, "FALSE"},
		{EnvMeteringEnabled, "true", func(s Settings) any { return s.MeteringEnabled }, true, "TRUE"},
		{EnvMeteringInterval, "2", func(s Settings) any { return s.MeteringInterval }, 2 * time.Minute, "2"},
		{EnvMeteringInterval, "500ms", func(s Settings) any { return s.MeteringInterval }, 500 * time.Millisecond, "500ms"},
		{EnvMeteringInterval, "60s", func(s Settings) any { return s.MeteringInterval }, time.Minute, "60s"},
		{EnvMeteringTimeoutScrape, "3", func(s Settings) any { return s.MeteringTimeoutScrape }, 3 * time.Second, "3"},
		{EnvMeteringTimeoutScrape, "250ms", func(s Settings) any { return s.MeteringTimeoutScrape }, 250 * time.Millisecond, "250ms"},
		{EnvMeteringTimeoutRead, "120", func(s Settings) any { return s.MeteringTimeoutRead }, 2 * time.Minute, "120"},
		{EnvMeteringTimeoutRead, "2m", func(s Settings) any { return s.MeteringTimeoutRead }, 2 * time.Minute, "2m"},
		{EnvMeteringTimeoutWrite, "1", func(s Settings) any { return s.MeteringTimeoutWrite }, time.Second, "1"},
		{EnvMeteringTimeoutWrite, "1h", func(s Settings) any { return s.MeteringTimeoutWrite }, time.Hour, "1h"},
		{EnvWatchNamespace, "", func(s Settings) any { return s.WatchNamespaces }, []string(nil), ""},
		{EnvWatchNamespace, "team-a", func(s Settings) any { return s.WatchNamespaces }, []string{"team-a"}, "team-a"},
		{EnvWatchNamespace, " b , a,b ", func(s Settings) any { return s.WatchNamespaces }, []string{"a", "b"}, "a,b"},
		{EnvLogDir, "", func(s Settings) any { return s.LogDir }, "", ""},
		{EnvLogDir, "/tmp/logs", func(s Settings) any { return s.LogDir }, "/tmp/logs", "/tmp/logs"},
		{EnvPprofDir, "/data/pprof", func(s Settings) any { return s.PprofDir }, "/data/pprof", "/data/pprof"},
		{EnvPprofDir, "", func(s Settings) any { return s.PprofDir }, DefaultPprofDir, DefaultPprofDir},
		{EnvLogShipperImage, "fluent/fluent-bit:3.1@sha256:abc", func(s Settings) any { return s.LogShipperImage }, "fluent/fluent-bit:3.1@sha256:abc", "fluent/fluent-bit:3.1@sha256:abc"},
		{EnvLogShipperImage, "", func(s Settings) any { return s.LogShipperImage }, DefaultLogShipperImage, DefaultLogShipperImage},
		{EnvOperatorImage, "example.com/op:v1", func(s Settings) any { return s.OperatorImage }, "example.com/op:v1", "example.com/op:v1"},
		{EnvMeteringAuth, "", func(s Settings) any { return s.MeteringAuth }, MeteringAuthNone, ""},
		{EnvMeteringAuth, "Kubernetes", func(s Settings) any { return s.MeteringAuth }, MeteringAuthKubernetes, "kubernetes"},
		{EnvMeteringCertDir, "/etc/metering/tls", func(s Settings) any { return s.MeteringCertDir }, "/etc/metering/tls", "/etc/metering/tls"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			s, err := Load(env(map[string]string{tt.name: tt.value}))
			if err != nil {
				t.Fatalf("Load error: %v", err)
			}
			if got := tt.check(s); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("field = %#v, want %#v", got, tt.want)
			}
			if got, _ := s.Value(tt.name); got != tt.shown {
				t.Errorf("Value(%s) = %q, want %q", tt.name, got, tt.shown)
			}
			if !strings.Contains(s.Block(), tt.name+": ") {
				t.Errorf("Block() does not show %s", tt.name)
			}
		})
	}
}

func TestLoadUnsetKeepsDefaultAndLogDirEmptyMeansNoFile(t *testing.T) {
	s, err := Load(env(map[string]string{EnvLogDir: ""}))
	if err != nil {
		t.Fatal(err)
	}
	if s.LogDir != "" {
		t.Errorf("LOG_DIR=\"\" gave LogDir %q, want empty", s.LogDir)
	}
	s, err = Load(env(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	if s.LogDir != DefaultLogDir {
		t.Errorf("unset LOG_DIR gave %q, want %q", s.LogDir, DefaultLogDir)
	}
}

func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{EnvLogLevel, "LOUD", `LOG_LEVEL="LOUD": must be one of ERROR, WARN, INFO, DEBUG`},
		{EnvLogLevel, "WARNING", `LOG_LEVEL="WARNING": must be one of ERROR, WARN, INFO, DEBUG`},
		{EnvLogRotation, "-1", `LOG_ROTATION="-1": must be a whole number >= 0 (rotated log files kept; 0 keeps all)`},
		{EnvLogRotation, "five", `LOG_ROTATION="five": must be a whole number >= 0 (rotated log files kept; 0 keeps all)`},
		{EnvLogFileSize, "0", `LOG_FILESIZE="0": must be a whole number of megabytes >= 1`},
		{EnvLogFileSize, "10MB", `LOG_FILESIZE="10MB": must be a whole number of megabytes >= 1`},
		{EnvLogFileSize, "1.5", `LOG_FILESIZE="1.5": must be a whole number of megabytes >= 1`},
		{EnvPprofEnabled, "yes", `PPROF_ENABLED="yes": must be TRUE or FALSE`},
		{EnvPprofEnabled, "1", `PPROF_ENABLED="1": must be TRUE or FALSE`},
		{EnvPprofInterval, "0", `PPROF_INTERVAL="0": must be a whole number of minutes, or a Go duration such as 30s or 1m30s, greater than 0`},
		{EnvPprofInterval, "-5", `PPROF_INTERVAL="-5": must be a whole number of minutes, or a Go duration such as 30s or 1m30s, greater than 0`},
		{EnvPprofInterval, "1.5", `PPROF_INTERVAL="1.5": must be a whole number of minutes, or a Go duration such as 30s or 1m30s, greater than 0`},
		{EnvPprofInterval, "999999999999", `PPROF_INTERVAL="999999999999": must be a whole number of minutes, or a Go duration such as 30s or 1m30s, greater than 0`},
		{EnvPprofRotation, "0", `PPROF_ROTATION="0": must be a whole number >= 1 (profile sets kept)`},
		{EnvMeteringEnabled, "on", `METERING_ENABLED="on": must be TRUE or FALSE`},
		{EnvMeteringInterval, "-1m", `METERING_INTERVAL="-1m": must be a whole number of minutes, or a Go duration such as 30s or 1m30s, greater than 0`},
		{EnvMeteringInterval, "0s", `METERING_INTERVAL="0s": must be a whole number of minutes, or a Go duration such as 30s or 1m30s, greater than 0`},
		{EnvMeteringTimeoutScrape, "10 seconds", `METERING_TIMEOUT_SCRAPE="10 seconds": must be a whole number of seconds, or a Go duration such as 30s or 1m30s, greater than 0`},
		{EnvMeteringTimeoutRead, "0", `METERING_TIMEOUT_READ="0": must be a whole number of seconds, or a Go duration such as 30s or 1m30s, greater than 0`},
		{EnvMeteringTimeoutWrite, "abc", `METERING_TIMEOUT_WRITE="abc": must be a whole number of seconds, or a Go duration such as 30s or 1m30s, greater than 0`},
		{EnvWatchNamespace, "Team_A", `WATCH_NAMESPACE="Team_A": must be empty (all namespaces) or comma-separated namespace names (lowercase letters, digits and '-', at most 63 characters); not valid: "Team_A"`},
		{EnvWatchNamespace, "a,,b", `WATCH_NAMESPACE="a,,b": must be empty (all namespaces) or comma-separated namespace names (lowercase letters, digits and '-', at most 63 characters); not valid: ""`},
		{EnvWatchNamespace, " , ", `WATCH_NAMESPACE=" , ": must be empty (all namespaces) or comma-separated namespace names (lowercase letters, digits and '-', at most 63 characters); not valid: "", ""`},
		{EnvWatchNamespace, "ok,-bad," + strings.Repeat("x", 64), `WATCH_NAMESPACE="ok,-bad,` + strings.Repeat("x", 64) + `": must be empty (all namespaces) or comma-separated namespace names (lowercase letters, digits and '-', at most 63 characters); not valid: "-bad", "` + strings.Repeat("x", 64) + `"`},
		{EnvLogShipperImage, "fluent bit", `LOG_SHIPPER_IMAGE="fluent bit": must be a container image reference without spaces, such as ghcr.io/appserver-operator/appserver-log-shipper:v0.1.0`},
		{EnvOperatorImage, "a\tb", `OPERATOR_IMAGE="a\tb": must be a container image reference without spaces, such as ghcr.io/appserver-operator/appserver-log-shipper:v0.1.0`},
		{EnvMeteringAuth, "basic", `METERING_AUTH="basic": must be empty (no authentication) or kubernetes`},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			s, err := Load(env(map[string]string{tt.name: tt.value}))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if err.Error() != tt.want {
				t.Errorf("error =\n%s\nwant\n%s", err, tt.want)
			}
			var serr *Error
			if !errors.As(err, &serr) || serr.Name != tt.name || serr.Value != tt.value {
				t.Errorf("errors.As(*Error) = %+v, want Name %s Value %q", serr, tt.name, tt.value)
			}
			// The bad value is replaced by the default.
			d := Defaults()
			got, _ := s.Value(tt.name)
			want, _ := d.Value(tt.name)
			if got != want {
				t.Errorf("Value(%s) after error = %q, want default %q", tt.name, got, want)
			}
		})
	}
}

func TestLoadReportsEveryError(t *testing.T) {
	_, err := Load(env(map[string]string{
		EnvLogLevel:         "LOUD",
		EnvLogFileSize:      "0",
		EnvPprofEnabled:     "maybe",
		EnvMeteringInterval: "soon",
		EnvWatchNamespace:   "UPPER",
		EnvLogRotation:      "3", // valid
	}))
	if err == nil {
		t.Fatal("Load succeeded, want errors")
	}
	lines := strings.Split(err.Error(), "\n")
	wantPrefixes := []string{
		`LOG_LEVEL="LOUD": `,
		`LOG_FILESIZE="0": `,
		`PPROF_ENABLED="maybe": `,
		`METERING_INTERVAL="soon": `,
		`WATCH_NAMESPACE="UPPER": `,
	}
	if len(lines) != len(wantPrefixes) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(wantPrefixes), err)
	}
	for i, p := range wantPrefixes {
		if !strings.HasPrefix(lines[i], p) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], p)
		}
	}
}

func TestBlockShowsGivenForms(t *testing.T) {
	s, err := Load(env(map[string]string{
		EnvLogLevel:              "debug",
		EnvLogFileSize:           "1",
		EnvPprofEnabled:          "true",
		EnvPprofInterval:         "90s",
		EnvMeteringInterval:      "2",
		EnvMeteringTimeoutScrape: "1m30s",
		EnvWatchNamespace:        "b,a",
		EnvLogDir:                "",
		EnvMeteringAuth:          "kubernetes",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := `LOG:
  LOG_LEVEL: DEBUG
  LOG_ROTATION: "5"
  LOG_FILESIZE: "1"
PPROF:
  PPROF_ENABLED: "TRUE"
  PPROF_INTERVAL: "90s"
  PPROF_ROTATION: "144"
METERING:
  METERING_ENABLED: "TRUE"
  METERING_INTERVAL: "2"
  TIMEOUT:
    METERING_TIMEOUT_SCRAPE: "1m30s"
    METERING_TIMEOUT_READ: "60"
    METERING_TIMEOUT_WRITE: "30"
OPERATOR:
  WATCH_NAMESPACE: "a,b"
  LOG_DIR: ""
  PPROF_DIR: "/var/lib/appserver-operator/pprof"
  LOG_SHIPPER_IMAGE: "ghcr.io/appserver-operator/appserver-log-shipper:v0.1.0"
  OPERATOR_IMAGE: ""
  METERING_AUTH: "kubernetes"
  METERING_CERT_DIR: ""`
	if got := s.Block(); got != want {
		t.Errorf("Block() =\n%s\nwant\n%s", got, want)
	}

	// A duration changed after Load no longer matches the remembered
	// text: it prints as a whole number when it is one, else as a Go
	// duration.
	s.PprofInterval = 3 * time.Minute
	s.MeteringTimeoutScrape = 1500 * time.Millisecond
	if got, _ := s.Value(EnvPprofInterval); got != "3" {
		t.Errorf("Value(PPROF_INTERVAL) = %q, want 3", got)
	}
	if got, _ := s.Value(EnvMeteringTimeoutScrape); got != "1.5s" {
		t.Errorf("Value(METERING_TIMEOUT_SCRAPE) = %q, want 1.5s", got)
	}
}

func TestParseConfigMapData(t *testing.T) {
	// WebOTX's sample ConfigMap, as a WebOTX user would carry it over.
	webotx := map[string]string{
		"LOG_LEVEL":               "ERROR",
		"LOG_ROTATION":            "5",
		"LOG_FILESIZE":            "1",
		"PPROF_ENABLED":           "FALSE",
		"PPROF_INTERVAL":          "10",
		"PPROF_ROTATION":          "144",
		"METERING_ENABLED":        "TRUE",
		"METERING_INTERVAL":       "1",
		"METERING_TIMEOUT_SCRAPE": "10",
		"METERING_TIMEOUT_READ":   "60",
		"METERING_TIMEOUT_WRITE":  "30",
	}
	s, err := ParseConfigMapData(webotx)
	if err != nil {
		t.Fatal(err)
	}
	want := Defaults()
	want.LogLevel = LevelError
	if !reflect.DeepEqual(s, want) {
		t.Errorf("ParseConfigMapData(WebOTX sample) = %+v, want %+v", s, want)
	}

	tests := []struct {
		name    string
		data    map[string]string
		wantErr string
		check   func(Settings) bool
	}{
		{"nil data gives defaults", nil, "", func(s Settings) bool { return reflect.DeepEqual(s, Defaults()) }},
		{"absent keys keep defaults", map[string]string{"LOG_LEVEL": "DEBUG"}, "",
			func(s Settings) bool { return s.LogLevel == LevelDebug && s.MeteringInterval == time.Minute }},
		{"trailing newline from a YAML block is trimmed", map[string]string{"METERING_INTERVAL": "5\n"}, "",
			func(s Settings) bool { return s.MeteringInterval == 5*time.Minute }},
		{"unknown keys are ignored", map[string]string{"LOG_LEVL": "DEBUG"}, "",
			func(s Settings) bool { return s.LogLevel == LevelInfo }},
		{"bad value", map[string]string{"PPROF_ROTATION": "0"}, `PPROF_ROTATION="0": must be a whole number >= 1 (profile sets kept)`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseConfigMapData(tt.data)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(s) {
				t.Errorf("unexpected settings:\n%s", s.Block())
			}
		})
	}
}

func TestUnknownKeys(t *testing.T) {
	got := UnknownKeys(map[string]string{"LOG_LEVEL": "INFO", "LOG_LEVL": "x", "AAA": "y"})
	if want := []string{"AAA", "LOG_LEVL"}; !slices.Equal(got, want) {
		t.Errorf("UnknownKeys = %v, want %v", got, want)
	}
	if got := UnknownKeys(map[string]string{"LOG_LEVEL": "INFO"}); got != nil {
		t.Errorf("UnknownKeys(known only) = %v, want nil", got)
	}
}

func TestDiff(t *testing.T) {
	load := func(m map[string]string) Settings {
		t.Helper()
		s, err := Load(env(m))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name        string
		next        map[string]string
		live, reset []string
	}{
		{"no change", nil, nil, nil},
		{"same duration in another form", map[string]string{EnvMeteringInterval: "60s", EnvMeteringTimeoutRead: "1m"}, nil, nil},
		{"live changes", map[string]string{
			EnvLogLevel: "DEBUG", EnvPprofEnabled: "TRUE", EnvPprofInterval: "1", EnvPprofRotation: "3",
			EnvMeteringInterval: "30s", EnvMeteringTimeoutScrape: "5", EnvMeteringTimeoutRead: "5", EnvMeteringTimeoutWrite: "5",
		}, []string{
			EnvLogLevel, EnvPprofEnabled, EnvPprofInterval, EnvPprofRotation,
			EnvMeteringInterval, EnvMeteringTimeoutScrape,
		}, []string{EnvMeteringTimeoutRead, EnvMeteringTimeoutWrite}},
		{"restart changes", map[string]string{
			EnvLogRotation: "1", EnvLogFileSize: "2", EnvMeteringEnabled: "FALSE", EnvWatchNamespace: "a",
			EnvLogDir: "", EnvPprofDir: "/p", EnvLogShipperImage: "x:1", EnvOperatorImage: "y:1",
			EnvMeteringAuth: "kubernetes", EnvMeteringCertDir: "/c",
		}, nil, []string{
			EnvLogRotation, EnvLogFileSize, EnvMeteringEnabled, EnvWatchNamespace, EnvLogDir,
			EnvPprofDir, EnvLogShipperImage, EnvOperatorImage, EnvMeteringAuth, EnvMeteringCertDir,
		}},
		{"both", map[string]string{EnvLogLevel: "WARN", EnvWatchNamespace: "a,b"}, []string{EnvLogLevel}, []string{EnvWatchNamespace}},
	}
	cur := Defaults()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live, restart := cur.Diff(load(tt.next))
			if !slices.Equal(live, tt.live) {
				t.Errorf("live = %v, want %v", live, tt.live)
			}
			if !slices.Equal(restart, tt.reset) {
				t.Errorf("restart = %v, want %v", restart, tt.reset)
			}
			for _, n := range live {
				if !AppliesLive(n) {
					t.Errorf("AppliesLive(%s) = false for a live change", n)
				}
			}
			for _, n := range restart {
				if AppliesLive(n) {
					t.Errorf("AppliesLive(%s) = true for a restart change", n)
				}
			}
		})
	}
}

func TestDiffIgnoresNamespaceOrder(t *testing.T) {
	a, errA := Load(env(map[string]string{EnvWatchNamespace: "b,a"}))
	b, errB := Load(env(map[string]string{EnvWatchNamespace: "a, b, a"}))
	if err := errors.Join(errA, errB); err != nil {
		t.Fatal(err)
	}
	if live, restart := a.Diff(b); live != nil || restart != nil {
		t.Errorf("Diff = %v, %v; want no change", live, restart)
	}
}

func TestNamesCoverBlock(t *testing.T) {
	names := Names()
	if len(names) != 18 {
		t.Errorf("Names() has %d entries, want 18", len(names))
	}
	block := Defaults().Block()
	for _, n := range names {
		if strings.Count(block, "\n  "+n+": ")+strings.Count(block, "\n    "+n+": ") != 1 {
			t.Errorf("Block() shows %s other than once", n)
		}
	}
	if AppliesLive("NOT_A_SETTING") {
		t.Error("AppliesLive(unknown) = true")
	}
	if _, ok := Defaults().Value("NOT_A_SETTING"); ok {
		t.Error("Value(unknown) ok = true")
	}
}

func TestParseLevel(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Level
		ok   bool
	}{
		{"error", LevelError, true}, {"WARN", LevelWarn, true}, {" info", LevelInfo, true},
		{"Debug", LevelDebug, true}, {"TRACE", "", false}, {"", "", false},
	} {
		got, err := ParseLevel(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseLevel(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// The default log-shipper image is the shipper of this release: its tag is
// the file VERSION (bump both together).
func TestDefaultLogShipperImageIsTheRelease(t *testing.T) {
	raw, err := os.ReadFile("../../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	want := "ghcr.io/appserver-operator/appserver-log-shipper:" + strings.TrimSpace(string(raw))
	if DefaultLogShipperImage != want {
		t.Errorf("DefaultLogShipperImage = %q, want %q (the file VERSION)", DefaultLogShipperImage, want)
	}
}
