package standin

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func parse(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("not valid Prometheus text: %v", err)
	}
	return fams
}

func TestWriteMetrics(t *testing.T) {
	var early, late bytes.Buffer
	if err := WriteMetrics(&early, "web-1", time.Second, 1); err != nil {
		t.Fatal(err)
	}
	if err := WriteMetrics(&late, "web-1", time.Hour, 50); err != nil {
		t.Fatal(err)
	}
	if early.String() == late.String() {
		t.Error("values do not change over time")
	}
	fams := parse(t, &early)
	want := map[string]dto.MetricType{
		"base_gc_total":                        dto.MetricType_COUNTER,
		"base_memory_usedHeap_bytes":           dto.MetricType_GAUGE,
		"vendor_threadpool_active":             dto.MetricType_GAUGE,
		"application_request_duration_seconds": dto.MetricType_HISTOGRAM,
	}
	for name, typ := range want {
		mf, ok := fams[name]
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		if mf.GetType() != typ || mf.GetHelp() == "" {
			t.Errorf("%s: type %v, help %q", name, mf.GetType(), mf.GetHelp())
		}
	}
	if n := len(fams["application_request_duration_seconds"].Metric[0].Histogram.Bucket); n < 5 {
		t.Errorf("histogram has %d buckets", n)
	}
	for name, mf := range fams {
		for _, m := range mf.Metric {
			found := false
			for _, lp := range m.Label {
				found = found || (lp.GetName() == "server" && lp.GetValue() == "web-1")
			}
			if !found {
				t.Errorf("%s: sample without server=\"web-1\": %v", name, m)
			}
		}
	}
	later := parse(t, &late)
	gc := func(f map[string]*dto.MetricFamily) float64 { return f["base_gc_total"].Metric[0].Counter.GetValue() }
	if gc(later) <= gc(fams) {
		t.Errorf("counter did not grow: %v then %v", gc(fams), gc(later))
	}
}

func httpsClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		DisableKeepAlives: true,
	}}
}

func listen(t *testing.T, addr string, opts Options) *Endpoint {
	t.Helper()
	ep, err := Listen(addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return ep
}

func TestEndpointModes(t *testing.T) {
	tests := []struct {
		name  string
		mode  Mode
		plain bool
		check func(t *testing.T, resp *http.Response, err error)
	}{
		{"normal", ModeNormal, false, func(t *testing.T, resp *http.Response, err error) {
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%v %v", resp, err)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
				t.Errorf("Content-Type %q", ct)
			}
			if fams := parse(t, resp.Body); len(fams) < 5 {
				t.Errorf("only %d families", len(fams))
			}
		}},
		{"normal over plain HTTP", ModeNormal, true, func(t *testing.T, resp *http.Response, err error) {
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%v %v", resp, err)
			}
			parse(t, resp.Body)
		}},
		{"slow", ModeSlow, false, func(t *testing.T, resp *http.Response, err error) {
			var netErr net.Error
			if !errors.As(err, &netErr) || !netErr.Timeout() {
				t.Errorf("want a client timeout, got %v %v", resp, err)
			}
		}},
		{"huge", ModeHuge, false, func(t *testing.T, resp *http.Response, err error) {
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%v %v", resp, err)
			}
			br := bufio.NewReaderSize(resp.Body, 1<<20)
			head, _ := br.Peek(1 << 20)
			parse(t, bytes.NewReader(head[:bytes.LastIndexByte(head, '\n')+1]))
			n, err := io.Copy(io.Discard, br)
			if err != nil || n < HugeBytes || n > HugeBytes+1024 {
				t.Errorf("streamed %d bytes (%v), want about %d", n, err, HugeBytes)
			}
		}},
		{"garbage", ModeGarbage, false, func(t *testing.T, resp *http.Response, err error) {
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%v %v", resp, err)
			}
			p := expfmt.NewTextParser(model.LegacyValidation)
			if _, err := p.TextToMetricFamilies(resp.Body); err == nil {
				t.Error("garbage parses as Prometheus text")
			}
		}},
		{"500", Mode500, false, func(t *testing.T, resp *http.Response, err error) {
			if err != nil || resp.StatusCode != 500 {
				t.Errorf("%v %v", resp, err)
			}
		}},
		{"tls-error over HTTPS", ModeTLSError, false, func(t *testing.T, resp *http.Response, err error) {
			if err == nil || !strings.Contains(err.Error(), "HTTP response to HTTPS client") {
				t.Errorf("want a TLS error, got %v %v", resp, err)
			}
		}},
		{"tls-error over HTTP", ModeTLSError, true, func(t *testing.T, resp *http.Response, err error) {
			if err == nil {
				t.Errorf("want an error, got %v", resp)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ep := listen(t, "127.0.0.1:0", Options{Pod: "web-1", Mode: tc.mode, PlainHTTP: tc.plain, SlowFor: time.Hour})
			if want := map[bool]string{true: "http://", false: "https://"}[tc.plain]; !strings.HasPrefix(ep.URL(), want) {
				t.Errorf("URL %s", ep.URL())
			}
			timeout := time.Minute
			if tc.mode == ModeSlow {
				timeout = time.Second
			}
			resp, err := httpsClient(timeout).Get(ep.URL())
			if resp != nil {
				defer resp.Body.Close()
			}
			tc.check(t, resp, err)
		})
	}
}

