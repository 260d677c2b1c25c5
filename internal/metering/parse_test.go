package metering

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

var testTarget = Target{Namespace: "shop", Server: "web", Pod: "web-7d9f-abcde", URL: "https://127.0.0.1:8443/metrics"}

// TestTextRoundTrip: expfmt text in, our text out, re-parsed by expfmt equals
// the input plus the target labels.
func TestTextRoundTrip(t *testing.T) {
	fams, err := parseFamilies(strings.NewReader(sampleText), "text/plain; version=0.0.4; charset=utf-8")
	if err != nil {
		t.Fatal(err)
	}
	addTargetLabels(fams, testTarget)
	out := bufString(t, func(b *bytes.Buffer) error {
		return WriteText(b, []ServerMetrics{{ServerRef: ServerRef{"shop", "web"}, Families: mergeFamilies([][]*dto.MetricFamily{fams})}})
	})
	want := withLabels(parseText(t, sampleText), testTarget)
	assertFamiliesEqual(t, parseText(t, out), want)

	// The target's own pod and namespace labels are replaced.
	got := parseText(t, out)["no_metadata_gauge"].Metric[0]
	labels := map[string]string{}
	for _, lp := range got.Label {
		labels[lp.GetName()] = lp.GetValue()
	}
	if labels["pod"] != testTarget.Pod || labels["namespace"] != "shop" || labels["applicationserver"] != "web" {
		t.Errorf("target labels not set or not replacing the target's: %v", labels)
	}
}

// TestRepeatedLabelNames: expfmt accepts a repeated label name, our output
// must not repeat it. Found by FuzzParseFamilies.
func TestRepeatedLabelNames(t *testing.T) {
	// A line that is only a label set continues the previous metric name and
	// its label pairs pile up.
	fams, err := parseFamilies(strings.NewReader("x{e=\"1\"} 1\n{e=\"2\"} 2\n"), ContentTypeText)
	if err != nil {
		t.Skipf("expfmt now rejects this input: %v", err)
	}
	addTargetLabels(fams, testTarget)
	for _, m := range fams[0].Metric {
		seen := map[string]bool{}
		for _, lp := range m.Label {
			if seen[lp.GetName()] {
				t.Errorf("label %s repeated in %v", lp.GetName(), m)
			}
			seen[lp.GetName()] = true
		}
	}
}

func TestParseContentTypes(t *testing.T) {
	reference := parseText(t, sampleText)
	var proto bytes.Buffer
	enc := expfmt.NewEncoder(&proto, expfmt.NewFormat(expfmt.TypeProtoDelim))
	for _, mf := range reference {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, contentType string
		body              []byte
	}{
		{"text 0.0.4", "text/plain; version=0.0.4; charset=utf-8", []byte(sampleText)},
		{"text without version", "text/plain", []byte(sampleText)},
		{"no content type", "", []byte(sampleText)},
		{"unknown content type falls back to text", "application/x-whatever", []byte(sampleText)},
		{"delimited protobuf", "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited", proto.Bytes()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fams, err := parseFamilies(bytes.NewReader(tc.body), tc.contentType)
			if err != nil {
				t.Fatal(err)
			}
			assertFamiliesEqual(t, familiesByName(fams), parseText(t, sampleText))
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, contentType, body string
	}{
		{"html", "text/html", "<html><body>Hello</body></html>\n"},
		{"binary", "text/plain", "\x00\x01\x02\xff garbage\n"},
		{"bad value", "text/plain; version=0.0.4", "up{a=\"b\"} not-a-number\n"},
		{"second TYPE", "text/plain", "# TYPE a gauge\n# TYPE a counter\na 1\n"},
		{"proto with text encoding", "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=text", "x"},
		{"openmetrics garbage", "application/openmetrics-text; version=1.0.0", "{{{ nope\n"},
		// expfmt's parser panics on this one (nil dereference); found by
		// FuzzParseFamilies.
		{"label set without a name after TYPE", "text/plain", "# TYPE a counter\n{}\n"},
		{"same, from OpenMetrics", "application/openmetrics-text; version=1.0.0", " # TYPE A0000000 Counter\n{}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if fams, err := parseFamilies(strings.NewReader(tc.body), tc.contentType); err == nil {
				t.Errorf("no error; got %v", fams)
			}
		})
	}
}

