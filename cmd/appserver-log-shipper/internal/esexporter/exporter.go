package esexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
	"github.com/elastic/go-elasticsearch/v8/esutil"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
)

type esExporter struct {
	cfg    *Config
	logger *zap.Logger
	bi     esutil.BulkIndexer
}

func newExporter(cfg *Config, logger *zap.Logger) *esExporter {
	return &esExporter{cfg: cfg, logger: logger}
}

func (e *esExporter) start(ctx context.Context, _ component.Host) error {
	tlsCfg, err := e.cfg.TLS.LoadTLSConfig(ctx)
	if err != nil {
		return fmt.Errorf("loading the TLS configuration: %w", err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsCfg
	header := http.Header{}
	for k, v := range e.cfg.Headers {
		header.Set(k, string(v))
	}
	urls := make([]*url.URL, 0, len(e.cfg.Endpoints))
	for _, ep := range e.cfg.Endpoints {
		u, err := url.Parse(ep)
		if err != nil {
			return fmt.Errorf("endpoint %q: %w", ep, err)
		}
		urls = append(urls, u)
	}
	// The transport, not elasticsearch.Client: the client refuses a server
	// that does not answer X-Elastic-Product: Elasticsearch (OpenSearch,
	// VictoriaLogs), and the bulk API is all we need.
	client, err := elastictransport.New(elastictransport.Config{ //nolint:staticcheck // New is deprecated for NewClient but "fully functional"; moving is a change of its own, tested against the store
		URLs:     urls,
		Username: e.cfg.User,
		Password: string(e.cfg.Password),
		Header:   header,
		// Retries of whole requests are the exporter helper's job (with
		// back-off, bounded by retry_on_failure); the transport tries once.
		DisableRetry: true,
		Transport:    transport,
	})
	if err != nil {
		return fmt.Errorf("creating the Elasticsearch transport: %w", err)
	}
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client: client,
		// The index goes in each action line, not the URL: the requests go
		// to <prefix>/_bulk, the path VictoriaLogs serves too.
		NumWorkers:    max(e.cfg.NumWorkers, 1),
		FlushBytes:    e.cfg.FlushBytes,
		FlushInterval: time.Second,
		OnError: func(_ context.Context, err error) {
			e.logger.Warn("Bulk request failed", zap.Error(err))
		},
	})
	if err != nil {
		return fmt.Errorf("creating the bulk indexer: %w", err)
	}
	e.bi = bi
	return nil
}

func (e *esExporter) shutdown(ctx context.Context) error {
	if e.bi == nil {
		return nil
	}
	return e.bi.Close(ctx)
}

// failure is the outcome of one document that was not indexed.
type failure struct {
	ref       recordRef
	retryable bool
	reason    string
}

type recordRef struct{ r, s, l int }

// push indexes every record of ld and returns once each was accepted or
// refused. Retryable refusals come back as a consumererror.Logs holding
// only those records, so a retry does not resend the accepted ones.
func (e *esExporter) push(ctx context.Context, ld plog.Logs) error {
	var (
		mu       sync.Mutex
		failures []failure
		wg       sync.WaitGroup
	)
	fail := func(f failure) {
		mu.Lock()
		failures = append(failures, f)
		mu.Unlock()
	}
	rls := ld.ResourceLogs()
	for r := 0; r < rls.Len(); r++ {
		rl := rls.At(r)
		sls := rl.ScopeLogs()
		for s := 0; s < sls.Len(); s++ {
			lrs := sls.At(s).LogRecords()
			for l := 0; l < lrs.Len(); l++ {
				ref := recordRef{r, s, l}
				body, err := Document(rl.Resource(), lrs.At(l))
				if err != nil {
					fail(failure{ref: ref, reason: err.Error()})
					continue
				}
				wg.Add(1)
				err = e.bi.Add(ctx, esutil.BulkIndexerItem{
					Action: "create",
					Index:  e.cfg.Index,
					Body:   bytes.NewReader(body),
					OnSuccess: func(context.Context, esutil.BulkIndexerItem, esutil.BulkIndexerResponseItem) {
						wg.Done()
					},
					OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
						defer wg.Done()
						f := failure{ref: ref, retryable: retryable(res.Status, err)}
						if err != nil {
							f.reason = err.Error()
						} else {
							f.reason = fmt.Sprintf("status %d: %s: %s", res.Status, res.Error.Type, res.Error.Reason)
						}
						fail(f)
					},
				})
				if err != nil {
					wg.Done()
					fail(failure{ref: ref, retryable: true, reason: err.Error()})
				}
			}
		}
	}
	if err := e.bi.Flush(ctx); err != nil {
		return fmt.Errorf("flushing the bulk indexer: %w", err)
	}
	wg.Wait()
	return result(ld, failures)
}

