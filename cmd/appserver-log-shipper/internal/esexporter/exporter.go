package esexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
)

type esExporter struct {
	cfg       *Config
	transport *http.Transport
	client    *elastictransport.Client
	// action is the bulk action line that precedes every document.
	action []byte
}

// newExporter returns the exporter of cfg. It logs nothing itself: what a
// push returns, the exporter helper logs (and retries, or drops).
func newExporter(cfg *Config) *esExporter {
	return &esExporter{cfg: cfg}
}

func (e *esExporter) start(ctx context.Context, _ component.Host) error {
	tlsCfg, err := e.cfg.TLS.LoadTLSConfig(ctx)
	if err != nil {
		return fmt.Errorf("loading the TLS configuration: %w", err)
	}
	e.transport = http.DefaultTransport.(*http.Transport).Clone()
	e.transport.TLSClientConfig = tlsCfg
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
	e.client, err = elastictransport.New(elastictransport.Config{ //nolint:staticcheck // New is deprecated for NewClient but "fully functional"; moving is a change of its own, tested against the store
		URLs:     urls,
		Username: e.cfg.User,
		Password: string(e.cfg.Password),
		Header:   header,
		// Retries of whole requests are the exporter helper's job (with
		// back-off, bounded by retry_on_failure); the transport tries once.
		DisableRetry: true,
		Transport:    e.transport,
	})
	if err != nil {
		return fmt.Errorf("creating the Elasticsearch transport: %w", err)
	}
	// The index goes in each action line, not the URL: the requests go to
	// <prefix>/_bulk, the path VictoriaLogs serves too.
	index, err := json.Marshal(e.cfg.Index)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	e.action = fmt.Appendf(nil, `{"create":{"_index":%s}}`+"\n", index)
	return nil
}

func (e *esExporter) shutdown(context.Context) error {
	if e.transport != nil {
		e.transport.CloseIdleConnections()
	}
	return nil
}

// failure is the outcome of one document that was not indexed.
type failure struct {
	ref       recordRef
	retryable bool
	reason    string
}

type recordRef struct{ r, s, l int }

// push indexes every record of ld, in bulk requests of about flush_bytes,
// and returns once each was accepted or refused. Retryable refusals come
// back as a consumererror.Logs holding only those records, so a retry does
// not resend the accepted ones.
func (e *esExporter) push(ctx context.Context, ld plog.Logs) error {
	// Each request gets a body of its own, sized for it: an HTTP transport
	// may still read a request's body after the response came (a store
	// that answers early), so a body is never reused.
	sizeHint := min(ld.LogRecordCount()*512, e.cfg.FlushBytes+e.cfg.FlushBytes/4)
	var (
		failures []failure
		refs     []recordRef
		body     []byte
	)
	send := func() {
		failures = append(failures, e.send(ctx, body, refs)...)
		body, refs = nil, refs[:0]
	}
	rls := ld.ResourceLogs()
	for r := 0; r < rls.Len(); r++ {
		rl := rls.At(r)
		sls := rl.ScopeLogs()
		for s := 0; s < sls.Len(); s++ {
			lrs := sls.At(s).LogRecords()
			for l := 0; l < lrs.Len(); l++ {
				ref := recordRef{r, s, l}
				if body == nil {
					body = make([]byte, 0, sizeHint)
				}
				n := len(body)
				var err error
				body, err = appendDocument(append(body, e.action...), rl.Resource(), lrs.At(l))
				if err != nil {
					body = body[:n]
					failures = append(failures, failure{ref: ref, reason: err.Error()})
					continue
				}
				body = append(body, '\n')
				refs = append(refs, ref)
				if len(body) >= e.cfg.FlushBytes {
					send()
				}
			}
		}
	}
	if len(refs) > 0 {
		send()
	}
	return result(ld, failures)
}

// bulkItem is the outcome of one document in a bulk response.
type bulkItem struct {
	Status int `json:"status"`
	Error  *struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} `json:"error"`
}

// send makes one bulk request of body, whose documents are refs in order,
// and returns the documents that were not indexed. A request that fails
// as a whole (no answer, an error status) fails every document in it,
// retryably: the store may be starting, overloaded, or waiting for a
// Secret to be corrected.
func (e *esExporter) send(ctx context.Context, body []byte, refs []recordRef) []failure {
	all := func(reason string) []failure {
		fs := make([]failure, len(refs))
		for i, ref := range refs {
			fs[i] = failure{ref: ref, retryable: true, reason: reason}
		}
		return fs
	}
	res, err := esapi.BulkRequest{
		Body: bytes.NewReader(body),
		// Only what push reads: less to send back and parse.
		FilterPath: []string{"errors", "items.*.status", "items.*.error"},
	}.Do(ctx, e.client)
	if err != nil {
		return all(err.Error())
	}
	defer func() {
		// Read to the end, so the connection is reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
		_ = res.Body.Close()
	}()
	if res.IsError() {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return all(fmt.Sprintf("bulk request: %s: %s", res.Status(), bytes.TrimSpace(msg)))
	}
	var reply struct {
		Errors bool `json:"errors"`
		// Parsed only when errors is true: most replies are all successes.
		Items json.RawMessage `json:"items"`
	}
	if err := json.NewDecoder(res.Body).Decode(&reply); err != nil {
		return all(fmt.Sprintf("reading the bulk response: %v", err))
	}
	if !reply.Errors {
		return nil
	}
	var items []map[string]bulkItem
	if err := json.Unmarshal(reply.Items, &items); err != nil || len(items) != len(refs) {
		return all(fmt.Sprintf("the bulk response has errors and %d items for %d documents (%v)", len(items), len(refs), err))
	}
	var fs []failure
	for i, it := range items {
		for _, item := range it { // one action per item: "create"
			if item.Status < 300 && item.Error == nil {
				continue
			}
			f := failure{ref: refs[i], retryable: retryable(item.Status)}
			if item.Error != nil {
				f.reason = fmt.Sprintf("status %d: %s: %s", item.Status, item.Error.Type, item.Error.Reason)
			} else {
				f.reason = fmt.Sprintf("status %d", item.Status)
			}
			fs = append(fs, f)
		}
	}
	return fs
}

// retryable tells whether a document refused with this status may succeed
// when sent again.
func retryable(status int) bool {
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
