package esexporter

import (
	"errors"
	"fmt"
	"net/url"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Config is the exporter's configuration:
//
//	elasticsearch:
//	  endpoints: [https://es.example:9200/prefix]
//	  index: appserver
//	  user: elastic
//	  password: ${env:ES_PASSWORD}
//	  tls: {ca_file: /etc/log-shipper/ca/ca.crt}
//	  sending_queue: {storage: file_storage}
type Config struct {
	// Endpoints are the base URLs of Elasticsearch nodes; a URL path is a
	// prefix of every API path (an Elasticsearch behind a reverse proxy,
	// VictoriaLogs's /insert/elasticsearch).
	Endpoints []string `mapstructure:"endpoints"`
	// Index receives every document (default "appserver").
	Index string `mapstructure:"index"`
	// User and Password enable HTTP basic authentication.
	User     string              `mapstructure:"user"`
	Password configopaque.String `mapstructure:"password"`
	// Headers are added to every request.
	Headers map[string]configopaque.String `mapstructure:"headers"`
	// TLS configures https endpoints (CA, verification).
	TLS configtls.ClientConfig `mapstructure:"tls"`
	// FlushBytes is the size at which a bulk request is sent: a batch
	// larger than this goes in several requests (default 1 MiB). How many
	// requests run at once is the sending queue's num_consumers.
	FlushBytes int `mapstructure:"flush_bytes"`

	exporterhelper.TimeoutConfig `mapstructure:",squash"`
	QueueConfig                  configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig                  configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`
}

// Validate checks the configuration without contacting a server.
func (c *Config) Validate() error {
	if len(c.Endpoints) == 0 {
		return errors.New("endpoints: at least one endpoint is required")
	}
	for _, e := range c.Endpoints {
		u, err := url.Parse(e)
		if err != nil {
			return fmt.Errorf("endpoints: %q: %w", e, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("endpoints: %q: want http(s)://host[:port][/path]", e)
		}
	}
	if c.Index == "" {
		return errors.New("index: must not be empty")
	}
	if c.Password != "" && c.User == "" {
		return errors.New("password: set without user")
	}
	if c.FlushBytes <= 0 {
		return errors.New("flush_bytes: must be positive")
	}
	return nil
}
