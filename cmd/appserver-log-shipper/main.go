// Command appserver-log-shipper is the log-shipper sidecar the operator adds
// to a server's pods when spec.server.application.logs is set: a small
// OpenTelemetry Collector distribution (made the way `ocb` makes one, a main
// that registers factories) built from pinned upstream modules plus our own
// Elasticsearch exporter (internal/esexporter).
//
// It is its own Go module so that the collector's dependency weight never
// enters the operator's go.mod.
//
//	appserver-log-shipper --config /etc/log-shipper/config.yaml
//	appserver-log-shipper validate --config config.yaml
//	appserver-log-shipper components
package main

import (
	"fmt"
	"os"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/resourceprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver"

	"github.com/appserver-operator/appserver-operator/cmd/appserver-log-shipper/internal/esexporter"
	"github.com/appserver-operator/appserver-operator/cmd/appserver-log-shipper/internal/telemetry"
)

// version is set by the build (-ldflags -X main.version=...).
var version = "dev"

func main() {
	cmd := otelcol.NewCommand(settings())
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func settings() otelcol.CollectorSettings {
	return otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{
			Command:     "appserver-log-shipper",
			Description: "appserver-operator log shipper (OpenTelemetry Collector distribution)",
			Version:     version,
		},
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{
					envprovider.NewFactory(),
					fileprovider.NewFactory(),
					yamlprovider.NewFactory(),
				},
				DefaultScheme: "env",
			},
		},
	}
}

// components registers every component the shipper supports: exactly what
// the configs the operator generates use (tests of the operator validate
// each generated config with this binary). Each component more is code the
// sidecar maps at start in every pod.
func components() (otelcol.Factories, error) {
	var f otelcol.Factories
	var err error
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](
		filelogreceiver.NewFactory(),
	); err != nil {
		return f, err
	}
	if f.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](
		filestorage.NewFactory(),
	); err != nil {
		return f, err
	}
	if f.Processors, err = otelcol.MakeFactoryMap[processor.Factory](
		memorylimiterprocessor.NewFactory(),
		resourceprocessor.NewFactory(),
	); err != nil {
		return f, err
	}
	if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](
		debugexporter.NewFactory(),
		otlpexporter.NewFactory(),
		otlphttpexporter.NewFactory(),
		esexporter.NewFactory(),
	); err != nil {
		return f, err
	}
	// Our own: logs on stderr, no internal metrics (internal/telemetry says
	// why).
	f.Telemetry = telemetry.NewFactory()
	return f, nil
}
