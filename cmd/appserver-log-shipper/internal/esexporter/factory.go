// Package esexporter is the log shipper's Elasticsearch exporter: one JSON
// document per log record, sent with the Elasticsearch bulk API
// (go-elasticsearch's esapi.BulkRequest over its elastictransport: TLS,
// basic auth, several endpoints). The exporter helper around it batches
// (sending_queue.batch), queues on disk, applies back-pressure and retries
// with back-off (retry_on_failure); a push is one bulk request per
// flush_bytes of documents.
//
// It does not use go-elasticsearch's esutil.BulkIndexer: that batches,
// buffers and retries a second time behind the exporter helper, copying
// every document, and its package links the whole typed client (some 860
// packages): measured, the sidecar's memory then missed its 40 MiB target
// (docs/logging.md, Sizing).
//
// It exists because the contrib collector's Elasticsearch exporter is not
// served by the Go module proxy we build from, so a shipper relying on it
// could neither be built nor tested here. It is deliberately small: logs
// only, one index, a fixed document shape:
//
//	{"@timestamp": "...", "message": "...", "severity": "...",
//	 "<resource attribute>": "...", "<record attribute>": "..."}
//
// Delivery is at least once: a push returns only when every document of
// it was accepted; documents refused with a retryable status (429, 5xx,
// transport errors) are handed back to the exporter helper to retry, those
// refused for good (other 4xx: mapping errors) are dropped and counted in the
// error.
package esexporter

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// typeStr is the exporter's name in a config (`exporters: elasticsearch:`).
const typeStr = "elasticsearch"

// DefaultIndex receives the documents unless the config names another.
const DefaultIndex = "appserver"

// NewFactory returns the exporter's factory.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(component.MustNewType(typeStr), createDefaultConfig,
		exporter.WithLogs(createLogs, component.StabilityLevelBeta))
}

func createDefaultConfig() component.Config {
	timeout := exporterhelper.NewDefaultTimeoutConfig()
	timeout.Timeout = 30 * time.Second
	return &Config{
		Index:         DefaultIndex,
		TLS:           configtls.NewDefaultClientConfig(),
		FlushBytes:    1 << 20,
		TimeoutConfig: timeout,
		QueueConfig:   configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig:   configretry.NewDefaultBackOffConfig(),
	}
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	e := newExporter(c)
	return exporterhelper.NewLogs(ctx, set, cfg, e.push,
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithQueue(c.QueueConfig),
		exporterhelper.WithRetry(c.RetryConfig),
	)
}
