// Package statemetrics exposes the state of every ApplicationServer as
// Prometheus metrics in the kube-state-metrics style: one series per server
// (and per condition, replica state, ...), computed at scrape time from the
// manager's informer cache. A scrape makes no API request and writes
// nothing; the number of series follows the number of ApplicationServers.
package statemetrics

import (
	"context"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// Label names and values of the metrics.
const (
	LabelNamespace = "namespace"
	LabelName      = "name"
	LabelImage     = "image"
	LabelType      = "type"
	LabelStatus    = "status"
	LabelState     = "state"
)

// listTimeout bounds one scrape's reads from the cache (which only waits
// when an informer has not synced yet).
const listTimeout = 10 * time.Second

var (
	serverLabels = []string{LabelNamespace, LabelName}

	descInfo = prometheus.NewDesc("appserver_applicationserver_info",
		"Information about an ApplicationServer; always 1. image is the image its Deployment runs.",
		[]string{LabelNamespace, LabelName, LabelImage}, nil)
	descCondition = prometheus.NewDesc("appserver_applicationserver_condition",
		"The conditions of an ApplicationServer: 1 for the condition's current status (true, false or unknown), 0 for the other two.",
		[]string{LabelNamespace, LabelName, LabelType, LabelStatus}, nil)
	descReplicas = prometheus.NewDesc("appserver_applicationserver_replicas",
		"Pods of an ApplicationServer by state: desired (the Deployment's replicas), ready, available and updated (from status).",
		[]string{LabelNamespace, LabelName, LabelState}, nil)
	descMeteringTargets = prometheus.NewDesc("appserver_applicationserver_metering_targets",
		"Pods of an ApplicationServer scraped by metering (state=total) and those whose last scrape succeeded (state=healthy), from status.metering; absent while metering is off for the server.",
		[]string{LabelNamespace, LabelName, LabelState}, nil)
	descGeneration = prometheus.NewDesc("appserver_applicationserver_metadata_generation",
		"metadata.generation of an ApplicationServer (the version of its spec).",
		serverLabels, nil)
	descObservedGeneration = prometheus.NewDesc("appserver_applicationserver_status_observed_generation",
		"status.observedGeneration of an ApplicationServer: the generation last reconciled successfully.",
		serverLabels, nil)
	descCreated = prometheus.NewDesc("appserver_applicationserver_created",
		"Creation time of an ApplicationServer, in seconds since the Unix epoch.",
		serverLabels, nil)
)

// Replica states of appserver_applicationserver_replicas.
const (
	StateDesired   = "desired"
	StateReady     = "ready"
	StateAvailable = "available"
	StateUpdated   = "updated"
	// StateTotal and StateHealthy are the states of
	// appserver_applicationserver_metering_targets.
	StateTotal   = "total"
	StateHealthy = "healthy"
)

// Collector is a prometheus.Collector of the ApplicationServers in a cache.
type Collector struct {
	reader client.Reader
	active func() bool
	log    logr.Logger
	errors prometheus.Counter
}

// New returns a collector that reads ApplicationServers (and their
// Deployments) from reader, which should be the manager's cache. active
// tells whether this process reports them now (nil: always); the operator
// passes "this replica is the elected leader", so that a standby neither
// opens watches of its own nor doubles every series.
func New(reader client.Reader, active func() bool, log logr.Logger) *Collector {
	return &Collector{
		reader: reader, active: active, log: log,
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "appserver_applicationserver_state_errors_total",
			Help: "Scrapes whose ApplicationServer state metrics are missing because the operator's cache could not be read.",
		}),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descInfo, descCondition, descReplicas, descMeteringTargets,
		descGeneration, descObservedGeneration, descCreated} {
		ch <- d
	}
	c.errors.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	defer c.errors.Collect(ch)
	if c.active != nil && !c.active() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	defer cancel()
	list := &v1alpha1.ApplicationServerList{}
	if err := c.reader.List(ctx, list); err != nil {
		// Failing the whole scrape would take the operator's own metrics
		// down with it (and fire AppServerOperatorDown): count it instead.
		c.errors.Inc()
		c.log.Error(err, "Listing ApplicationServers for the state metrics")
		return
	}
	for i := range list.Items {
		as := &list.Items[i]
		desired, err := c.desiredReplicas(ctx, as)
		if err != nil {
			c.errors.Inc()
			c.log.Error(err, "Reading the Deployment for the state metrics", "applicationServer", client.ObjectKeyFromObject(as))
			continue
		}
		collectServer(ch, as, desired)
	}
}

// desiredReplicas is the replicas of the server's Deployment (which an
// autoscaler may set), or spec.deployment.replicas while there is none, as
// in status.ready.
func (c *Collector) desiredReplicas(ctx context.Context, as *v1alpha1.ApplicationServer) (int32, error) {
	d := &appsv1.Deployment{}
	err := c.reader.Get(ctx, client.ObjectKey{Namespace: as.Namespace, Name: as.Name}, d)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return 0, err
	case metav1.IsControlledBy(d, as):
		return ptr.Deref(d.Spec.Replicas, 1), nil
	}
	return ptr.Deref(as.Spec.Deployment.Replicas, 1), nil
}

func collectServer(ch chan<- prometheus.Metric, as *v1alpha1.ApplicationServer, desired int32) {
	ns, name := as.Namespace, as.Name
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{ns, name}, labels...)...)
	}
	image := as.Status.Image
	if image == "" {
		image = as.Spec.Deployment.Image
	}
	gauge(descInfo, 1, image)
	for _, cond := range as.Status.Conditions {
		for _, s := range []metav1.ConditionStatus{metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown} {
			gauge(descCondition, boolValue(cond.Status == s), cond.Type, strings.ToLower(string(s)))
		}
	}
	st := as.Status
	gauge(descReplicas, float64(desired), StateDesired)
	gauge(descReplicas, float64(st.ReadyReplicas), StateReady)
	gauge(descReplicas, float64(st.AvailableReplicas), StateAvailable)
	gauge(descReplicas, float64(st.UpdatedReplicas), StateUpdated)
	if m := st.Metering; m != nil {
		gauge(descMeteringTargets, float64(m.Targets), StateTotal)
		gauge(descMeteringTargets, float64(m.HealthyTargets), StateHealthy)
	}
	gauge(descGeneration, float64(as.Generation))
	gauge(descObservedGeneration, float64(st.ObservedGeneration))
	if !as.CreationTimestamp.IsZero() {
		gauge(descCreated, float64(as.CreationTimestamp.Unix()))
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
