package metering

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"
)

// Labels added to every scraped sample. A label of the same name set by the
// target itself is replaced.
const (
	LabelApplicationServer = "applicationserver"
	LabelPod               = "pod"
	LabelNamespace         = "namespace"
)

// acceptHeader is sent with every scrape. Prometheus text is preferred because
// expfmt parses it natively; OpenMetrics is accepted and translated (see
// openmetrics.go).
const acceptHeader = "text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1"

// parseFamilies decodes a scrape body. The format is chosen from the
// response's Content-Type: OpenMetrics text is translated line by line into
// the Prometheus text format first, delimited protobuf is decoded as such, and
// anything else (text/plain, missing or unknown types) is read as Prometheus
// text, as Prometheus itself falls back to.
//
// A panic of the parser is turned into an error: a scraped pod must never be
// able to crash the operator, and expfmt v0.70.0's text parser still
// dereferences nil on "# TYPE a counter\n{}\n" (prometheus/common#922 fixed
// a bare "{}" only).
func parseFamilies(r io.Reader, contentType string) (fams []*dto.MetricFamily, err error) {
	defer func() {
		if p := recover(); p != nil {
			fams, err = nil, fmt.Errorf("malformed exposition (parser failed: %v)", p)
		}
	}()
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	mediaType, _, _ := mime.ParseMediaType(contentType)
	switch mediaType {
	case expfmt.OpenMetricsType:
		r = newOpenMetricsTranslator(r)
	case expfmt.ProtoType:
		h := http.Header{}
		h.Set("Content-Type", contentType)
		if expfmt.ResponseFormat(h).FormatType() != expfmt.TypeProtoDelim {
			return nil, fmt.Errorf("unsupported protobuf encoding %q", contentType)
		}
		format = expfmt.NewFormat(expfmt.TypeProtoDelim)
	}
	dec := expfmt.NewDecoder(r, format)
	for {
		mf := &dto.MetricFamily{}
		err := dec.Decode(mf)
		if errors.Is(err, io.EOF) {
			return fams, nil
		}
		if err != nil {
			return nil, err
		}
		if len(mf.GetMetric()) == 0 {
			continue
		}
		if mf.Type == nil {
			mf.Type = dto.MetricType_UNTYPED.Enum()
		}
		fams = append(fams, mf)
	}
}

// addTargetLabels sets the applicationserver, pod and namespace labels on
// every metric of fams (replacing labels of the same names), sorts each
// metric's labels by name, so rendering can compare label sets cheaply, and
// drops repeated label names.
func addTargetLabels(fams []*dto.MetricFamily, t Target) {
	// Shared by all metrics of the target: stored results are never modified.
	targetLabels := []*dto.LabelPair{
		{Name: proto.String(LabelApplicationServer), Value: proto.String(t.Server)},
		{Name: proto.String(LabelPod), Value: proto.String(t.Pod)},
		{Name: proto.String(LabelNamespace), Value: proto.String(t.Namespace)},
	}
	for _, mf := range fams {
		for _, m := range mf.GetMetric() {
			labels := make([]*dto.LabelPair, 0, len(m.GetLabel())+3)
			for _, lp := range m.GetLabel() {
				switch lp.GetName() {
				case LabelApplicationServer, LabelPod, LabelNamespace:
					continue
				}
				labels = append(labels, lp)
			}
			labels = append(labels, targetLabels...)
			slices.SortStableFunc(labels, func(a, b *dto.LabelPair) int {
				return strings.Compare(a.GetName(), b.GetName())
			})
			// expfmt's parser lets a repeated label name through (e.g. a
			// line "{a="1"} 2" continuing the previous metric), which would
			// make our whole exposition invalid: keep the first.
			m.Label = slices.CompactFunc(labels, func(a, b *dto.LabelPair) bool {
				return a.GetName() == b.GetName()
			})
		}
	}
}
