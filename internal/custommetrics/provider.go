package custommetrics

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/metrics/pkg/apis/custom_metrics"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider"

	"github.com/appserver-operator/appserver-operator/internal/metering"
)

// pods is the only resource metrics are served for.
var pods = schema.GroupResource{Resource: "pods"}

// Provider answers custom metrics queries from a metering store. It
// implements provider.CustomMetricsProvider.
type Provider struct {
	// Store holds the scrapes.
	Store *metering.Store
	// Pods lists pods by label selector (the manager's cache).
	Pods client.Reader
	// Interval returns the current metering interval.
	Interval func() time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

var _ provider.CustomMetricsProvider = (*Provider)(nil)

func (p *Provider) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Provider) maxAge() time.Duration { return StaleAfter * p.Interval() }

// GetMetricByName returns metric of one pod.
func (p *Provider) GetMetricByName(_ context.Context, name types.NamespacedName, info provider.CustomMetricInfo, metricSelector labels.Selector) (*custom_metrics.MetricValue, error) {
	if info.GroupResource != pods || !info.Namespaced {
		return nil, provider.NewMetricNotFoundError(info.GroupResource, info.Metric)
	}
	now, maxAge := p.now(), p.maxAge()
	for _, ps := range p.Store.PodScrapes(name.Namespace) {
		if ps.Pod != name.Name {
			continue
		}
		if s, ok := Value(ps, info.Metric, metricSelector, now, maxAge); ok && finite(s.Value) {
			v := metricValue(ps.Namespace, ps.Pod, info.Metric, metricSelector, s)
			return &v, nil
		}
	}
	return nil, provider.NewMetricNotFoundForError(info.GroupResource, info.Metric, name.Name)
}

// GetMetricBySelector returns metric of the pods in namespace that match
// selector and have a value. An empty list means none has one now (the
// HPA holds); a metric that no metered pod of the namespace serves is not
// found, unless the namespace has no metered pod at all.
func (p *Provider) GetMetricBySelector(ctx context.Context, namespace string, selector labels.Selector, info provider.CustomMetricInfo, metricSelector labels.Selector) (*custom_metrics.MetricValueList, error) {
	if info.GroupResource != pods || !info.Namespaced {
		return nil, provider.NewMetricNotFoundError(info.GroupResource, info.Metric)
	}
	scrapes := p.Store.PodScrapes(namespace)
	list := &custom_metrics.MetricValueList{Items: []custom_metrics.MetricValue{}}
	if len(scrapes) == 0 {
		return list, nil
	}
	known := false
	for _, ps := range scrapes {
		if slices.Contains(MetricNames(ps), info.Metric) {
			known = true
			break
		}
	}
	if !known {
		return nil, provider.NewMetricNotFoundError(info.GroupResource, info.Metric)
	}
	var podList corev1.PodList
	if err := p.Pods.List(ctx, &podList, client.InNamespace(namespace), client.MatchingLabelsSelector{Selector: selector}); err != nil {
		return nil, fmt.Errorf("listing the pods of %s: %w", namespace, err)
	}
	selected := make(map[string]bool, len(podList.Items))
	for i := range podList.Items {
		selected[podList.Items[i].Name] = true
	}
	now, maxAge := p.now(), p.maxAge()
	for _, ps := range scrapes {
		if !selected[ps.Pod] {
			continue
		}
		if s, ok := Value(ps, info.Metric, metricSelector, now, maxAge); ok && finite(s.Value) {
			list.Items = append(list.Items, metricValue(ps.Namespace, ps.Pod, info.Metric, metricSelector, s))
		}
	}
	return list, nil
}

// ListAllMetrics lists the pod metrics the latest scrapes serve, in every
// namespace (for discovery; the HPA does not need it).
func (p *Provider) ListAllMetrics() []provider.CustomMetricInfo {
	seen := map[string]bool{}
	var out []provider.CustomMetricInfo
	for _, ps := range p.Store.PodScrapes("") {
		for _, name := range MetricNames(ps) {
			if !seen[name] {
				seen[name] = true
				out = append(out, provider.CustomMetricInfo{GroupResource: pods, Namespaced: true, Metric: name})
			}
		}
	}
	slices.SortFunc(out, func(a, b provider.CustomMetricInfo) int {
		switch {
		case a.Metric < b.Metric:
			return -1
		case a.Metric > b.Metric:
			return 1
		}
		return 0
	})
	return out
}

func metricValue(namespace, pod, metric string, selector labels.Selector, s Sample) custom_metrics.MetricValue {
	v := custom_metrics.MetricValue{
		DescribedObject: custom_metrics.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: namespace, Name: pod},
		Metric:          custom_metrics.MetricIdentifier{Name: metric},
		Timestamp:       metav1.NewTime(s.At),
		Value:           quantity(s.Value),
	}
	if selector != nil && !selector.Empty() {
		if ls, err := metav1.ParseToLabelSelector(selector.String()); err == nil {
			v.Metric.Selector = ls
		}
	}
	if s.Window > 0 {
		secs := int64(math.Round(s.Window.Seconds()))
		v.WindowSeconds = &secs
	}
	return v
}

// quantity keeps three decimals (milli-units), as the HPA compares
// milli-values.
func quantity(v float64) resource.Quantity {
	m := math.Round(v * 1000)
	if m > math.MaxInt64/2 {
		m = math.MaxInt64 / 2
	} else if m < math.MinInt64/2 {
		m = math.MinInt64 / 2
	}
	return *resource.NewMilliQuantity(int64(m), resource.DecimalSI)
}
