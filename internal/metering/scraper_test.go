package metering

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func staticSource(targets ...Target) TargetSource {
	return func(context.Context) ([]Target, error) { return targets, nil }
}

func newTestScraper(t *testing.T, source TargetSource, opts ScraperOptions) (*Scraper, *Store, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts.Registerer = reg
	store := NewStore()
	s, err := NewScraper(store, source, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, store, reg
}

func counterValue(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	if err := (<-ch).Write(&m); err != nil {
		t.Fatal(err)
	}
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	t.Fatalf("unexpected metric %v", &m)
	return 0
}

// endless writes valid exposition lines until the client goes away or limit
// bytes were written, and reports how much it wrote.
func endless(limit int64, written chan<- int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ContentTypeText)
		var n int64
		defer func() { written <- n }()
		_, _ = io.WriteString(w, "# TYPE filler gauge\n")
		line := []byte{}
		for i := 0; n < limit; i++ {
			line = fmt.Appendf(line[:0], "filler{i=\"%d\"} %d\n", i, i)
			k, err := w.Write(line)
			n += int64(k)
			if err != nil {
				return
			}
		}
	}
}

// blockUntilClientGone answers only when the client has given up.
func blockUntilClientGone(w http.ResponseWriter, r *http.Request) {
	<-r.Context().Done()
}

func TestScrapeOutcomes(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept"), "text/plain;version=0.0.4") {
			t.Errorf("Accept header %q does not ask for Prometheus text", r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", ContentTypeText)
		_, _ = io.WriteString(w, sampleText)
	})
	mux.HandleFunc("/openmetrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")
		_, _ = io.WriteString(w, "# TYPE c counter\nc_total 1 # {a=\"b\"} 1\n# EOF\n")
	})
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("/garbage", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("\x00\x01\x02 this is { not prometheus\n"))
	})
	written := make(chan int64, 1)
	mux.Handle("/huge", endless(64<<20, written))
	mux.HandleFunc("/slow", blockUntilClientGone)
	plain := httptest.NewServer(mux)
	defer plain.Close()
	secure := httptest.NewTLSServer(mux)
	defer secure.Close()

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "http://" + closed.Addr().String() + "/metrics"
	closed.Close()

	tests := []struct {
		pod, url  string
		wantError string // prefix; "" = success
		reason    string
	}{
		{"ok-http", plain.URL + "/ok", "", ""},
		{"ok-https-self-signed", secure.URL + "/ok", "", ""},
		{"ok-openmetrics", plain.URL + "/openmetrics", "", ""},
		{"http-500", plain.URL + "/500", "HTTP 500", ReasonHTTPStatus},
		{"redirect", plain.URL + "/redirect", "HTTP 302", ReasonHTTPStatus},
		{"garbage", plain.URL + "/garbage", "parse error: ", ReasonParse},
		{"huge", plain.URL + "/huge", "body larger than 1 MiB", ReasonTooLarge},
		{"https-to-plain", strings.Replace(plain.URL, "http:", "https:", 1) + "/ok", "TLS: server did not answer with TLS", ReasonTLS},
		{"refused", refusedURL, "connection refused", ReasonConnect},
		{"slow", plain.URL + "/slow", "timeout", ReasonTimeout},
		{"bad-url", "://nope", "bad URL", ReasonOther},
	}
	var targets []Target
	for _, tc := range tests {
		targets = append(targets, Target{Namespace: "ns", Server: "srv", Pod: tc.pod, URL: tc.url})
	}
	s, store, reg := newTestScraper(t, staticSource(targets...), ScraperOptions{Timeout: time.Second, MaxBodyBytes: 1 << 20})
	start := time.Now()
	if err := s.ScrapeOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Errorf("round took %v", elapsed)
	}

	byPod := map[string]TargetStatus{}
	for _, st := range store.Targets("ns", "srv") {
		byPod[st.Pod] = st
	}
	wantReasons := map[string]float64{}
	for _, tc := range tests {
		st := byPod[tc.pod]
		switch {
		case tc.wantError == "" && (st.LastError != "" || st.Families == 0 || st.LastSuccess.IsZero()):
			t.Errorf("%s: want success, got %+v", tc.pod, st)
		case tc.wantError != "" && !strings.HasPrefix(st.LastError, tc.wantError):
			t.Errorf("%s: error %q, want prefix %q", tc.pod, st.LastError, tc.wantError)
		case st.LastScrape.IsZero():
			t.Errorf("%s: no scrape time", tc.pod)
		}
		if len(st.LastError) > maxErrorText+len("…") {
			t.Errorf("%s: error text too long: %q", tc.pod, st.LastError)
		}
		if tc.reason != "" {
			wantReasons[tc.reason]++
		}
	}
	for reason, want := range wantReasons {
		if got := counterValue(t, s.metrics.errors.WithLabelValues(reason)); got != want {
			t.Errorf("errors_total{reason=%q} = %v, want %v", reason, got, want)
		}
	}
	if got := counterValue(t, s.metrics.targets); got != float64(len(tests)) {
		t.Errorf("targets gauge = %v", got)
	}
	if got := counterValue(t, s.metrics.duration); got != float64(len(tests)) {
		t.Errorf("duration histogram count = %v, want one per scrape", got)
	}
	if got := counterValue(t, s.metrics.bytes); got < float64(2*len(sampleText)) {
		t.Errorf("bytes_total = %v, want at least the two sample bodies", got)
	}
	if st := byPod["huge"]; st.Bytes != 1<<20+1 {
		t.Errorf("huge target: read %d bytes, want the cap plus one", st.Bytes)
	}

	// Every self-metric is registered under its documented name.
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range fams {
		names[mf.GetName()] = true
	}
	for _, n := range []string{"appserver_metering_scrape_duration_seconds", "appserver_metering_round_duration_seconds", "appserver_metering_scrape_errors_total", "appserver_metering_targets", "appserver_metering_scrape_bytes_total"} {
		if !names[n] {
			t.Errorf("%s not registered; have %v", n, names)
		}
	}
	sum := store.Summary("ns", "srv")
	if sum.Targets != len(tests) || sum.Healthy != 3 || !strings.HasPrefix(sum.LastError, "bad-url: bad URL (and 7 more)") {
		t.Errorf("Summary = %+v", sum)
	}
}

