package metering

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// storeWith returns a Store holding the given bodies (Prometheus text) as
// successful scrapes of their targets.
func storeWith(t *testing.T, bodies map[Target]string) *Store {
	t.Helper()
	s := NewStore()
	targets := make([]Target, 0, len(bodies))
	for tgt := range bodies {
		targets = append(targets, tgt)
	}
	s.setTargets(targets)
	for tgt, body := range bodies {
		fams, err := parseFamilies(strings.NewReader(body), ContentTypeText)
		if err != nil {
			t.Fatalf("%s: %v", tgt.Pod, err)
		}
		addTargetLabels(fams, tgt)
		s.record(tgt, scrapeResult{families: fams, end: time.Now(), bytes: int64(len(body))})
	}
	return s
}

func tgt(ns, server, pod string) Target {
	return Target{Namespace: ns, Server: server, Pod: pod, URL: "https://" + pod + "/metrics"}
}

// multiServerStore has the same families coming from several pods and
// servers, in two namespaces, with conflicts. Servers are merged in
// namespace/name order, pods in name order: shop/api, shop/web, tail/clash,
// tail/web.
func multiServerStore(t *testing.T) *Store {
	return storeWith(t, map[Target]string{
		tgt("shop", "web", "web-1"):     sampleText,
		tgt("shop", "web", "web-2"):     strings.ReplaceAll(sampleText, "12", "13"),
		tgt("shop", "api", "api-1"):     "# HELP base_gc_total Another help text.\n# TYPE base_gc_total counter\nbase_gc_total{name=\"x\"} 1\n# TYPE only_api gauge\nonly_api 1\n",
		tgt("tail", "web", "web-a"):     "# TYPE base_gc_total gauge\nbase_gc_total{name=\"conflicting type\"} 5\nbase_memory_usedHeap_bytes 7\n",
		tgt("tail", "clash", "clash-1"): "# TYPE application_request_duration_seconds_count gauge\napplication_request_duration_seconds_count 3\n",
	})
}

func TestWriteTextIsValidExposition(t *testing.T) {
	s := multiServerStore(t)
	out := bufString(t, func(b *bytes.Buffer) error { return WriteText(b, s.Snapshot(s.Servers())) })

	// expfmt's parser accepts it: no second HELP/TYPE, no TYPE after samples.
	fams := parseText(t, out)

	helps, types := map[string]int{}, map[string]int{}
	var order []string
	seen := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "# HELP "):
			helps[strings.Fields(line)[2]]++
		case strings.HasPrefix(line, "# TYPE "):
			name := strings.Fields(line)[2]
			types[name]++
			order = append(order, name)
		case line != "":
			if seen[seriesKey(line)] {
				t.Errorf("duplicate series %s", line)
			}
			seen[seriesKey(line)] = true
		}
	}
	for name, n := range helps {
		if n != 1 {
			t.Errorf("# HELP %s appears %d times", name, n)
		}
	}
	for name, n := range types {
		if n != 1 {
			t.Errorf("# TYPE %s appears %d times", name, n)
		}
	}
	if !sort.StringsAreSorted(order) {
		t.Errorf("families not sorted: %v", order)
	}

	gc := fams["base_gc_total"]
	if gc.GetType() != dto.MetricType_COUNTER {
		t.Errorf("base_gc_total type %v, want the first one seen (counter)", gc.GetType())
	}
	if got := gc.GetHelp(); got != "Another help text." {
		t.Errorf("base_gc_total help %q, want shop/api's", got)
	}
	// shop/api (1) + shop/web web-1 (2) + web-2 (2); tail/web's gauge is dropped.
	if n := len(gc.Metric); n != 5 {
		t.Errorf("base_gc_total has %d series, want 5:\n%s", n, out)
	}
	if strings.Contains(out, "conflicting type") {
		t.Error("a sample of a conflicting type was kept")
	}
	// The untyped family named like the histogram's _count sample is dropped.
	if strings.Contains(out, `pod="clash-1"`) {
		t.Errorf("family clashing with a histogram's series kept:\n%s", out)
	}
	// tail/web-a's is untyped, the first seen (shop/web) a gauge.
	if n := len(fams["base_memory_usedHeap_bytes"].Metric); n != 2 {
		t.Errorf("base_memory_usedHeap_bytes has %d series, want 2 (web-1, web-2)", n)
	}
}

