// Package logging builds the operator's structured logger.
//
// Log entries are JSON lines (ISO 8601 time) written to stdout and, when a
// directory is given, to a size-rotated file managed by lumberjack. The
// level uses WebOTX's names (ERROR, WARN, INFO, DEBUG) and can be changed
// while the operator runs through the returned Handle.
package logging

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"gopkg.in/natefinch/lumberjack.v2"
)

// DefaultFileName is the log file's name when Options.FileName is empty.
const DefaultFileName = "operator.log"

// DefaultMaxSizeMB is the size of a log file before rotation when
// Options.MaxSizeMB is zero (WebOTX's LOG_FILESIZE default).
const DefaultMaxSizeMB = 1

// Options configure New. The zero value logs INFO and above to os.Stdout
// only.
type Options struct {
	// Level is ERROR, WARN, INFO or DEBUG, in any case; empty means INFO.
	Level string
	// Dir is the log file's directory, created if missing; empty means no
	// log file.
	Dir string
	// FileName is the log file's name in Dir; empty means operator.log.
	FileName string
	// MaxSizeMB is the size in megabytes at which the file is rotated;
	// zero means DefaultMaxSizeMB.
	MaxSizeMB int
	// MaxBackups is how many rotated files are kept; zero keeps them all
	// (lumberjack's meaning).
	MaxBackups int
	// Stdout receives every entry too; nil means os.Stdout.
	Stdout io.Writer
}

// Handle controls a logger made by New: its level, and its file.
type Handle struct {
	level zap.AtomicLevel
	zl    *zap.Logger
	file  *closableFile // nil without a log file
	out   zapcore.WriteSyncer
}

// New returns a logr.Logger backed by zap, and the Handle that changes its
// level and closes its file. WebOTX's levels map onto zap's: ERROR to Error,
// WARN to Warn, INFO to Info and DEBUG to Debug, so logr's V(1) is shown at
// DEBUG and V(2) and beyond never are.
func New(o Options) (logr.Logger, *Handle, error) {
	if o.Level == "" {
		o.Level = "INFO"
	}
	lvl, err := zapLevel(o.Level)
	if err != nil {
		return logr.Discard(), nil, err
	}
	if o.FileName == "" {
		o.FileName = DefaultFileName
	}
	if o.MaxSizeMB == 0 {
		o.MaxSizeMB = DefaultMaxSizeMB
	}
	if o.MaxSizeMB < 0 {
		return logr.Discard(), nil, fmt.Errorf("log file size %d MB: must be at least 1", o.MaxSizeMB)
	}
	if o.MaxBackups < 0 {
		return logr.Discard(), nil, fmt.Errorf("log backups %d: must be 0 (keep all) or more", o.MaxBackups)
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}

	h := &Handle{level: zap.NewAtomicLevelAt(lvl)}
	sinks := []zapcore.WriteSyncer{zapcore.AddSync(o.Stdout)}
	if o.Dir != "" {
		f, err := openFile(o)
		if err != nil {
			return logr.Discard(), nil, err
		}
		h.file = f
		sinks = append(sinks, zapcore.AddSync(f))
	}

	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	enc.EncodeLevel = zapcore.CapitalLevelEncoder
	h.out = zapcore.NewMultiWriteSyncer(sinks...)
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), h.out, h.level)
	h.zl = zap.New(core, zap.AddCaller(), zap.ErrorOutput(zapcore.AddSync(os.Stderr)))
	return zapr.NewLogger(h.zl), h, nil
}

// openFile checks that the log file can be written, so a wrong LOG_DIR
// stops the operator at start-up rather than losing every entry, and
// returns the rotating writer.
func openFile(o Options) (*closableFile, error) {
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating log directory: %w", err)
	}
	path := filepath.Join(o.Dir, o.FileName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening log file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("closing log file: %w", err)
	}
	return &closableFile{lj: &lumberjack.Logger{
		Filename:   path,
		MaxSize:    o.MaxSizeMB,
		MaxBackups: o.MaxBackups,
	}}, nil
}

// WriteText writes text as it is, not as a structured entry, to stdout and
// the log file: for the human-readable settings block at start-up.
func (h *Handle) WriteText(text string) error {
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	if _, err := h.out.Write([]byte(text)); err != nil {
		return fmt.Errorf("writing to the log: %w", err)
	}
	return nil
}

// SetLevel changes the level of every logger derived from the one New
// returned; it is safe for concurrent use. An unknown level leaves the level
// as it was.
func (h *Handle) SetLevel(level string) error {
	lvl, err := zapLevel(level)
	if err != nil {
		return err
	}
	h.level.SetLevel(lvl)
	return nil
}

// Level returns the current level by its WebOTX name.
func (h *Handle) Level() string {
	switch h.level.Level() {
	case zapcore.ErrorLevel:
		return "ERROR"
	case zapcore.WarnLevel:
		return "WARN"
	case zapcore.DebugLevel:
		return "DEBUG"
	default:
		return "INFO"
	}
}

// Close flushes the logger and closes the log file; call it once, at
// shutdown. Entries logged after Close go to stdout only.
func (h *Handle) Close() error {
	// Syncing stdout fails harmlessly on pipes and terminals (EINVAL), so
	// only the file's errors are reported. Entries are written unbuffered,
	// so there is nothing else to flush.
	_ = h.zl.Sync()
	if h.file == nil {
		return nil
	}
	if err := h.file.Close(); err != nil {
		return fmt.Errorf("closing log file: %w", err)
	}
	return nil
}

// zapLevel maps a WebOTX level name to zap's level.
func zapLevel(level string) (zapcore.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(level)) {
	case "ERROR":
		return zapcore.ErrorLevel, nil
	case "WARN":
		return zapcore.WarnLevel, nil
	case "INFO":
		return zapcore.InfoLevel, nil
	case "DEBUG":
		return zapcore.DebugLevel, nil
	default:
		return zapcore.InfoLevel, fmt.Errorf("log level %q: must be one of ERROR, WARN, INFO, DEBUG", level)
	}
}

// closableFile wraps lumberjack, which reopens its file on any write after
// Close; once closed, writes are dropped instead (quietly: an error would
// make zap report every later entry on stderr).
type closableFile struct {
	mu     sync.Mutex
	lj     *lumberjack.Logger
	closed bool
}

func (c *closableFile) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return len(p), nil
	}
	return c.lj.Write(p)
}

func (c *closableFile) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return c.lj.Close()
}