// TestOpenMetrics: OpenMetrics in parses as the equivalent Prometheus text.
func TestOpenMetrics(t *testing.T) {
	tests := []struct {
		name     string
		om       string
		wantText string
	}{{
		name: "counter declared without _total, with _created and exemplar",
		om: `# TYPE requests counter
# HELP requests Requests served.
requests_total{code="200"} 10 # {trace_id="abc"} 1.0 1700000000.5
requests_created{code="200"} 1.7e+09
requests_total{code="500"} 2
# EOF
`,
		wantText: `# HELP requests_total Requests served.
# TYPE requests_total counter
requests_total{code="200"} 10
requests_total{code="500"} 2
`,
	}, {
		name: "timestamps in seconds become milliseconds",
		om: `# TYPE temp gauge
# UNIT temp celsius
temp 21.5 1700000000.123
temp{room="b"} 19 1700000000
# EOF
`,
		wantText: `# TYPE temp gauge
temp 21.5 1700000000123
temp{room="b"} 19 1700000000000
`,
	}, {
		name: "histogram with created and exemplars on buckets",
		om: `# HELP latency_seconds Latency.
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.1"} 3 # {id="x"} 0.05
latency_seconds_bucket{le="+Inf"} 5
latency_seconds_sum 1.5
latency_seconds_count 5
latency_seconds_created 1.7e+09
# EOF
`,
		wantText: `# HELP latency_seconds Latency.
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.1"} 3
latency_seconds_bucket{le="+Inf"} 5
latency_seconds_sum 1.5
latency_seconds_count 5
`,
	}, {
		name: "unknown, info and stateset become untyped",
		om: `# TYPE mystery unknown
mystery 7
# TYPE build info
# HELP build Build information.
build_info{version="1.2.3"} 1
# TYPE feature stateset
feature{feature="a"} 1
feature{feature="b"} 0
# EOF
`,
		wantText: `# TYPE mystery untyped
mystery 7
build_info{version="1.2.3"} 1
# TYPE feature untyped
feature{feature="a"} 1
feature{feature="b"} 0
`,
	}, {
		name: "gauge histogram samples become untyped series",
		om: `# TYPE queue gaugehistogram
queue_bucket{le="1"} 2
queue_bucket{le="+Inf"} 3
queue_gcount 3
queue_gsum 2.5
# EOF
`,
		wantText: `queue_bucket{le="1"} 2
queue_bucket{le="+Inf"} 3
queue_gcount 3
queue_gsum 2.5
`,
	}, {
		name: "label values holding # and } and escaped quotes",
		om: `# TYPE odd gauge
# HELP odd Help with \"quotes\" and \\ and \n.
odd{a="x # y",b="}",c="q\"#\"}"} 1 # {e="#"} 2
# EOF
`,
		wantText: `# HELP odd Help with "quotes" and \\ and \n.
# TYPE odd gauge
odd{a="x # y",b="}",c="q\"#\"}"} 1
`,
	}, {
		name:     "anything after EOF is ignored",
		om:       "# TYPE a gauge\na 1\n# EOF\nthis is not parsed\n",
		wantText: "# TYPE a gauge\na 1\n",
	}, {
		name:     "missing final newline",
		om:       "# TYPE a gauge\na 1",
		wantText: "# TYPE a gauge\na 1\n",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fams, err := parseFamilies(strings.NewReader(tc.om), "application/openmetrics-text; version=1.0.0; charset=utf-8")
			if err != nil {
				t.Fatal(err)
			}
			assertFamiliesEqual(t, familiesByName(fams), parseText(t, tc.wantText))
		})
	}
}

// TestOpenMetricsRoundTrip: families written by expfmt's OpenMetrics encoder
// (with _created lines) come back equal.
func TestOpenMetricsRoundTrip(t *testing.T) {
	reference := parseText(t, sampleText)
	// OpenMetrics has no untyped type and no timestamps in milliseconds; the
	// encoder writes "unknown", which we read back as untyped.
	var om bytes.Buffer
	enc := expfmt.NewEncoder(&om, expfmt.NewFormat(expfmt.TypeOpenMetrics), expfmt.WithCreatedLines())
	for _, mf := range reference {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.(expfmt.Closer).Close(); err != nil {
		t.Fatal(err)
	}
	fams, err := parseFamilies(bytes.NewReader(om.Bytes()), "application/openmetrics-text; version=1.0.0; charset=utf-8")
	if err != nil {
		t.Fatalf("%v\n%s", err, om.String())
	}
	assertFamiliesEqual(t, familiesByName(fams), parseText(t, sampleText))
}

// TestOpenMetricsTranslatorSmallReads checks the translator under one-byte
// reads.
func TestOpenMetricsTranslatorSmallReads(t *testing.T) {
	in := "# TYPE c counter\nc_total 1 1.5\n# EOF\n"
	r := newOpenMetricsTranslator(strings.NewReader(in))
	var out bytes.Buffer
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		out.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if want := "# TYPE c_total counter\nc_total 1 1500\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func FuzzParseFamilies(f *testing.F) {
	f.Add([]byte(sampleText), false)
	f.Add([]byte("# TYPE a counter\na_total 1 # {x=\"y\"} 1\n# EOF\n"), true)
	f.Fuzz(func(t *testing.T, body []byte, openMetrics bool) {
		ct := "text/plain; version=0.0.4"
		if openMetrics {
			ct = "application/openmetrics-text; version=1.0.0"
		}
		fams, err := parseFamilies(bytes.NewReader(body), ct)
		if err != nil {
			return
		}
		// Whatever parses must render as text that expfmt parses again.
		addTargetLabels(fams, testTarget)
		var out bytes.Buffer
		if err := WriteText(&out, []ServerMetrics{{ServerRef: ServerRef{"ns", "s"}, Families: mergeFamilies([][]*dto.MetricFamily{fams})}}); err != nil {
			t.Fatalf("rendering parsed input: %v", err)
		}
		if _, err := parseFamilies(&out, ContentTypeText); err != nil {
			t.Fatalf("our output does not parse: %v\n%s", err, out.String())
		}
	})
}
