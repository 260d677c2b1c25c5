package metering

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ContentTypeText is the Content-Type of the Prometheus text exposition
// written by [WriteText].
const ContentTypeText = "text/plain; version=0.0.4; charset=utf-8"

// mergeFamilies merges lists of metric families (one list per pod or per
// server, in priority order) into one list with a single family per name:
//
//   - families are sorted by name and each family's metrics by label set;
//   - the first non-empty HELP wins;
//   - the first TYPE wins; samples of a family of the same name but another
//     type are dropped (a family has one type in the exposition format);
//   - of metrics with the same label set, the first is kept;
//   - a family whose name a histogram or summary family produces as a
//     sample name (x_bucket, x_sum, x_count) is dropped, so no series
//     appears twice.
//
// The result shares *dto.Metric values with the input.
func mergeFamilies(lists [][]*dto.MetricFamily) []*dto.MetricFamily {
	type merged struct {
		mf   *dto.MetricFamily
		seen map[string]struct{}
	}
	byName := map[string]*merged{}
	for _, list := range lists {
		for _, mf := range list {
			m, ok := byName[mf.GetName()]
			if !ok {
				m = &merged{
					mf:   &dto.MetricFamily{Name: mf.Name, Help: mf.Help, Type: mf.Type, Unit: mf.Unit},
					seen: map[string]struct{}{},
				}
				byName[mf.GetName()] = m
			}
			if m.mf.GetType() != mf.GetType() {
				continue
			}
			if m.mf.GetHelp() == "" && mf.GetHelp() != "" {
				m.mf.Help = mf.Help
			}
			for _, metric := range mf.GetMetric() {
				sig := labelSignature(metric)
				if _, dup := m.seen[sig]; dup {
					continue
				}
				m.seen[sig] = struct{}{}
				m.mf.Metric = append(m.mf.Metric, metric)
			}
		}
	}
	reserved := map[string]struct{}{}
	for name, m := range byName {
		switch m.mf.GetType() {
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			reserved[name+"_bucket"] = struct{}{}
			reserved[name+"_sum"] = struct{}{}
			reserved[name+"_count"] = struct{}{}
		case dto.MetricType_SUMMARY:
			reserved[name+"_sum"] = struct{}{}
			reserved[name+"_count"] = struct{}{}
		}
	}
	out := make([]*dto.MetricFamily, 0, len(byName))
	for name, m := range byName {
		if _, clash := reserved[name]; clash || len(m.mf.Metric) == 0 {
			continue
		}
		slices.SortFunc(m.mf.Metric, compareLabels)
		out = append(out, m.mf)
	}
	slices.SortFunc(out, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out
}

// labelSignature identifies a metric's label set; labels are sorted by name
// when stored (addTargetLabels).
func labelSignature(m *dto.Metric) string {
	var b strings.Builder
	for _, lp := range m.GetLabel() {
		b.WriteString(lp.GetName())
		b.WriteByte(0xff)
		b.WriteString(lp.GetValue())
		b.WriteByte(0xff)
	}
	return b.String()
}

func compareLabels(a, b *dto.Metric) int {
	la, lb := a.GetLabel(), b.GetLabel()
	for i := 0; i < len(la) && i < len(lb); i++ {
		if c := strings.Compare(la[i].GetName(), lb[i].GetName()); c != 0 {
			return c
		}
		if c := strings.Compare(la[i].GetValue(), lb[i].GetValue()); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}

// WriteText writes the metrics of servers as one Prometheus text exposition
// (version 0.0.4): families from all servers are merged (see the rules
// below), so each family's # HELP and # TYPE appear once, families are sorted
// by name and no series appears twice. Merge rules, in the order of servers
// and of their pods: the first non-empty HELP and the first TYPE of a name
// win; samples of a same-named family with another type are dropped; of
// identical label sets the first is kept; a family named like a histogram's
// or summary's sample (x_bucket, x_sum, x_count) is dropped.
func WriteText(w io.Writer, servers []ServerMetrics) error {
	lists := make([][]*dto.MetricFamily, len(servers))
	for i, s := range servers {
		lists[i] = s.Families
	}
	bw := bufio.NewWriter(w)
	enc := expfmt.NewEncoder(bw, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mergeFamilies(lists) {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("encoding metric family %s: %w", mf.GetName(), err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing metrics: %w", err)
	}
	return nil
}

// JSONFamily is one metric family in the JSON format ([WriteJSON]).
type JSONFamily struct {
	Name    string       `json:"name"`
	Help    string       `json:"help"`
	Type    string       `json:"type"`
	Metrics []JSONSample `json:"metrics"`
}

// JSONSample is one sample in the JSON format. Name is set only for the
// samples of histograms and summaries, which expand to several series.
type JSONSample struct {
	Name   string            `json:"name,omitempty"`
	Labels map[string]string `json:"labels"`
	Value  string            `json:"value"`
}

// WriteJSON writes the metrics of servers in WebOTX's JSON shape:
//
//	{"<server>": [{"name": ..., "help": ..., "type": ..., "metrics": [{"labels": {...}, "value": "..."}]}]}
//
// type is counter, gauge, histogram, summary or untyped; value is a string in
// the same notation as the text format (e.g. "1.5", "+Inf", "NaN").
//
// Histograms and summaries are expanded into the series of the text format,
// each with a "name": for a histogram x, one sample "x_bucket" per bucket
// with an "le" label (cumulative count, including le="+Inf"), then "x_sum"
// and "x_count"; for a summary x, one sample "x" per quantile with a
// "quantile" label, then "x_sum" and "x_count".
//
// The key is the server's name. When the same name appears in several
// namespaces among servers, those servers are keyed "<namespace>/<name>"
// instead. Servers without data map to an empty list.
func WriteJSON(w io.Writer, servers []ServerMetrics) error {
	count := map[string]int{}
	for _, s := range servers {
		count[s.Name]++
	}
	bw := bufio.NewWriter(w)
	// bufio.Writer errors are sticky: the final Flush reports the first one.
	_ = bw.WriteByte('{')
	for i, s := range servers {
		key := s.Name
		if count[s.Name] > 1 {
			key = s.String()
		}
		k, err := json.Marshal(key)
		if err != nil {
			return fmt.Errorf("encoding server name: %w", err)
		}
		fams := make([]JSONFamily, 0, len(s.Families))
		for _, mf := range s.Families {
			fams = append(fams, jsonFamily(mf))
		}
		v, err := json.Marshal(fams)
		if err != nil {
			return fmt.Errorf("encoding metrics of %s: %w", s, err)
		}
		if i > 0 {
			_ = bw.WriteByte(',')
		}
		_, _ = bw.Write(k)
		_ = bw.WriteByte(':')
		_, _ = bw.Write(v)
	}
	_, _ = bw.WriteString("}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing metrics: %w", err)
	}
	return nil
}

func jsonFamily(mf *dto.MetricFamily) JSONFamily {
	name := mf.GetName()
	out := JSONFamily{Name: name, Help: mf.GetHelp(), Type: typeName(mf.GetType()), Metrics: []JSONSample{}}
	for _, m := range mf.GetMetric() {
		base := make(map[string]string, len(m.GetLabel()))
		for _, lp := range m.GetLabel() {
			base[lp.GetName()] = lp.GetValue()
		}
		with := func(label, value string) map[string]string {
			l := make(map[string]string, len(base)+1)
			for k, v := range base {
				l[k] = v
			}
			l[label] = value
			return l
		}
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			out.Metrics = append(out.Metrics, JSONSample{Labels: base, Value: formatFloat(m.GetCounter().GetValue())})
		case dto.MetricType_GAUGE:
			out.Metrics = append(out.Metrics, JSONSample{Labels: base, Value: formatFloat(m.GetGauge().GetValue())})
		case dto.MetricType_UNTYPED:
			out.Metrics = append(out.Metrics, JSONSample{Labels: base, Value: formatFloat(m.GetUntyped().GetValue())})
		case dto.MetricType_SUMMARY:
			s := m.GetSummary()
			for _, q := range s.GetQuantile() {
				out.Metrics = append(out.Metrics, JSONSample{Name: name, Labels: with(model.QuantileLabel, formatFloat(q.GetQuantile())), Value: formatFloat(q.GetValue())})
			}
			out.Metrics = append(out.Metrics,
				JSONSample{Name: name + "_sum", Labels: base, Value: formatFloat(s.GetSampleSum())},
				JSONSample{Name: name + "_count", Labels: base, Value: formatFloat(float64(s.GetSampleCount()))},
			)
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			h := m.GetHistogram()
			infSeen := false
			for _, b := range h.GetBucket() {
				v := b.GetCumulativeCountFloat()
				if v == 0 {
					v = float64(b.GetCumulativeCount())
				}
				infSeen = infSeen || math.IsInf(b.GetUpperBound(), 1)
				out.Metrics = append(out.Metrics, JSONSample{Name: name + "_bucket", Labels: with(model.BucketLabel, formatFloat(b.GetUpperBound())), Value: formatFloat(v)})
			}
			count := h.GetSampleCountFloat()
			if count == 0 {
				count = float64(h.GetSampleCount())
			}
			if !infSeen {
				out.Metrics = append(out.Metrics, JSONSample{Name: name + "_bucket", Labels: with(model.BucketLabel, "+Inf"), Value: formatFloat(count)})
			}
			out.Metrics = append(out.Metrics,
				JSONSample{Name: name + "_sum", Labels: base, Value: formatFloat(h.GetSampleSum())},
				JSONSample{Name: name + "_count", Labels: base, Value: formatFloat(count)},
			)
		}
	}
	return out
}

// typeName is the text-format name of a metric type. Gauge histograms are
// written as histograms, as expfmt's text encoder does.
func typeName(t dto.MetricType) string {
	switch t {
	case dto.MetricType_COUNTER:
		return "counter"
	case dto.MetricType_GAUGE:
		return "gauge"
	case dto.MetricType_SUMMARY:
		return "summary"
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		return "histogram"
	default:
		return "untyped"
	}
}

// formatFloat formats v as the Prometheus text format does.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
