// Package custommetrics serves custom.metrics.k8s.io (v1beta2 and v1beta1)
// from the metering store, so that a HorizontalPodAutoscaler scales an
// ApplicationServer on its pods' own metrics with no adapter installed.
//
// Every metric family a pod serves becomes a pod metric:
//   - gauges (and untyped samples) as scraped, under their own name;
//   - counters as a per-second rate over the pod's last two successful
//     scrapes, named <name without _total>_per_second;
//   - histograms and summaries are not served.
//
// A family with several series (label sets) gives their sum; the HPA's
// metric selector picks series by their labels. A pod whose latest
// successful scrape is older than three metering intervals has no value.
package custommetrics

import (
	"math"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/appserver-operator/appserver-operator/internal/metering"
)

// StaleAfter is how many metering intervals a pod's latest successful
// scrape stays usable; after that the pod has no value and the HPA holds.
const StaleAfter = 3

// RateSuffix ends the name of a counter served as a per-second rate.
const RateSuffix = "_per_second"

// Sample is the value of one metric of one pod.
type Sample struct {
	Value float64
	// At is when the scrape the value comes from ended.
	At time.Time
	// Window is the time the rate of a counter was computed over; zero for
	// a gauge.
	Window time.Duration
}

// MetricName returns the name family is served under, and false for the
// types that are not served (histograms, summaries).
func MetricName(family *dto.MetricFamily) (string, bool) {
	switch family.GetType() {
	case dto.MetricType_GAUGE, dto.MetricType_UNTYPED:
		return family.GetName(), true
	case dto.MetricType_COUNTER:
		return strings.TrimSuffix(family.GetName(), "_total") + RateSuffix, true
	default:
		return "", false
	}
}

// MetricNames returns the names of the metrics the latest scrape of p
// serves.
func MetricNames(p metering.PodScrape) []string {
	var out []string
	for _, f := range p.Families {
		if name, ok := MetricName(f); ok {
			out = append(out, name)
		}
	}
	return out
}

// Value computes metric for pod p at now, over the series that match
// selector (nil matches all). It reports false when the pod has no value:
// no such metric, no matching series, a scrape older than maxAge, or, for a
// counter, no earlier scrape to compute a rate with.
func Value(p metering.PodScrape, metric string, selector labels.Selector, now time.Time, maxAge time.Duration) (Sample, bool) {
	if p.Families == nil || now.Sub(p.At) > maxAge {
		return Sample{}, false
	}
	cur := findFamily(p.Families, metric)
	if cur == nil {
		return Sample{}, false
	}
	if cur.GetType() != dto.MetricType_COUNTER {
		sum, n := 0.0, 0
		for _, m := range cur.Metric {
			if matches(selector, m) {
				sum += gaugeValue(m)
				n++
			}
		}
		return Sample{Value: sum, At: p.At}, n > 0
	}
	prev := findFamily(p.Previous, metric)
	window := p.At.Sub(p.PreviousAt)
	if prev == nil || prev.GetType() != dto.MetricType_COUNTER || window <= 0 {
		return Sample{}, false
	}
	before := make(map[string]float64, len(prev.Metric))
	for _, m := range prev.Metric {
		before[seriesKey(m)] = m.GetCounter().GetValue()
	}
	increase, n := 0.0, 0
	for _, m := range cur.Metric {
		if !matches(selector, m) {
			continue
		}
		old, ok := before[seriesKey(m)]
		if !ok {
			continue // a new series: it counts from its second scrape on
		}
		n++
		v := m.GetCounter().GetValue()
		if v < old {
			// A counter reset (the application restarted): it counted
			// from zero since, as Prometheus' rate() assumes.
			increase += v
			continue
		}
		increase += v - old
	}
	if n == 0 {
		return Sample{}, false
	}
	return Sample{Value: increase / window.Seconds(), At: p.At, Window: window}, true
}

// findFamily returns the family served as metric, or nil.
func findFamily(families []*dto.MetricFamily, metric string) *dto.MetricFamily {
	for _, f := range families {
		if name, ok := MetricName(f); ok && name == metric {
			return f
		}
	}
	return nil
}

func gaugeValue(m *dto.Metric) float64 {
	if m.Gauge != nil {
		return m.GetGauge().GetValue()
	}
	return m.GetUntyped().GetValue()
}

func matches(selector labels.Selector, m *dto.Metric) bool {
	if selector == nil || selector.Empty() {
		return true
	}
	set := make(labels.Set, len(m.Label))
	for _, lp := range m.Label {
		set[lp.GetName()] = lp.GetValue()
	}
	return selector.Matches(set)
}

// seriesKey identifies a series of a family by its label pairs (the store
// keeps them sorted by name).
func seriesKey(m *dto.Metric) string {
	var b strings.Builder
	for _, lp := range m.Label {
		b.WriteString(lp.GetName())
		b.WriteByte(0)
		b.WriteString(lp.GetValue())
		b.WriteByte(0)
	}
	return b.String()
}

// finite reports whether v can be served (a quantity holds no NaN or Inf).
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
