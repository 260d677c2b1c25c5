// Package settings reads, validates and prints the operator's settings.
//
// The settings come from environment variables, normally filled from the
// ConfigMap appserver-operator-config. The names, defaults and units are those
// of NEC's WebOTX Operator for Kubernetes, so a WebOTX user's ConfigMap keeps
// working; a few settings of our own (LOG_DIR, PPROF_DIR, the images and the
// metering API's authentication and certificate) are added.
//
// Load reads the environment, ParseConfigMapData reads a ConfigMap's data the
// same way, Block prints the effective settings as one readable block at
// start-up, and Diff tells which changes between two Settings can be applied
// while the operator runs and which need a restart.
package settings

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Names of the environment variables (and ConfigMap keys) the operator reads.
const (
	EnvLogLevel              = "LOG_LEVEL"
	EnvLogRotation           = "LOG_ROTATION"
	EnvLogFileSize           = "LOG_FILESIZE"
	EnvPprofEnabled          = "PPROF_ENABLED"
	EnvPprofInterval         = "PPROF_INTERVAL"
	EnvPprofRotation         = "PPROF_ROTATION"
	EnvMeteringEnabled       = "METERING_ENABLED"
	EnvMeteringInterval      = "METERING_INTERVAL"
	EnvMeteringTimeoutScrape = "METERING_TIMEOUT_SCRAPE"
	EnvMeteringTimeoutRead   = "METERING_TIMEOUT_READ"
	EnvMeteringTimeoutWrite  = "METERING_TIMEOUT_WRITE"
	EnvWatchNamespace        = "WATCH_NAMESPACE"
	EnvLogDir                = "LOG_DIR"
	EnvPprofDir              = "PPROF_DIR"
	EnvLogShipperImage       = "LOG_SHIPPER_IMAGE"
	EnvOperatorImage         = "OPERATOR_IMAGE"
	EnvMeteringAuth          = "METERING_AUTH"
	EnvMeteringCertDir       = "METERING_CERT_DIR"
)

// ConfigMapName is the name of the ConfigMap that holds the operator's
// settings (WebOTX calls it webotx-operator-config).
const ConfigMapName = "appserver-operator-config"

// Default values of the settings that are not plain numbers or booleans.
const (
	DefaultLogDir   = "/var/log/appserver-operator"
	DefaultPprofDir = "/var/lib/appserver-operator/pprof"
	// DefaultLogShipperImage is the log shipper of this release
	// (cmd/appserver-log-shipper, built by make image); a test keeps its tag
	// equal to the file VERSION.
	DefaultLogShipperImage = "ghcr.io/appserver-operator/appserver-log-shipper:v0.1.0"
)

// Level is a WebOTX log level: ERROR, WARN, INFO or DEBUG.
type Level string

// The log levels, from the quietest to the most verbose.
const (
	LevelError Level = "ERROR"
	LevelWarn  Level = "WARN"
	LevelInfo  Level = "INFO"
	LevelDebug Level = "DEBUG"
)

// Levels lists the accepted log levels, from the quietest to the most verbose.
var Levels = []Level{LevelError, LevelWarn, LevelInfo, LevelDebug}

// ParseLevel returns the Level named by s, ignoring case and surrounding
// spaces.
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ToUpper(strings.TrimSpace(s)))
	if !slices.Contains(Levels, l) {
		return "", fmt.Errorf("unknown log level %q: must be one of %s", s, levelList())
	}
	return l, nil
}

func levelList() string {
	names := make([]string, len(Levels))
	for i, l := range Levels {
		names[i] = string(l)
	}
	return strings.Join(names, ", ")
}

// MeteringAuth says how clients of the metering API authenticate.
type MeteringAuth string

// The accepted METERING_AUTH values.
const (
	// MeteringAuthNone serves the metering API without authentication, as
	// WebOTX does.
	MeteringAuthNone MeteringAuth = ""
	// MeteringAuthKubernetes requires a bearer token that the Kubernetes API
	// server accepts (TokenReview) and authorizes (SubjectAccessReview).
	MeteringAuthKubernetes MeteringAuth = "kubernetes"
)