func TestHealthAndModeSwitch(t *testing.T) {
	ep := listen(t, "127.0.0.1:0", Options{Pod: "web-1"})
	client := httpsClient(30 * time.Second)
	base := strings.TrimSuffix(ep.URL(), "/metrics")
	for _, p := range []string{"/health/live", "/health/ready", "/health/started"} {
		resp, err := client.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"status":"UP"`) {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	ep.SetMode(Mode500)
	resp, err := client.Get(ep.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 {
		t.Errorf("after SetMode(500): %d", resp.StatusCode)
	}
}

// TestSlowStopsWhenClientLeaves: Close does not wait for a slow answer and a
// client that gives up frees the handler.
func TestSlowStopsWhenClientLeaves(t *testing.T) {
	ep := listen(t, "127.0.0.1:0", Options{Pod: "web-1", Mode: ModeSlow})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", ep.URL(), nil)
	errc := make(chan error, 1)
	go func() {
		resp, err := httpsClient(0).Do(req)
		if resp != nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	for ep.scrapes.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("client error %v", err)
	}
	start := time.Now()
	if err := ep.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Close took %v", d)
	}
}

func TestListenRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "10.1.2.3:0", "[::1]:0", "localhost:0", ":0", "127.0.0.1"} {
		if ep, err := Listen(addr, Options{}); err == nil {
			ep.Close()
			t.Errorf("Listen(%q) succeeded", addr)
		}
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": ModeNormal, "normal": ModeNormal, "slow": ModeSlow, "huge": ModeHuge, "garbage": ModeGarbage, "500": Mode500, "tls-error": ModeTLSError} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseMode("fast"); err == nil {
		t.Error("ParseMode(fast) succeeded")
	}
}

func pod(name, ip string, phase corev1.PodPhase, annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, Annotations: annotations},
		Status:     corev1.PodStatus{Phase: phase, PodIP: ip},
	}
}

func TestManager(t *testing.T) {
	m := NewManager(ManagerOptions{Port: 0, Logger: slog.New(slog.DiscardHandler)})
	defer m.Close()
	get := func(ep *Endpoint) (int, error) {
		resp, err := httpsClient(30 * time.Second).Get(ep.URL())
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		if resp.StatusCode == 200 {
			fams := parse(t, resp.Body)
			if v := fams["base_thread_count"].Metric[0].Label[0].GetValue(); v != "web-1" {
				t.Errorf("server label %q", v)
			}
		}
		return resp.StatusCode, nil
	}

	m.Sync(pod("web-1", "127.0.77.1", corev1.PodPending, nil))
	if m.Len() != 0 {
		t.Fatal("serving a pending pod")
	}
	m.Sync(pod("web-1", "127.0.77.1", corev1.PodRunning, nil))
	ep := m.Endpoint("shop", "web-1")
	if ep == nil || !strings.HasPrefix(ep.Addr().String(), "127.0.77.1:") {
		t.Fatalf("endpoint %v", ep)
	}
	if code, err := get(ep); err != nil || code != 200 {
		t.Fatalf("%d %v", code, err)
	}

	// A mode change keeps the endpoint.
	m.Sync(pod("web-1", "127.0.77.1", corev1.PodRunning, map[string]string{AnnotationMode: "500"}))
	if m.Endpoint("shop", "web-1") != ep {
		t.Fatal("endpoint replaced on a mode change")
	}
	if code, _ := get(ep); code != 500 {
		t.Errorf("mode annotation ignored: %d", code)
	}
	// An unknown mode means normal.
	m.Sync(pod("web-1", "127.0.77.1", corev1.PodRunning, map[string]string{AnnotationMode: "bogus"}))
	if code, _ := get(ep); code != 200 {
		t.Errorf("bogus mode: %d", code)
	}

	// A new IP moves the endpoint; the old address stops answering.
	m.Sync(pod("web-1", "127.0.77.2", corev1.PodRunning, nil))
	moved := m.Endpoint("shop", "web-1")
	if moved == ep || !strings.HasPrefix(moved.Addr().String(), "127.0.77.2:") {
		t.Fatalf("endpoint not moved: %v", moved.Addr())
	}
	if _, err := get(ep); err == nil {
		t.Error("old endpoint still answers")
	}

	// A non-loopback IP is refused, and closes what was served.
	m.Sync(pod("web-1", "10.0.0.7", corev1.PodRunning, nil))
	if m.Len() != 0 {
		t.Error("serving a non-loopback pod IP")
	}
	m.Sync(pod("web-1", "127.0.77.2", corev1.PodRunning, nil))
	again := m.Endpoint("shop", "web-1")
	if again == nil {
		t.Fatal("not serving after the IP came back to loopback")
	}

	// Leaving Running closes it.
	m.Sync(pod("web-1", "127.0.77.2", corev1.PodSucceeded, nil))
	if m.Len() != 0 {
		t.Error("serving a pod that left Running")
	}
	if _, err := get(again); err == nil {
		t.Error("closed endpoint still answers")
	}

	// Remove closes it too.
	m.Sync(pod("web-2", "127.0.77.3", corev1.PodRunning, nil))
	m.Remove("shop", "web-2")
	if m.Len() != 0 {
		t.Error("Remove left the endpoint")
	}
}
