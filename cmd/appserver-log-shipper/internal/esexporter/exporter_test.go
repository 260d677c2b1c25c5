package esexporter

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// bulkServer is a stand-in for the Elasticsearch bulk API: it records the
// documents and answers each with the status status(message) picks.
type bulkServer struct {
	mu     sync.Mutex
	docs   []map[string]any
	paths  []string
	auth   []string
	index  []string // of each action line
	status func(message string) int
}

func (b *bulkServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.paths = append(b.paths, r.URL.Path)
	user, pass, _ := r.BasicAuth()
	b.auth = append(b.auth, user+":"+pass)
	type item struct {
		Status int `json:"status"`
		Error  *struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"error,omitempty"`
	}
	var items []map[string]item
	errs := false
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() { // action line, then document line
		var action map[string]struct {
			Index string `json:"_index"`
		}
		if err := json.Unmarshal(sc.Bytes(), &action); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b.index = append(b.index, action["create"].Index)
		if !sc.Scan() {
			break
		}
		var doc map[string]any
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		st := http.StatusCreated
		if b.status != nil {
			st = b.status(fmt.Sprint(doc["message"]))
		}
		it := item{Status: st}
		if st >= 300 {
			errs = true
			it.Error = &struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			}{"test_exception", "refused by the test"}
		} else {
			b.docs = append(b.docs, doc)
		}
		items = append(items, map[string]item{"create": it})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"took": 1, "errors": errs, "items": items})
}

func logs(messages ...string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "shop")
	rl.Resource().Attributes().PutStr("k8s.pod.name", "shop-0")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for i, m := range messages {
		lr := lrs.AppendEmpty()
		lr.Body().SetStr(m)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 1, 2, 3, 4, 5, i, time.UTC)))
		lr.Attributes().PutStr("log.file.path", "/logs/server.log")
	}
	return ld
}

func startExporter(t *testing.T, url string, mutate func(*Config)) *esExporter {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = []string{url}
	cfg.TLS = configtls.NewDefaultClientConfig()
	if mutate != nil {
		mutate(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	e := newExporter(cfg)
	if err := e.start(context.Background(), nil); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = e.shutdown(context.Background()) })
	return e
}

func TestPushIndexesEveryRecord(t *testing.T) {
	srv := &bulkServer{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	e := startExporter(t, ts.URL+"/insert/elasticsearch", func(c *Config) {
		c.User, c.Password, c.Index = "shipper", "s3cret", "webotx"
	})

	if err := e.push(context.Background(), logs("one", "two\n\tat x.y(Z.java:1)")); err != nil {
		t.Fatalf("push: %v", err)
	}
	if len(srv.docs) != 2 {
		t.Fatalf("got %d documents, want 2", len(srv.docs))
	}
	want := map[string]any{
		"@timestamp":    "2026-01-02T03:04:05.000000001Z",
		"message":       "two\n\tat x.y(Z.java:1)",
		"service.name":  "shop",
		"k8s.pod.name":  "shop-0",
		"log.file.path": "/logs/server.log",
	}
	for k, v := range want {
		if srv.docs[1][k] != v {
			t.Errorf("document[%q] = %v, want %v", k, srv.docs[1][k], v)
		}
	}
	for i, ix := range srv.index {
		if ix != "webotx" {
			t.Errorf("action %d: index %q, want webotx", i, ix)
		}
	}
	for i, p := range srv.paths {
		if p != "/insert/elasticsearch/_bulk" {
			t.Errorf("request %d went to %s, want the bulk API under the path prefix", i, p)
		}
		if srv.auth[i] != "shipper:s3cret" {
			t.Errorf("request %d: basic auth %q", i, srv.auth[i])
		}
	}
}

func TestPushHandsBackOnlyRetryableRecords(t *testing.T) {
	srv := &bulkServer{status: func(m string) int {
		switch {
		case strings.HasPrefix(m, "busy"):
			return http.StatusTooManyRequests
		case strings.HasPrefix(m, "bad"):
			return http.StatusBadRequest
		}
		return http.StatusCreated
	}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	e := startExporter(t, ts.URL, nil)

	err := e.push(context.Background(), logs("ok", "busy 1", "bad", "busy 2"))
	var le consumererror.Logs
	if !errors.As(err, &le) {
		t.Fatalf("push error = %v, want a consumererror.Logs", err)
	}
	if consumererror.IsPermanent(err) {
		t.Errorf("error is permanent, want retryable: %v", err)
	}
	retry := le.Data()
	if retry.LogRecordCount() != 2 {
		t.Fatalf("records to retry = %d, want 2", retry.LogRecordCount())
	}
	lrs := retry.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i, want := range []string{"busy 1", "busy 2"} {
		if got := lrs.At(i).Body().Str(); got != want {
			t.Errorf("retry record %d = %q, want %q", i, got, want)
		}
	}
	if got := retry.ResourceLogs().At(0).Resource().Attributes().AsRaw()["service.name"]; got != "shop" {
		t.Errorf("retry records lost their resource: service.name = %v", got)
	}
}

// TestPushSplitsAtFlushBytes: a push larger than flush_bytes goes in
// several bulk requests, and a refusal in a later request hands back the
// right record.
func TestPushSplitsAtFlushBytes(t *testing.T) {
	srv := &bulkServer{status: func(m string) int {
		if m == "busy" {
			return http.StatusServiceUnavailable
		}
		return http.StatusCreated
	}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	e := startExporter(t, ts.URL, func(c *Config) { c.FlushBytes = 1 }) // one document per request

	err := e.push(context.Background(), logs("a", "b", "busy", "c"))
	var le consumererror.Logs
	if !errors.As(err, &le) {
		t.Fatalf("push error = %v, want a consumererror.Logs", err)
	}
	if n := len(srv.paths); n != 4 {
		t.Errorf("%d bulk requests, want 4 (one per document)", n)
	}
	if len(srv.docs) != 3 {
		t.Errorf("%d documents indexed, want 3", len(srv.docs))
	}
	retry := le.Data()
	if retry.LogRecordCount() != 1 || retry.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().Str() != "busy" {
		t.Errorf("records to retry: %d, want only \"busy\"", retry.LogRecordCount())
	}
}

// TestPushRetriesARefusedRequest: a bulk request refused as a whole (an
// error status, not per-document statuses) hands back every record of it.
func TestPushRetriesARefusedRequest(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusBadGateway} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "not now", status)
		}))
		e := startExporter(t, ts.URL, nil)
		err := e.push(context.Background(), logs("a", "b"))
		ts.Close()
		var le consumererror.Logs
		if !errors.As(err, &le) || le.Data().LogRecordCount() != 2 {
			t.Errorf("status %d: push error = %v, want both records handed back for retry", status, err)
			continue
		}
		if !strings.Contains(err.Error(), strconv.Itoa(status)) || !strings.Contains(err.Error(), "not now") {
			t.Errorf("status %d: the error %q does not say what the store answered", status, err)
		}
	}
}

// TestPushReusesItsConnection: each bulk response is read to its end, so
// the next request goes on the same connection.
func TestPushReusesItsConnection(t *testing.T) {
	srv := &bulkServer{}
	ts := httptest.NewUnstartedServer(srv)
	var conns atomic.Int32
	ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	ts.Start()
	defer ts.Close()
	e := startExporter(t, ts.URL, nil)
	for i := range 5 {
		if err := e.push(context.Background(), logs(fmt.Sprint("push ", i))); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("5 pushes opened %d connections, want 1", n)
	}
}

func TestPushPermanentWhenNothingIsRetryable(t *testing.T) {
	srv := &bulkServer{status: func(string) int { return http.StatusBadRequest }}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	e := startExporter(t, ts.URL, nil)

	err := e.push(context.Background(), logs("bad"))
	if !consumererror.IsPermanent(err) {
		t.Fatalf("push error = %v, want permanent", err)
	}
}

func TestPushRetriesWhenTheStoreIsDown(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close() // nothing listens there any more
	e := startExporter(t, url, nil)

	err := e.push(context.Background(), logs("a", "b"))
	var le consumererror.Logs
	if !errors.As(err, &le) || le.Data().LogRecordCount() != 2 {
		t.Fatalf("push error = %v, want both records handed back for retry", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func(*Config)
		want   string
	}{
		"no endpoint":       {func(c *Config) { c.Endpoints = nil }, "endpoints"},
		"not a URL":         {func(c *Config) { c.Endpoints = []string{"es:9200"} }, "endpoints"},
		"empty index":       {func(c *Config) { c.Index = "" }, "index"},
		"password, no user": {func(c *Config) { c.Password = "x" }, "password"},
		"valid":             {func(*Config) {}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.Endpoints = []string{"https://es.example:9200/prefix"}
			tc.mutate(cfg)
			err := cfg.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error about %s", err, tc.want)
			}
		})
	}
}