// Settings are the operator's effective settings. Build them with Defaults,
// Load or ParseConfigMapData.
type Settings struct {
	// LogLevel is LOG_LEVEL: the least severe level that is logged.
	LogLevel Level
	// LogRotation is LOG_ROTATION: how many rotated log files are kept;
	// 0 keeps them all.
	LogRotation int
	// LogFileSizeMB is LOG_FILESIZE: megabytes per log file before it is
	// rotated.
	LogFileSizeMB int
	// LogDir is LOG_DIR: the directory of the log file; empty means the
	// operator logs to stdout only.
	LogDir string

	// PprofEnabled is PPROF_ENABLED: capture Go profiles periodically.
	PprofEnabled bool
	// PprofInterval is PPROF_INTERVAL: the time between two captures.
	PprofInterval time.Duration
	// PprofRotation is PPROF_ROTATION: how many sets of profiles are kept.
	PprofRotation int
	// PprofDir is PPROF_DIR: where the profiles are written.
	PprofDir string

	// MeteringEnabled is METERING_ENABLED: run the metering scraper and API.
	MeteringEnabled bool
	// MeteringInterval is METERING_INTERVAL: the time between two scrapes.
	MeteringInterval time.Duration
	// MeteringTimeoutScrape is METERING_TIMEOUT_SCRAPE: the limit of one
	// scrape.
	MeteringTimeoutScrape time.Duration
	// MeteringTimeoutRead is METERING_TIMEOUT_READ: the metering API server's
	// read timeout.
	MeteringTimeoutRead time.Duration
	// MeteringTimeoutWrite is METERING_TIMEOUT_WRITE: the metering API
	// server's write timeout.
	MeteringTimeoutWrite time.Duration
	// MeteringAuth is METERING_AUTH: how metering API clients authenticate.
	MeteringAuth MeteringAuth
	// MeteringCertDir is METERING_CERT_DIR: the directory holding tls.crt
	// and tls.key for the metering API; empty means a self-signed
	// certificate.
	MeteringCertDir string

	// WatchNamespaces is WATCH_NAMESPACE: the namespaces the operator
	// watches, sorted and without duplicates; empty means all namespaces.
	WatchNamespaces []string

	// LogShipperImage is LOG_SHIPPER_IMAGE: the default image of the
	// log-shipping sidecar.
	LogShipperImage string
	// OperatorImage is OPERATOR_IMAGE: the operator's own image, reported
	// in status; may be empty.
	OperatorImage string

	// givenAs remembers, for each duration setting that the user wrote as
	// a Go duration (such as "30s"), that text and the value it gave, so
	// Block prints it back the same way.
	givenAs map[string]givenDuration
}

type givenDuration struct {
	text  string
	value time.Duration
}

// Defaults returns the settings used when no variable is set: WebOTX's
// defaults, plus ours for the settings WebOTX does not have.
func Defaults() Settings {
	return Settings{
		LogLevel:              LevelInfo,
		LogRotation:           5,
		LogFileSizeMB:         1, // WebOTX ships LOG_FILESIZE "1"
		LogDir:                DefaultLogDir,
		PprofEnabled:          false,
		PprofInterval:         10 * time.Minute,
		PprofRotation:         144,
		PprofDir:              DefaultPprofDir,
		MeteringEnabled:       true,
		MeteringInterval:      time.Minute,
		MeteringTimeoutScrape: 10 * time.Second,
		MeteringTimeoutRead:   60 * time.Second,
		MeteringTimeoutWrite:  30 * time.Second,
		MeteringAuth:          MeteringAuthNone,
		MeteringCertDir:       "",
		WatchNamespaces:       nil,
		LogShipperImage:       DefaultLogShipperImage,
		OperatorImage:         "",
	}
}

// AllNamespaces reports whether the operator watches every namespace.
func (s Settings) AllNamespaces() bool { return len(s.WatchNamespaces) == 0 }

// Error is one invalid setting. Load joins one Error per invalid variable.
type Error struct {
	// Name is the variable's name, such as LOG_LEVEL.
	Name string
	// Value is the value as given.
	Value string
	// Accepted says what the variable accepts.
	Accepted string
}

// Error returns one line: the variable, its value and what it accepts.
func (e *Error) Error() string {
	return fmt.Sprintf("%s=%q: %s", e.Name, e.Value, e.Accepted)
}

// variable describes one setting: how to parse it, how to read it back and
// whether a change applies while the operator runs.
type variable struct {
	name string
	// live is true when a change can be applied without a restart.
	live bool
	// emptyIsValue is true when an empty value means something other than
	// the default (LOG_DIR="" turns the log file off). For every other
	// variable an empty value is the same as an unset one.
	emptyIsValue bool
	// unit is the unit of a whole number for duration settings.
	unit time.Duration
	// parse stores the value in s, or returns what the variable accepts.
	parse func(s *Settings, v string) error
	// get returns the value in a comparable form.
	get func(s Settings) any
}

