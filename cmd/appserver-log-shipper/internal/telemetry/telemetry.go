// Package telemetry is the shipper's own internal telemetry: a zap logger on
// stderr, and no metrics or traces of its own.
//
// It exists for memory. The collector's usual telemetry factory
// (service/telemetry/otelconftelemetry) links OpenTelemetry's declarative
// configuration with every resource detector it knows (AWS, EKS, GCP, Azure
// and a Kubernetes client among them) and the Prometheus and OTLP SDK
// exporters. None of that runs in the sidecar, whose configuration asks for
// logs only (service.telemetry.metrics.level: none), but its packages'
// initialisation touched some megabytes of the binary in every pod.
//
// The configuration it accepts is what the operator generates:
//
//	service:
//	  telemetry:
//	    logs: {level: info, encoding: json}
//	    metrics: {level: none}
//
// Anything else (internal metrics, traces, OTLP log export) is refused with
// an error naming the setting, rather than ignored.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configtelemetry"
	"go.opentelemetry.io/collector/service/telemetry"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Config is service.telemetry.
type Config struct {
	Logs    LogsConfig    `mapstructure:"logs"`
	Metrics MetricsConfig `mapstructure:"metrics"`
}

// LogsConfig is service.telemetry.logs: the shipper's own log on stderr.
type LogsConfig struct {
	// Level: debug, info, warn or error.
	Level zapcore.Level `mapstructure:"level"`
	// Encoding: json or console.
	Encoding string `mapstructure:"encoding"`
}

// MetricsConfig is service.telemetry.metrics; only level none is served.
type MetricsConfig struct {
	Level configtelemetry.Level `mapstructure:"level"`
}

// Validate names the setting that this telemetry does not serve.
func (c *Config) Validate() error {
	var errs []error
	if c.Logs.Encoding != "json" && c.Logs.Encoding != "console" {
		errs = append(errs, fmt.Errorf("service.telemetry.logs.encoding: %q is neither json nor console", c.Logs.Encoding))
	}
	if c.Metrics.Level != configtelemetry.LevelNone {
		errs = append(errs, fmt.Errorf("service.telemetry.metrics.level: %s is not served: this shipper has no internal metrics, set none", strings.ToLower(c.Metrics.Level.String())))
	}
	return errors.Join(errs...)
}

// NewFactory returns the telemetry factory of the shipper.
func NewFactory() telemetry.Factory {
	return telemetry.NewFactory(
		func() component.Config {
			return &Config{
				Logs:    LogsConfig{Level: zapcore.InfoLevel, Encoding: "json"},
				Metrics: MetricsConfig{Level: configtelemetry.LevelNone},
			}
		},
		telemetry.WithCreateLogger(createLogger),
		// No WithCreateMeterProvider or WithCreateTracerProvider: the
		// collector then uses no-op providers.
	)
}

func createLogger(_ context.Context, set telemetry.LoggerSettings, cfg component.Config) (*zap.Logger, component.ShutdownFunc, error) {
	c := cfg.(*Config)
	ec := zap.NewProductionEncoderConfig()
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	zc := zap.Config{
		Level:            zap.NewAtomicLevelAt(c.Logs.Level),
		Encoding:         c.Logs.Encoding,
		EncoderConfig:    ec,
		OutputPaths:      []string{"stderr"},
		ErrorOutputPaths: []string{"stderr"},
		Sampling:         &zap.SamplingConfig{Initial: 10, Thereafter: 100},
	}
	build := set.BuildZapLogger
	if build == nil {
		build = zap.Config.Build
	}
	logger, err := build(zc)
	if err != nil {
		return nil, nil, fmt.Errorf("service.telemetry.logs: %w", err)
	}
	return logger, nil, nil
}
