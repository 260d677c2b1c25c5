package metering

import (
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
)

func TestPodScrapesKeepTheLastTwoSuccesses(t *testing.T) {
	fams := func(v float64) []*dto.MetricFamily {
		return []*dto.MetricFamily{{Name: proto.String("x"), Type: dto.MetricType_GAUGE.Enum(),
			Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: proto.Float64(v)}}}}}
	}
	value := func(f []*dto.MetricFamily) float64 { return f[0].Metric[0].GetGauge().GetValue() }
	t0 := time.Unix(1000, 0)
	web := Target{Namespace: "ns", Server: "web", Pod: "web-1", URL: "https://127.0.10.1:8443/metrics"}
	other := Target{Namespace: "other", Server: "web", Pod: "web-1", URL: "https://127.0.10.2:8443/metrics"}
	s := NewStore()
	s.setTargets([]Target{web, other})

	got := s.PodScrapes("ns")
	if len(got) != 1 || got[0].Families != nil || got[0].Previous != nil {
		t.Fatalf("before any scrape: %+v, want one pod without data", got)
	}
	s.record(web, scrapeResult{families: fams(1), end: t0})
	if got = s.PodScrapes("ns"); got[0].Previous != nil || value(got[0].Families) != 1 || !got[0].At.Equal(t0) {
		t.Fatalf("after one success: %+v, want the latest only", got[0])
	}
	s.record(web, scrapeResult{families: fams(2), end: t0.Add(time.Second)})
	s.record(web, scrapeResult{err: "timeout", end: t0.Add(2 * time.Second)}) // a failure is skipped
	s.record(web, scrapeResult{families: fams(3), end: t0.Add(3 * time.Second)})
	got = s.PodScrapes("ns")
	if value(got[0].Families) != 3 || !got[0].At.Equal(t0.Add(3*time.Second)) ||
		value(got[0].Previous) != 2 || !got[0].PreviousAt.Equal(t0.Add(time.Second)) {
		t.Errorf("after success, success, failure, success: %+v, want the 2nd and 4th results", got[0])
	}
	if all := s.PodScrapes(""); len(all) != 2 || all[0].Namespace != "ns" || all[1].Namespace != "other" {
		t.Errorf("PodScrapes(\"\") = %+v, want both namespaces sorted", all)
	}

	// A pod at a new address starts afresh: no rate over two different processes.
	moved := web
	moved.URL = "https://127.0.10.9:8443/metrics"
	s.setTargets([]Target{moved})
	if got = s.PodScrapes("ns"); got[0].Families != nil || got[0].Previous != nil {
		t.Errorf("after the pod's address changed: %+v, want no data", got[0])
	}
}