// TestSizeCap: a 64 MiB body is cut at the default 10 MiB and reported,
// quickly, and the server stops writing.
func TestSizeCap(t *testing.T) {
	written := make(chan int64, 1)
	srv := httptest.NewServer(endless(64<<20, written))
	defer srv.Close()
	tg := Target{Namespace: "ns", Server: "srv", Pod: "huge", URL: srv.URL}
	s, store, _ := newTestScraper(t, staticSource(tg), ScraperOptions{Timeout: 60 * time.Second})
	start := time.Now()
	if err := s.ScrapeOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	st := store.Targets("ns", "srv")[0]
	if st.LastError != "body larger than 10 MiB" || st.Families != 0 {
		t.Errorf("got %+v", st)
	}
	if elapsed > 30*time.Second {
		t.Errorf("took %v", elapsed)
	}
	select {
	case n := <-written:
		if n >= 64<<20 {
			t.Errorf("server wrote the whole %d bytes", n)
		}
	case <-time.After(30 * time.Second):
		t.Error("server still writing after the scrape ended")
	}
}

// TestSlowTargetDoesNotDelayOthers: in one round, a target that never answers
// is reported as a timeout while a fast one is scraped as soon as the round
// starts.
func TestSlowTargetDoesNotDelayOthers(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(blockUntilClientGone))
	defer slow.Close()
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "up 1\n") }))
	defer fast.Close()
	const timeout = 2 * time.Second
	var targets []Target
	for i := range 3 {
		targets = append(targets, Target{Namespace: "ns", Server: "srv", Pod: fmt.Sprintf("slow-%d", i), URL: slow.URL})
	}
	targets = append(targets, Target{Namespace: "ns", Server: "srv", Pod: "fast", URL: fast.URL})
	s, store, _ := newTestScraper(t, staticSource(targets...), ScraperOptions{Timeout: timeout})

	start := time.Now()
	if err := s.ScrapeOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < timeout || elapsed > timeout+10*time.Second {
		t.Errorf("round took %v, want about the %v timeout", elapsed, timeout)
	}
	for _, st := range store.Targets("ns", "srv") {
		if st.Pod == "fast" {
			if st.LastError != "" || st.LastSuccess.Sub(start) >= timeout {
				t.Errorf("fast target delayed or failed: %+v (round start %v)", st, start)
			}
			continue
		}
		if st.LastError != "timeout" {
			t.Errorf("%s: %q, want timeout", st.Pod, st.LastError)
		}
	}
}