// retryable tells whether a document refused with this status (0: the
// request itself failed) may succeed when sent again.
func retryable(status int, err error) bool {
	if err != nil || status == 0 {
		return true
	}
	return status == http.StatusTooManyRequests || status >= 500
}

// result turns the failures of a push into its error: nil, a permanent
// error (nothing worth retrying), or a consumererror.Logs carrying the
// records to retry.
func result(ld plog.Logs, failures []failure) error {
	if len(failures) == 0 {
		return nil
	}
	retry := map[recordRef]bool{}
	var permanent int
	for _, f := range failures {
		if f.retryable {
			retry[f.ref] = true
		} else {
			permanent++
		}
	}
	err := fmt.Errorf("%d of %d documents not indexed (%d for good), first: %s",
		len(failures), ld.LogRecordCount(), permanent, failures[0].reason)
	if len(retry) == 0 {
		return consumererror.NewPermanent(err)
	}
	return consumererror.NewLogs(err, subset(ld, retry))
}

// subset copies the records of ld named in keep, with their resource and scope.
func subset(ld plog.Logs, keep map[recordRef]bool) plog.Logs {
	out := plog.NewLogs()
	rls := ld.ResourceLogs()
	for r := 0; r < rls.Len(); r++ {
		rl := rls.At(r)
		var orl plog.ResourceLogs
		sls := rl.ScopeLogs()
		for s := 0; s < sls.Len(); s++ {
			sl := sls.At(s)
			var osl plog.ScopeLogs
			lrs := sl.LogRecords()
			for l := 0; l < lrs.Len(); l++ {
				if !keep[recordRef{r, s, l}] {
					continue
				}
				if orl == (plog.ResourceLogs{}) {
					orl = out.ResourceLogs().AppendEmpty()
					rl.Resource().CopyTo(orl.Resource())
					orl.SetSchemaUrl(rl.SchemaUrl())
				}
				if osl == (plog.ScopeLogs{}) {
					osl = orl.ScopeLogs().AppendEmpty()
					sl.Scope().CopyTo(osl.Scope())
					osl.SetSchemaUrl(sl.SchemaUrl())
				}
				lrs.At(l).CopyTo(osl.LogRecords().AppendEmpty())
			}
		}
	}
	return out
}

// Document is the JSON document of one record: @timestamp (the record's
// time, else its observed time), message (the body as text), severity (when
// known), then the resource's and the record's attributes by their names
// (a record attribute wins over a resource attribute of the same name).
func Document(res pcommon.Resource, lr plog.LogRecord) ([]byte, error) {
	doc := map[string]any{}
	res.Attributes().Range(func(k string, v pcommon.Value) bool {
		doc[k] = v.AsRaw()
		return true
	})
	lr.Attributes().Range(func(k string, v pcommon.Value) bool {
		doc[k] = v.AsRaw()
		return true
	})
	ts := lr.Timestamp()
	if ts == 0 {
		ts = lr.ObservedTimestamp()
	}
	doc["@timestamp"] = ts.AsTime().UTC().Format(time.RFC3339Nano)
	doc["message"] = lr.Body().AsString()
	if s := lr.SeverityText(); s != "" {
		doc["severity"] = s
	} else if lr.SeverityNumber() != plog.SeverityNumberUnspecified {
		doc["severity"] = lr.SeverityNumber().String()
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encoding the document: %w", err)
	}
	return b, nil
}
