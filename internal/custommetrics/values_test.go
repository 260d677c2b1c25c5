package custommetrics

import (
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/appserver-operator/appserver-operator/internal/metering"
)

func counterFamily(name string, values map[string]float64) *dto.MetricFamily {
	f := &dto.MetricFamily{Name: proto.String(name), Type: dto.MetricType_COUNTER.Enum()}
	for path, v := range values {
		f.Metric = append(f.Metric, &dto.Metric{
			Label:   []*dto.LabelPair{{Name: proto.String("path"), Value: proto.String(path)}},
			Counter: &dto.Counter{Value: proto.Float64(v)},
		})
	}
	return f
}

func gaugeFamily(name string, values map[string]float64) *dto.MetricFamily {
	f := &dto.MetricFamily{Name: proto.String(name), Type: dto.MetricType_GAUGE.Enum()}
	for pool, v := range values {
		f.Metric = append(f.Metric, &dto.Metric{
			Label: []*dto.LabelPair{{Name: proto.String("pool"), Value: proto.String(pool)}},
			Gauge: &dto.Gauge{Value: proto.Float64(v)},
		})
	}
	return f
}

func TestValue(t *testing.T) {
	t0 := time.Unix(10000, 0)
	interval := 10 * time.Second
	maxAge := StaleAfter * interval
	scrape := func(at time.Time, fams ...*dto.MetricFamily) []*dto.MetricFamily { return fams }
	pod := func(prevAt time.Time, prev []*dto.MetricFamily, at time.Time, cur []*dto.MetricFamily) metering.PodScrape {
		return metering.PodScrape{Namespace: "ns", Server: "web", Pod: "web-1", Families: cur, At: at, Previous: prev, PreviousAt: prevAt}
	}
	req := func(a, b float64) *dto.MetricFamily {
		return counterFamily("http_requests_total", map[string]float64{"/a": a, "/b": b})
	}
	busy := gaugeFamily("busy_threads", map[string]float64{"http": 7, "ejb": 2})
	onlyA := labels.SelectorFromSet(labels.Set{"path": "/a"})

	cases := []struct {
		name     string
		pod      metering.PodScrape
		metric   string
		selector labels.Selector
		now      time.Time
		want     float64
		window   time.Duration
		ok       bool
	}{
		{"gauge as scraped, summed over its series", pod(time.Time{}, nil, t0, scrape(t0, busy)), "busy_threads", nil, t0, 9, 0, true},
		{"gauge series picked by the metric selector", pod(time.Time{}, nil, t0, scrape(t0, busy)),
			"busy_threads", labels.SelectorFromSet(labels.Set{"pool": "ejb"}), t0, 2, 0, true},
		{"no series matches the selector", pod(time.Time{}, nil, t0, scrape(t0, busy)),
			"busy_threads", labels.SelectorFromSet(labels.Set{"pool": "none"}), t0, 0, 0, false},
		{"counter: per-second rate over the last two scrapes", pod(t0, scrape(t0, req(100, 50)), t0.Add(interval), scrape(t0, req(200, 70))),
			"http_requests_per_second", nil, t0.Add(interval), 12, interval, true},
		{"counter series picked by the selector", pod(t0, scrape(t0, req(100, 50)), t0.Add(interval), scrape(t0, req(200, 70))),
			"http_requests_per_second", onlyA, t0.Add(interval), 10, interval, true},
		{"counter reset: counted from zero", pod(t0, scrape(t0, req(100, 50)), t0.Add(interval), scrape(t0, req(30, 70))),
			"http_requests_per_second", nil, t0.Add(interval), 5, interval, true},
		{"missed scrapes: the rate spans the gap", pod(t0, scrape(t0, req(100, 50)), t0.Add(4*interval), scrape(t0, req(500, 50))),
			"http_requests_per_second", nil, t0.Add(4 * interval), 10, 4 * interval, true},
		{"counter with one scrape only has no rate", pod(time.Time{}, nil, t0, scrape(t0, req(1, 1))),
			"http_requests_per_second", nil, t0, 0, 0, false},
		{"a series new since the previous scrape is left out",
			pod(t0, scrape(t0, counterFamily("http_requests_total", map[string]float64{"/a": 100})), t0.Add(interval), scrape(t0, req(110, 1e6))),
			"http_requests_per_second", nil, t0.Add(interval), 1, interval, true},
		{"counter not under its own name", pod(t0, scrape(t0, req(1, 1)), t0.Add(interval), scrape(t0, req(2, 2))),
			"http_requests_total", nil, t0.Add(interval), 0, 0, false},
		{"stale: last success older than 3 intervals", pod(time.Time{}, nil, t0, scrape(t0, busy)), "busy_threads", nil, t0.Add(maxAge + time.Millisecond), 0, 0, false},
		{"exactly 3 intervals old is still served", pod(time.Time{}, nil, t0, scrape(t0, busy)), "busy_threads", nil, t0.Add(maxAge), 9, 0, true},
		{"stale counter has no rate either", pod(t0, scrape(t0, req(1, 1)), t0.Add(interval), scrape(t0, req(2, 2))),
			"http_requests_per_second", nil, t0.Add(interval + maxAge + time.Second), 0, 0, false},
		{"never scraped", pod(time.Time{}, nil, time.Time{}, nil), "busy_threads", nil, t0, 0, 0, false},
		{"unknown metric", pod(time.Time{}, nil, t0, scrape(t0, busy)), "nope", nil, t0, 0, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Value(c.pod, c.metric, c.selector, c.now, maxAge)
			if ok != c.ok {
				t.Fatalf("Value() ok = %v, want %v (value %v)", ok, c.ok, got.Value)
			}
			if !ok {
				return
			}
			if got.Value != c.want || got.Window != c.window || !got.At.Equal(c.pod.At) {
				t.Errorf("Value() = %+v, want value %v over %v at %v", got, c.want, c.window, c.pod.At)
			}
		})
	}
}

func TestMetricName(t *testing.T) {
	for _, c := range []struct {
		family *dto.MetricFamily
		want   string
		ok     bool
	}{
		{gaugeFamily("base_thread_count", nil), "base_thread_count", true},
		{counterFamily("application_requests_total", nil), "application_requests_per_second", true},
		{counterFamily("base_gc_time_total_seconds", nil), "base_gc_time_total_seconds_per_second", true},
		{&dto.MetricFamily{Name: proto.String("u"), Type: dto.MetricType_UNTYPED.Enum()}, "u", true},
		{&dto.MetricFamily{Name: proto.String("h"), Type: dto.MetricType_HISTOGRAM.Enum()}, "", false},
		{&dto.MetricFamily{Name: proto.String("s"), Type: dto.MetricType_SUMMARY.Enum()}, "", false},
	} {
		if got, ok := MetricName(c.family); got != c.want || ok != c.ok {
			t.Errorf("MetricName(%s %v) = %q, %v; want %q, %v", c.family.GetName(), c.family.GetType(), got, ok, c.want, c.ok)
		}
	}
}