// variables lists every setting in the order Names and Block use.
var variables = []variable{
	{
		name: EnvLogLevel, live: true,
		parse: func(s *Settings, v string) error {
			l, err := ParseLevel(v)
			if err != nil {
				return fmt.Errorf("must be one of %s", levelList())
			}
			s.LogLevel = l
			return nil
		},
		get: func(s Settings) any { return s.LogLevel },
	},
	{
		name:  EnvLogRotation,
		parse: intParser(0, "must be a whole number >= 0 (rotated log files kept; 0 keeps all)", func(s *Settings) *int { return &s.LogRotation }),
		get:   func(s Settings) any { return s.LogRotation },
	},
	{
		name:  EnvLogFileSize,
		parse: intParser(1, "must be a whole number of megabytes >= 1", func(s *Settings) *int { return &s.LogFileSizeMB }),
		get:   func(s Settings) any { return s.LogFileSizeMB },
	},
	{
		name: EnvPprofEnabled, live: true,
		parse: boolParser(func(s *Settings) *bool { return &s.PprofEnabled }),
		get:   func(s Settings) any { return s.PprofEnabled },
	},
	durationVar(EnvPprofInterval, time.Minute, func(s *Settings) *time.Duration { return &s.PprofInterval }),
	{
		name: EnvPprofRotation, live: true,
		parse: intParser(1, "must be a whole number >= 1 (profile sets kept)", func(s *Settings) *int { return &s.PprofRotation }),
		get:   func(s Settings) any { return s.PprofRotation },
	},
	{
		name:  EnvMeteringEnabled,
		parse: boolParser(func(s *Settings) *bool { return &s.MeteringEnabled }),
		get:   func(s Settings) any { return s.MeteringEnabled },
	},
	durationVar(EnvMeteringInterval, time.Minute, func(s *Settings) *time.Duration { return &s.MeteringInterval }),
	durationVar(EnvMeteringTimeoutScrape, time.Second, func(s *Settings) *time.Duration { return &s.MeteringTimeoutScrape }),
	restartOnly(durationVar(EnvMeteringTimeoutRead, time.Second, func(s *Settings) *time.Duration { return &s.MeteringTimeoutRead })),
	restartOnly(durationVar(EnvMeteringTimeoutWrite, time.Second, func(s *Settings) *time.Duration { return &s.MeteringTimeoutWrite })),
	{
		name:  EnvWatchNamespace,
		parse: parseNamespaces,
		get:   func(s Settings) any { return strings.Join(s.WatchNamespaces, ",") },
	},
	{
		name: EnvLogDir, emptyIsValue: true,
		parse: func(s *Settings, v string) error { s.LogDir = v; return nil },
		get:   func(s Settings) any { return s.LogDir },
	},
	{
		name:  EnvPprofDir,
		parse: func(s *Settings, v string) error { s.PprofDir = v; return nil },
		get:   func(s Settings) any { return s.PprofDir },
	},
	{
		name:  EnvLogShipperImage,
		parse: imageParser(func(s *Settings) *string { return &s.LogShipperImage }),
		get:   func(s Settings) any { return s.LogShipperImage },
	},
	{
		name:  EnvOperatorImage,
		parse: imageParser(func(s *Settings) *string { return &s.OperatorImage }),
		get:   func(s Settings) any { return s.OperatorImage },
	},
	{
		name: EnvMeteringAuth,
		parse: func(s *Settings, v string) error {
			if a := MeteringAuth(strings.ToLower(v)); a == MeteringAuthKubernetes {
				s.MeteringAuth = a
				return nil
			}
			return errors.New("must be empty (no authentication) or kubernetes")
		},
		get: func(s Settings) any { return s.MeteringAuth },
	},
	{
		name:  EnvMeteringCertDir,
		parse: func(s *Settings, v string) error { s.MeteringCertDir = v; return nil },
		get:   func(s Settings) any { return s.MeteringCertDir },
	},
}

func lookupVariable(name string) (variable, bool) {
	for _, v := range variables {
		if v.name == name {
			return v, true
		}
	}
	return variable{}, false
}

// Names returns the names of every setting, in the order Block prints them.
func Names() []string {
	names := make([]string, len(variables))
	for i, v := range variables {
		names[i] = v.name
	}
	return names
}

// AppliesLive reports whether a change of the named setting can be applied
// while the operator runs; see Settings.Diff.
func AppliesLive(name string) bool {
	v, ok := lookupVariable(name)
	return ok && v.live
}