// seriesKey is a sample line without its value and timestamp.
func seriesKey(line string) string {
	if i := strings.LastIndex(line, "}"); i >= 0 {
		return line[:i+1]
	}
	return strings.Fields(line)[0]
}

// TestJSONAndTextAgree: every sample of the text output is in the JSON output
// with the same value, and the other way round.
func TestJSONAndTextAgree(t *testing.T) {
	s := storeWith(t, map[Target]string{
		tgt("shop", "web", "web-1"): sampleText,
		tgt("shop", "web", "web-2"): strings.ReplaceAll(sampleText, "3.25", "4.5"),
		tgt("shop", "api", "api-1"): sampleText,
	})
	snap := s.Snapshot(s.Servers())
	text := bufString(t, func(b *bytes.Buffer) error { return WriteText(b, snap) })
	js := bufString(t, func(b *bytes.Buffer) error { return WriteJSON(b, snap) })

	fromText := map[string]string{}
	var list []*dto.MetricFamily
	for _, mf := range parseText(t, text) {
		list = append(list, mf)
	}
	vec, err := expfmt.ExtractSamples(&expfmt.DecodeOptions{Timestamp: model.Now()}, list...)
	if err != nil {
		t.Fatal(err)
	}
	for _, smp := range vec {
		fromText[smp.Metric.String()] = formatFloat(float64(smp.Value))
	}

	var doc map[string][]JSONFamily
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, js)
	}
	if len(doc) != 2 || doc["web"] == nil || doc["api"] == nil {
		t.Fatalf("JSON keys: want api and web, got %v", keys(doc))
	}
	fromJSON := map[string]string{}
	for server, fams := range doc {
		for _, f := range fams {
			for _, m := range f.Metrics {
				name := f.Name
				if m.Name != "" {
					name = m.Name
				} else if f.Type == "histogram" || f.Type == "summary" {
					t.Errorf("%s: %s sample without a name", server, f.Type)
				}
				if m.Labels[LabelApplicationServer] != server {
					t.Errorf("sample under %q labelled %v", server, m.Labels)
				}
				lm := model.Metric{model.MetricNameLabel: model.LabelValue(name)}
				for k, v := range m.Labels {
					lm[model.LabelName(k)] = model.LabelValue(v)
				}
				fromJSON[lm.String()] = m.Value
			}
		}
	}
	if len(fromText) == 0 {
		t.Fatal("no samples")
	}
	for k, v := range fromText {
		if fromJSON[k] != v {
			t.Errorf("%s: text %q, JSON %q", k, v, fromJSON[k])
		}
	}
	for k := range fromJSON {
		if _, ok := fromText[k]; !ok {
			t.Errorf("%s only in JSON", k)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestWriteJSONShape(t *testing.T) {
	s := storeWith(t, map[Target]string{
		tgt("a", "web", "web-1"): "# HELP up Is up.\n# TYPE up gauge\nup 1\n",
		tgt("b", "web", "web-2"): "# TYPE up gauge\nup 0\n",
		tgt("b", "db", "db-0"):   "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 0.5\nh_count 1\n",
	})
	tests := []struct {
		name string
		refs []ServerRef
		want string
	}{{
		name: "name in two namespaces is keyed namespace/name",
		refs: s.Servers(),
		want: `{"a/web":[{"name":"up","help":"Is up.","type":"gauge","metrics":[{"labels":{"applicationserver":"web","namespace":"a","pod":"web-1"},"value":"1"}]}],` +
			`"db":[{"name":"h","help":"","type":"histogram","metrics":[` +
			`{"name":"h_bucket","labels":{"applicationserver":"db","le":"1","namespace":"b","pod":"db-0"},"value":"1"},` +
			`{"name":"h_bucket","labels":{"applicationserver":"db","le":"+Inf","namespace":"b","pod":"db-0"},"value":"1"},` +
			`{"name":"h_sum","labels":{"applicationserver":"db","namespace":"b","pod":"db-0"},"value":"0.5"},` +
			`{"name":"h_count","labels":{"applicationserver":"db","namespace":"b","pod":"db-0"},"value":"1"}]}],` +
			`"b/web":[{"name":"up","help":"","type":"gauge","metrics":[{"labels":{"applicationserver":"web","namespace":"b","pod":"web-2"},"value":"0"}]}]}` + "\n",
	}, {
		name: "one server is keyed by its name",
		refs: []ServerRef{{"b", "web"}},
		want: `{"web":[{"name":"up","help":"","type":"gauge","metrics":[{"labels":{"applicationserver":"web","namespace":"b","pod":"web-2"},"value":"0"}]}]}` + "\n",
	}, {
		name: "server without data",
		refs: []ServerRef{{"c", "none"}},
		want: `{"none":[]}` + "\n",
	}, {
		name: "no servers",
		refs: nil,
		want: "{}\n",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := bufString(t, func(b *bytes.Buffer) error { return WriteJSON(b, s.Snapshot(tc.refs)) })
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestStoreSummaryAndForgetting(t *testing.T) {
	s := NewStore()
	web1, web2, web3, api1 := tgt("shop", "web", "web-1"), tgt("shop", "web", "web-2"), tgt("shop", "web", "web-3"), tgt("shop", "api", "api-1")
	s.setTargets([]Target{web1, web2, web3, api1})
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	ok := func(at time.Time) scrapeResult {
		return scrapeResult{families: []*dto.MetricFamily{{Name: strPtr("up")}}, end: at}
	}
	s.record(web1, ok(t0))
	s.record(web2, scrapeResult{err: "HTTP 500", end: t0.Add(time.Second)})
	s.record(web3, scrapeResult{err: "timeout", end: t0.Add(2 * time.Second)})
	s.record(api1, ok(t0))

	if got, want := s.Summary("shop", "web"), (Summary{Targets: 3, Healthy: 1, LastScrape: t0.Add(2 * time.Second), LastError: "web-2: HTTP 500 (and 1 more)"}); got != want {
		t.Errorf("Summary = %+v, want %+v", got, want)
	}
	if got := s.Summary("shop", "missing"); got != (Summary{}) {
		t.Errorf("Summary of unknown server = %+v", got)
	}

	// A failure keeps the last good data.
	s.record(api1, scrapeResult{err: "timeout", end: t0.Add(time.Minute)})
	if st := s.Targets("shop", "api")[0]; st.Families != 1 || st.LastError != "timeout" || st.LastSuccess != t0 {
		t.Errorf("after a failure: %+v", st)
	}

	// web-2 and the whole api server go away; web-1 is recreated elsewhere.
	moved := web1
	moved.URL = "https://new-ip/metrics"
	s.setTargets([]Target{moved, web3})
	if got := s.Servers(); len(got) != 1 || got[0] != (ServerRef{"shop", "web"}) {
		t.Errorf("Servers() = %v", got)
	}
	sts := s.Targets("shop", "web")
	if len(sts) != 2 || sts[0].Pod != "web-1" || sts[1].Pod != "web-3" {
		t.Fatalf("targets = %+v", sts)
	}
	if !sts[0].LastScrape.IsZero() || sts[0].Families != 0 {
		t.Errorf("a target with a new URL must start afresh: %+v", sts[0])
	}
	if sts[1].LastError != "timeout" {
		t.Errorf("an unchanged target must keep its state: %+v", sts[1])
	}
	// A late result for a forgotten target is ignored.
	s.record(web2, ok(t0))
	s.record(web1, ok(t0)) // old URL
	if got := s.Summary("shop", "web"); got.Targets != 2 || got.Healthy != 0 {
		t.Errorf("late results were recorded: %+v", got)
	}
}

func strPtr(s string) *string { return &s }

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{10 << 20: "10 MiB", 1 << 20: "1 MiB", 512 << 10: "512 KiB", 1000: "1000 bytes"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
