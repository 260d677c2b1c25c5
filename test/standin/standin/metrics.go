package standin

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"
)

// requestBuckets are the upper bounds of application_request_duration_seconds.
var requestBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// WriteMetrics writes MicroProfile-Metrics-style Prometheus text (0.0.4) for
// a server that has been up for uptime and is being scraped for the n-th
// time. Every sample carries server="<pod>". Values are a deterministic
// function of uptime and n, and grow or move with them: counters and the
// histogram only increase.
func WriteMetrics(w io.Writer, pod string, uptime time.Duration, n uint64) error {
	secs := uptime.Seconds()
	requests := n*17 + uint64(secs)
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range []*dto.MetricFamily{
		family("base_gc_total", "Displays the total number of collections that have occurred.", dto.MetricType_COUNTER,
			counter(float64(n*3+uint64(secs/10)), pod, "name", "G1 Young Generation"),
			counter(float64(n/10), pod, "name", "G1 Old Generation"),
		),
		family("base_gc_time_total_seconds", "Displays the approximate accumulated collection elapsed time in seconds.", dto.MetricType_COUNTER,
			counter(float64(n)*0.012+secs/1000, pod, "name", "G1 Young Generation"),
			counter(float64(n/10)*0.2, pod, "name", "G1 Old Generation"),
		),
		family("base_memory_usedHeap_bytes", "Displays the amount of used heap memory in bytes.", dto.MetricType_GAUGE,
			gauge(float64(64<<20+(n*7919%48)<<20), pod)),
		family("base_memory_maxHeap_bytes", "Displays the maximum amount of heap memory in bytes that can be used for memory management.", dto.MetricType_GAUGE,
			gauge(512<<20, pod)),
		family("base_thread_count", "Displays the current number of live threads including both daemon and non-daemon threads.", dto.MetricType_GAUGE,
			gauge(float64(40+n%7), pod)),
		family("base_jvm_uptime_seconds", "Displays the time elapsed since the start of the Java virtual machine in seconds.", dto.MetricType_GAUGE,
			gauge(secs, pod)),
		family("vendor_threadpool_active", "Number of threads of the pool currently executing tasks.", dto.MetricType_GAUGE,
			gauge(float64(n%8), pod, "pool", "http-listener-1"),
			gauge(float64(n%3), pod, "pool", "ejb"),
		),
		family("application_requests_total", "Number of requests served.", dto.MetricType_COUNTER,
			counter(float64(requests), pod)),
		family("application_request_duration_seconds", "Request processing time.", dto.MetricType_HISTOGRAM,
			histogram(requests, pod)),
	} {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("writing %s: %w", mf.GetName(), err)
		}
	}
	return nil
}

func family(name, help string, typ dto.MetricType, metrics ...*dto.Metric) *dto.MetricFamily {
	return &dto.MetricFamily{Name: proto.String(name), Help: proto.String(help), Type: typ.Enum(), Metric: metrics}
}

// labels builds the label pairs: the given name/value pairs, then server.
func labels(pod string, nameValues ...string) []*dto.LabelPair {
	var out []*dto.LabelPair
	for i := 0; i+1 < len(nameValues); i += 2 {
		out = append(out, &dto.LabelPair{Name: proto.String(nameValues[i]), Value: proto.String(nameValues[i+1])})
	}
	return append(out, &dto.LabelPair{Name: proto.String("server"), Value: proto.String(pod)})
}

func counter(v float64, pod string, nameValues ...string) *dto.Metric {
	return &dto.Metric{Label: labels(pod, nameValues...), Counter: &dto.Counter{Value: proto.Float64(v)}}
}

func gauge(v float64, pod string, nameValues ...string) *dto.Metric {
	return &dto.Metric{Label: labels(pod, nameValues...), Gauge: &dto.Gauge{Value: proto.Float64(v)}}
}

// histogram spreads requests over the buckets with a fixed, roughly
// log-normal shape (most requests take 10-100 ms).
func histogram(requests uint64, pod string) *dto.Metric {
	share := []float64{0.05, 0.15, 0.35, 0.6, 0.8, 0.92, 0.97, 0.99, 0.997, 0.999, 1}
	h := &dto.Histogram{SampleCount: proto.Uint64(requests), SampleSum: proto.Float64(float64(requests) * 0.062)}
	for i, le := range requestBuckets {
		h.Bucket = append(h.Bucket, &dto.Bucket{
			UpperBound:      proto.Float64(le),
			CumulativeCount: proto.Uint64(uint64(math.Floor(float64(requests) * share[i]))),
		})
	}
	return &dto.Metric{Label: labels(pod), Histogram: h}
}

// WriteLoad writes the gauge LoadMetric with value v for pod.
func WriteLoad(w io.Writer, pod string, v float64) error {
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	return enc.Encode(family(LoadMetric, "Requests being processed (set by the test through the load file).", dto.MetricType_GAUGE, gauge(v, pod)))
}

// readLoad reads the number in file; false when file is empty, missing or
// holds no number.
func readLoad(file string) (float64, bool) {
	if file == "" {
		return 0, false
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	return v, err == nil
}