func TestConcurrencyLimit(t *testing.T) {
	const limit, total = 3, 10
	var inFlight, maxInFlight atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		<-release
		inFlight.Add(-1)
		_, _ = io.WriteString(w, "up 1\n")
	}))
	defer srv.Close()
	var targets []Target
	for i := range total {
		targets = append(targets, Target{Namespace: "ns", Server: "srv", Pod: fmt.Sprintf("p%02d", i), URL: srv.URL})
	}
	s, store, _ := newTestScraper(t, staticSource(targets...), ScraperOptions{Concurrency: limit, Timeout: time.Minute})
	done := make(chan error, 1)
	go func() { done <- s.ScrapeOnce(context.Background()) }()

	waitFor(t, 30*time.Second, func() bool { return inFlight.Load() == limit })
	for range total {
		release <- struct{}{}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := maxInFlight.Load(); got != limit {
		t.Errorf("max scrapes in flight = %d, want %d", got, limit)
	}
	if sum := store.Summary("ns", "srv"); sum.Healthy != total {
		t.Errorf("Summary = %+v", sum)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestScraperForgetsGoneTargets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "up 1\n") }))
	defer srv.Close()
	var mu sync.Mutex
	current := []Target{
		{Namespace: "ns", Server: "a", Pod: "a-1", URL: srv.URL},
		{Namespace: "ns", Server: "a", Pod: "a-2", URL: srv.URL},
		{Namespace: "ns", Server: "b", Pod: "b-1", URL: srv.URL},
	}
	source := func(context.Context) ([]Target, error) {
		mu.Lock()
		defer mu.Unlock()
		return current, nil
	}
	s, store, _ := newTestScraper(t, source, ScraperOptions{})
	if err := s.ScrapeOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(store.Servers()); got != 2 {
		t.Fatalf("%d servers", got)
	}
	mu.Lock()
	current = current[:1]
	mu.Unlock()
	if err := s.ScrapeOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := store.Servers(); len(got) != 1 || got[0].Name != "a" {
		t.Errorf("servers = %v", got)
	}
	if got := store.Summary("ns", "a"); got.Targets != 1 || got.Healthy != 1 {
		t.Errorf("a: %+v", got)
	}
	snap := store.Snapshot(store.Servers())
	if n := len(snap[0].Families[0].Metric); n != 1 {
		t.Errorf("a has %d series after a-2 went away, want 1", n)
	}
}

func TestTargetSourceError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "up 1\n") }))
	defer srv.Close()
	fail := false
	boom := errors.New("boom")
	source := func(context.Context) ([]Target, error) {
		if fail {
			return nil, boom
		}
		return []Target{{Namespace: "ns", Server: "a", Pod: "a-1", URL: srv.URL}}, nil
	}
	called := 0
	s, store, _ := newTestScraper(t, source, ScraperOptions{OnScrape: func() { called++ }})
	if err := s.ScrapeOnce(context.Background()); err != nil || called != 1 {
		t.Fatalf("err %v, OnScrape called %d times", err, called)
	}
	fail = true
	if err := s.ScrapeOnce(context.Background()); !errors.Is(err, boom) {
		t.Errorf("err = %v, want it to wrap the source's", err)
	}
	if got := store.Summary("ns", "a"); got.Targets != 1 || got.Healthy != 1 {
		t.Errorf("a failed listing must keep the previous results: %+v", got)
	}
	if called != 1 {
		t.Errorf("OnScrape called after a failed round")
	}
	if got := counterValue(t, s.metrics.errors.WithLabelValues(ReasonTargets)); got != 1 {
		t.Errorf("errors_total{reason=targets} = %v", got)
	}
	if got := counterValue(t, s.metrics.round); got != 1 {
		t.Errorf("round duration histogram count = %v, want only the complete round", got)
	}
}