// Load reads the settings through lookup, which is normally os.LookupEnv.
// A variable that is unset, or set to an empty or blank value, keeps its
// default; the one exception is LOG_DIR, where an empty value means "no log
// file, stdout only". Values are trimmed of surrounding spaces.
//
// Load checks every variable and returns all the problems at once, joined
// with errors.Join: one *Error per invalid variable, each printing as one
// line. On error the returned Settings hold the default in place of each
// invalid value; callers should not run with them.
func Load(lookup func(string) (string, bool)) (Settings, error) {
	s := Defaults()
	var errs []error
	for _, v := range variables {
		raw, ok := lookup(v.name)
		if !ok {
			continue
		}
		val := strings.TrimSpace(raw)
		if val == "" && !v.emptyIsValue {
			continue
		}
		if err := v.parse(&s, val); err != nil {
			errs = append(errs, &Error{Name: v.name, Value: raw, Accepted: err.Error()})
			continue
		}
		if v.unit != 0 && !isWholeNumber(val) {
			if s.givenAs == nil {
				s.givenAs = map[string]givenDuration{}
			}
			s.givenAs[v.name] = givenDuration{text: val, value: v.get(s).(time.Duration)}
		}
	}
	return s, errors.Join(errs...)
}

// ParseConfigMapData reads the settings from the data of the operator's
// ConfigMap, exactly as Load reads them from the environment: a key that is
// absent keeps its default. Keys that are not settings are ignored; see
// UnknownKeys to report them.
func ParseConfigMapData(data map[string]string) (Settings, error) {
	return Load(func(name string) (string, bool) {
		v, ok := data[name]
		return v, ok
	})
}

