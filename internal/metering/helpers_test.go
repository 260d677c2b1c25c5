package metering

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/proto"
)

// parseText parses Prometheus text with expfmt alone, as the reference.
func parseText(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("expfmt cannot parse:\n%s\nerror: %v", text, err)
	}
	return fams
}

// normalize sorts labels and metrics so that families can be compared with
// proto.Equal.
func normalize(fams map[string]*dto.MetricFamily) map[string]*dto.MetricFamily {
	for _, mf := range fams {
		for _, m := range mf.Metric {
			sort.Slice(m.Label, func(i, j int) bool { return m.Label[i].GetName() < m.Label[j].GetName() })
		}
		slices.SortFunc(mf.Metric, compareLabels)
	}
	return fams
}

func familiesByName(list []*dto.MetricFamily) map[string]*dto.MetricFamily {
	out := make(map[string]*dto.MetricFamily, len(list))
	for _, mf := range list {
		out[mf.GetName()] = mf
	}
	return out
}

// withLabels returns a deep copy of fams with the target labels added.
func withLabels(fams map[string]*dto.MetricFamily, tgt Target) map[string]*dto.MetricFamily {
	list := make([]*dto.MetricFamily, 0, len(fams))
	for _, mf := range fams {
		list = append(list, proto.Clone(mf).(*dto.MetricFamily))
	}
	addTargetLabels(list, tgt)
	return familiesByName(list)
}

func assertFamiliesEqual(t *testing.T, got, want map[string]*dto.MetricFamily) {
	t.Helper()
	normalize(got)
	normalize(want)
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("family %s missing", name)
			continue
		}
		if !proto.Equal(g, w) {
			t.Errorf("family %s differs:\ngot  %v\nwant %v", name, g, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected family %s: %v", name, got[name])
		}
	}
}

// writeKeyPair writes a fresh self-signed tls.crt/tls.key into dir and
// returns the certificate.
func writeKeyPair(t *testing.T, dir string, modTime time.Time) *x509.Certificate {
	t.Helper()
	cert, err := selfSignedCertificate()
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		CertFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}),
		KeyFile:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, modTime, modTime); err != nil {
			t.Fatal(err)
		}
	}
	return cert.Leaf
}

// sampleText is a MicroProfile-like exposition with every metric type.
const sampleText = `# HELP base_gc_total Displays the total number of collections that have occurred.
# TYPE base_gc_total counter
base_gc_total{name="G1 Young Generation"} 12
base_gc_total{name="G1 Old Generation"} 1
# HELP base_memory_usedHeap_bytes Displays the amount of used heap memory in bytes.
# TYPE base_memory_usedHeap_bytes gauge
base_memory_usedHeap_bytes 5.24288e+07
# HELP vendor_threadpool_active Active threads "with" \\ escapes\nand a newline.
# TYPE vendor_threadpool_active gauge
vendor_threadpool_active{pool="http-listener-1",path="a\"b\\c\nd"} 3
vendor_threadpool_active{pool="ejb",path=""} 0
# HELP application_request_duration_seconds Request duration.
# TYPE application_request_duration_seconds histogram
application_request_duration_seconds_bucket{le="0.005"} 1
application_request_duration_seconds_bucket{le="0.1"} 4
application_request_duration_seconds_bucket{le="1"} 9
application_request_duration_seconds_bucket{le="+Inf"} 10
application_request_duration_seconds_sum 3.25
application_request_duration_seconds_count 10
# HELP application_response_size_bytes Response sizes.
# TYPE application_response_size_bytes summary
application_response_size_bytes{quantile="0.5"} 512
application_response_size_bytes{quantile="0.99"} 4096
application_response_size_bytes_sum 102400
application_response_size_bytes_count 150
# TYPE legacy_untyped untyped
legacy_untyped{kind="x"} -Inf
no_metadata_gauge{pod="pod-set-by-target",namespace="spoofed"} NaN
base_thread_count 42 1700000000000
`

func bufString(t *testing.T, write func(*bytes.Buffer) error) string {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