// TestRoundDuration: each complete round is observed once, and lasts as long
// as its slowest scrape; an interrupted round is not observed.
func TestRoundDuration(t *testing.T) {
	const delay = 300 * time.Millisecond
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
			_, _ = io.WriteString(w, "up 1\n")
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "up 1\n") }))
	defer fast.Close()
	s, _, _ := newTestScraper(t, staticSource(
		Target{Namespace: "ns", Server: "srv", Pod: "fast", URL: fast.URL},
		Target{Namespace: "ns", Server: "srv", Pod: "slow", URL: slow.URL},
	), ScraperOptions{})
	for range 2 {
		if err := s.ScrapeOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	var m dto.Metric
	if err := s.metrics.round.Write(&m); err != nil {
		t.Fatal(err)
	}
	h := m.GetHistogram()
	if h.GetSampleCount() != 2 {
		t.Fatalf("round duration count = %d, want 2 (one per round)", h.GetSampleCount())
	}
	if sum := h.GetSampleSum(); sum < 2*delay.Seconds() || sum > 2*(delay+10*time.Second).Seconds() {
		t.Errorf("round duration sum = %vs, want two rounds of about the slow scrape's %v", sum, delay)
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(delay / 3); cancel() }()
	if err := s.ScrapeOnce(ctx); err == nil {
		t.Fatal("an interrupted round returned no error")
	}
	if got := counterValue(t, s.metrics.round); got != 2 {
		t.Errorf("round duration count = %v after an interrupted round, want still 2", got)
	}
}

func TestStartAndSetTiming(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "up 1\n") }))
	defer srv.Close()
	rounds := make(chan struct{}, 10)
	s, _, _ := newTestScraper(t, staticSource(Target{Namespace: "ns", Server: "a", Pod: "a-1", URL: srv.URL}),
		ScraperOptions{Interval: time.Hour, OnScrape: func() { rounds <- struct{}{} }})
	if !s.NeedLeaderElection() {
		t.Error("the scraper must run on the leader only")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()

	waitRound := func(what string) {
		t.Helper()
		select {
		case <-rounds:
		case <-time.After(30 * time.Second):
			t.Fatalf("no round %s", what)
		}
	}
	waitRound("at start")
	// With an hour's interval nothing else would happen; a shorter one
	// starts the next round at once, and keeps going.
	s.SetTiming(10*time.Millisecond, 5*time.Second)
	waitRound("after SetTiming")
	waitRound("on the new interval")
	if iv, to := s.timing(); iv != 10*time.Millisecond || to != 5*time.Second {
		t.Errorf("timing = %v, %v", iv, to)
	}
	s.SetTiming(0, 0) // keeps both
	if iv, to := s.timing(); iv != 10*time.Millisecond || to != 5*time.Second {
		t.Errorf("SetTiming(0, 0) changed timing to %v, %v", iv, to)
	}
	s.SetTiming(time.Hour, 0)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Start returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Start did not return after cancel")
	}
}

func TestCABundle(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "up 1\n") }))
	defer srv.Close()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pem")
	if err := os.WriteFile(good, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	other := writeKeyPair(t, dir, time.Now())
	wrong := filepath.Join(dir, "wrong.pem")
	if err := os.WriteFile(wrong, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, caFile, wantError string
	}{
		{"no bundle: not verified", "", ""},
		{"matching bundle", good, ""},
		{"other CA", wrong, "TLS: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, store, _ := newTestScraper(t, staticSource(Target{Namespace: "ns", Server: "a", Pod: "a-1", URL: srv.URL}), ScraperOptions{CAFile: tc.caFile})
			if err := s.ScrapeOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := store.Targets("ns", "a")[0].LastError
			if (tc.wantError == "") != (got == "") || !strings.HasPrefix(got, tc.wantError) {
				t.Errorf("error %q, want prefix %q", got, tc.wantError)
			}
		})
	}
	if _, err := NewScraper(NewStore(), staticSource(), ScraperOptions{CAFile: filepath.Join(dir, "missing.pem")}); err == nil {
		t.Error("a missing CA file must be an error")
	}
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewScraper(NewStore(), staticSource(), ScraperOptions{CAFile: notPEM}); err == nil {
		t.Error("a CA file without certificates must be an error")
	}
}

func TestNewScraperRegistersOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewScraper(NewStore(), staticSource(), ScraperOptions{Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewScraper(NewStore(), staticSource(), ScraperOptions{Registerer: reg}); err == nil {
		t.Error("registering twice must fail")
	}
}