// UnknownKeys returns, sorted, the keys of a ConfigMap's data that are not
// settings, such as a misspelt LOG_LEVL, so the operator can warn about
// them.
func UnknownKeys(data map[string]string) []string {
	var unknown []string
	for k := range data {
		if _, ok := lookupVariable(k); !ok {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	return unknown
}

// Diff compares s, the settings in use, with next and returns the names of
// the settings that differ, in Names order, split in two:
//
//   - live: changes the operator applies while it runs. These are
//     LOG_LEVEL, PPROF_ENABLED, PPROF_INTERVAL, PPROF_ROTATION,
//     METERING_INTERVAL and METERING_TIMEOUT_SCRAPE, _READ and _WRITE.
//   - restart: changes that take effect only when the operator restarts,
//     because they shape what it builds at start-up (the watched
//     namespaces and cache, the log file, the metering server's
//     existence, authentication and certificate, the profile directory and
//     the images). These are WATCH_NAMESPACE, LOG_DIR, LOG_FILESIZE,
//     LOG_ROTATION, PPROF_DIR, METERING_ENABLED, METERING_AUTH,
//     METERING_CERT_DIR, LOG_SHIPPER_IMAGE and OPERATOR_IMAGE.
//
// Durations are compared by value, so METERING_INTERVAL "1" and "60s" are
// equal.
func (s Settings) Diff(next Settings) (live, restart []string) {
	for _, v := range variables {
		if v.get(s) == v.get(next) {
			continue
		}
		if v.live {
			live = append(live, v.name)
		} else {
			restart = append(restart, v.name)
		}
	}
	return live, restart
}

// Value returns the named setting as Block prints it, without quotes, and
// whether the name is a setting.
func (s Settings) Value(name string) (string, bool) {
	v, ok := lookupVariable(name)
	if !ok {
		return "", false
	}
	switch x := v.get(s).(type) {
	case Level:
		return string(x), true
	case MeteringAuth:
		return string(x), true
	case int:
		return strconv.Itoa(x), true
	case bool:
		if x {
			return "TRUE", true
		}
		return "FALSE", true
	case time.Duration:
		return s.formatDuration(name, x, v.unit), true
	case string:
		return x, true
	default:
		return fmt.Sprint(x), true
	}
}

// formatDuration prints d the way the user gave it: back as a Go duration
// when it was given as one, otherwise as a whole number of unit (WebOTX's
// form) when it is one, otherwise as a Go duration.
func (s Settings) formatDuration(name string, d, unit time.Duration) string {
	if g, ok := s.givenAs[name]; ok && g.value == d {
		return g.text
	}
	if d%unit == 0 {
		return strconv.FormatInt(int64(d/unit), 10)
	}
	return d.String()
}

// Block returns the settings as the readable block the operator logs at
// start-up: WebOTX's layout for WebOTX's settings, then ours in an OPERATOR
// section. Lines end with "\n" except the last.
func (s Settings) Block() string {
	var b strings.Builder
	line := func(indent int, name string, quoted bool) {
		val, _ := s.Value(name)
		if quoted {
			val = strconv.Quote(val)
		}
		fmt.Fprintf(&b, "%s%s: %s\n", strings.Repeat("  ", indent), name, val)
	}
	b.WriteString("LOG:\n")
	line(1, EnvLogLevel, false)
	line(1, EnvLogRotation, true)
	line(1, EnvLogFileSize, true)
	b.WriteString("PPROF:\n")
	line(1, EnvPprofEnabled, true)
	line(1, EnvPprofInterval, true)
	line(1, EnvPprofRotation, true)
	b.WriteString("METERING:\n")
	line(1, EnvMeteringEnabled, true)
	line(1, EnvMeteringInterval, true)
	b.WriteString("  TIMEOUT:\n")
	line(2, EnvMeteringTimeoutScrape, true)
	line(2, EnvMeteringTimeoutRead, true)
	line(2, EnvMeteringTimeoutWrite, true)
	b.WriteString("OPERATOR:\n")
	line(1, EnvWatchNamespace, true)
	line(1, EnvLogDir, true)
	line(1, EnvPprofDir, true)
	line(1, EnvLogShipperImage, true)
	line(1, EnvOperatorImage, true)
	line(1, EnvMeteringAuth, true)
	line(1, EnvMeteringCertDir, true)
	return strings.TrimSuffix(b.String(), "\n")
}

func intParser(minimum int, accepted string, field func(*Settings) *int) func(*Settings, string) error {
	return func(s *Settings, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < minimum {
			return errors.New(accepted)
		}
		*field(s) = n
		return nil
	}
}

func boolParser(field func(*Settings) *bool) func(*Settings, string) error {
	return func(s *Settings, v string) error {
		switch strings.ToUpper(v) {
		case "TRUE":
			*field(s) = true
		case "FALSE":
			*field(s) = false
		default:
			return errors.New("must be TRUE or FALSE")
		}
		return nil
	}
}

// durationVar describes a duration setting given in whole units or as a
// Go duration. Every duration setting applies live.
func durationVar(name string, unit time.Duration, field func(*Settings) *time.Duration) variable {
	return variable{
		name: name, live: true, unit: unit,
		parse: durationParser(unit, field),
		get:   func(s Settings) any { return *field(&s) },
	}
}

// restartOnly marks a variable whose change needs a restart: the metering
// API server's read and write timeouts are fixed once it listens.
func restartOnly(v variable) variable {
	v.live = false
	return v
}

// durationParser accepts WebOTX's whole number of unit, or a Go duration;
// either must be greater than zero.
func durationParser(unit time.Duration, field func(*Settings) *time.Duration) func(*Settings, string) error {
	unitName := "seconds"
	if unit == time.Minute {
		unitName = "minutes"
	}
	accepted := fmt.Sprintf("must be a whole number of %s, or a Go duration such as 30s or 1m30s, greater than 0", unitName)
	return func(s *Settings, v string) error {
		var d time.Duration
		if isWholeNumber(v) {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 || n > math.MaxInt64/int64(unit) {
				return errors.New(accepted)
			}
			d = time.Duration(n) * unit
		} else {
			var err error
			d, err = time.ParseDuration(v)
			if err != nil {
				return errors.New(accepted)
			}
		}
		if d <= 0 {
			return errors.New(accepted)
		}
		*field(s) = d
		return nil
	}
}

// isWholeNumber reports whether v is an optionally signed run of decimal
// digits, the form WebOTX uses for its intervals and timeouts.
func isWholeNumber(v string) bool {
	v = strings.TrimPrefix(strings.TrimPrefix(v, "+"), "-")
	if v == "" {
		return false
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func imageParser(field func(*Settings) *string) func(*Settings, string) error {
	return func(s *Settings, v string) error {
		if strings.ContainsFunc(v, unicode.IsSpace) {
			return errors.New("must be a container image reference without spaces, such as " + DefaultLogShipperImage)
		}
		*field(s) = v
		return nil
	}
}

// parseNamespaces accepts one or more comma-separated namespace names.
// Names are trimmed, must be DNS-1123 labels, and are sorted with
// duplicates removed. Empty entries are refused rather than skipped, so
// that a value like " , " cannot silently widen the operator to every
// namespace.
func parseNamespaces(s *Settings, v string) error {
	var names, bad []string
	for _, part := range strings.Split(v, ",") {
		name := strings.TrimSpace(part)
		if len(validation.IsDNS1123Label(name)) > 0 {
			bad = append(bad, strconv.Quote(name))
			continue
		}
		names = append(names, name)
	}
	if len(bad) > 0 {
		return fmt.Errorf("must be empty (all namespaces) or comma-separated namespace names "+
			"(lowercase letters, digits and '-', at most 63 characters); not valid: %s", strings.Join(bad, ", "))
	}
	sort.Strings(names)
	s.WatchNamespaces = slices.Compact(names)
	return nil
}
