package resources

import (
	"maps"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// ServiceMonitorGVK is the Prometheus Operator's ServiceMonitor. The
// operator builds it as an unstructured object: it needs a handful of
// fields, not the Prometheus Operator's Go module and its dependencies.
var ServiceMonitorGVK = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "ServiceMonitor"}

// ServiceMonitorWanted reports whether the spec asks for a ServiceMonitor.
func ServiceMonitorWanted(as *v1alpha1.ApplicationServer) bool {
	m := as.Spec.Server.Metering
	return m != nil && m.ServiceMonitor != nil && m.ServiceMonitor.Enabled
}

// MetricsEndpoint is where the server serves its metrics: the scheme, port
// and path of spec.server.metering, with their defaults (https, 8443,
// /metrics) where unset.
func MetricsEndpoint(m *v1alpha1.MeteringSpec) (scheme string, port int32, path string) {
	scheme, port, path = "https", 8443, "/metrics"
	if m == nil {
		return scheme, port, path
	}
	if m.Scheme != "" {
		scheme = m.Scheme
	}
	if m.Port != 0 {
		port = m.Port
	}
	if m.Path != "" {
		path = m.Path
	}
	return scheme, port, path
}

// ServiceMonitor builds the ServiceMonitor that has Prometheus scrape the
// server's own metrics endpoint (spec.server.metering's scheme, port and
// path) on every pod behind the server's Service, or returns nil when
// spec.server.metering.serviceMonitor is not enabled.
func ServiceMonitor(as *v1alpha1.ApplicationServer) *unstructured.Unstructured {
	if !ServiceMonitorWanted(as) {
		return nil
	}
	m := as.Spec.Server.Metering
	sm := m.ServiceMonitor
	scheme, port, path := MetricsEndpoint(m)
	endpoint := map[string]any{"scheme": scheme, "path": path}
	// By the service port's name when one leads to the metrics port (the
	// Prometheus Operator's preferred way), else by the container port.
	if name := servicePortTo(as, port); name != "" {
		endpoint["port"] = name
	} else {
		endpoint["targetPort"] = int64(port)
	}
	if sm.Interval != "" {
		endpoint["interval"] = sm.Interval
	}
	if scheme == "https" {
		// As the operator's own scraper: application servers serve their
		// metrics with self-signed certificates.
		endpoint["tlsConfig"] = map[string]any{"insecureSkipVerify": true}
	}
	meta := objectMeta(as, as.Name, ComponentServer, nil)
	labels := make(map[string]string, len(sm.Labels)+len(meta.Labels))
	for k, v := range sm.Labels {
		labels[k] = string(v)
	}
	maps.Copy(labels, meta.Labels)
	selector := map[string]any{}
	for k, v := range SelectorLabels(as) {
		selector[k] = v
	}
	// The server's Service, not the session replication peers Service.
	selector[v1alpha1.LabelComponent] = ComponentServer

	u := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{
			"selector":  map[string]any{"matchLabels": selector},
			"endpoints": []any{endpoint},
		},
	}}
	u.SetGroupVersionKind(ServiceMonitorGVK)
	u.SetName(meta.Name)
	u.SetNamespace(meta.Namespace)
	u.SetLabels(labels)
	u.SetAnnotations(meta.Annotations)
	return u
}

// servicePortTo is the name of the first service port whose target is the
// container port, or "".
func servicePortTo(as *v1alpha1.ApplicationServer, containerPort int32) string {
	ports := servicePorts(as)
	for _, p := range ports {
		if targetPort(ports, p) == containerPort {
			return p.Name
		}
	}
	return ""
}
