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
func parseFamilies(r io.Reader, contentType string) ([]*dto.MetricFamily, error) {
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	mediaType, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mediaType == expfmt.OpenMetricsType:
		r = newOpenMetricsTranslator(r)
	case mediaType == expfmt.ProtoType:
		h := http.Header{}
		h.Set("Content-Type", contentType)
		if expfmt.ResponseFormat(h).FormatType() != expfmt.TypeProtoDelim {
			return nil, fmt.Errorf("unsupported protobuf encoding %q", contentType)
		}
		format = expfmt.NewFormat(expfmt.TypeProtoDelim)
	}
	dec := expfmt.NewDecoder(r, format)
	var fams []*dto.MetricFamily
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
// every metric of fams (replacing labels of the same names) and sorts each
// metric's labels by name, so rendering can compare label sets cheaply.
func addTargetLabels(fams []*dto.MetricFamily, t Target) {
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
			labels = append(labels,
				&dto.LabelPair{Name: proto.String(LabelApplicationServer), Value: proto.String(t.Server)},
				&dto.LabelPair{Name: proto.String(LabelPod), Value: proto.String(t.Pod)},
				&dto.LabelPair{Name: proto.String(LabelNamespace), Value: proto.String(t.Namespace)},
			)
			slices.SortFunc(labels, func(a, b *dto.LabelPair) int {
				return strings.Compare(a.GetName(), b.GetName())
			})
			m.Label = labels
		}
	}
}
