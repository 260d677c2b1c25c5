package resources

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// optionalAPIGoldenCases: the ServiceMonitor and the Route.
func optionalAPIGoldenCases() []goldenCase {
	return []goldenCase{
		// By the name of the service port that leads to the metrics port,
		// over https with the scraper's TLS setting; labels for Prometheus'
		// selector next to ours.
		{"servicemonitor", server("metrics", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Common.Labels = map[string]v1alpha1.LabelValue{"team": "web"}
			as.Spec.Server.Metering = &v1alpha1.MeteringSpec{Scheme: "https", Port: 8443, Path: "/metrics",
				ServiceMonitor: &v1alpha1.ServiceMonitorSpec{Enabled: true, Interval: "30s",
					Labels: map[string]v1alpha1.LabelValue{"release": "prometheus", v1alpha1.LabelManagedBy: "someone-else"}}}
		})},
		// A metrics port no service port leads to: by container port.
		{"servicemonitor-target-port", server("metrics", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.Metering = &v1alpha1.MeteringSpec{Scheme: "http", Port: 9090, Path: "/q/metrics",
				ServiceMonitor: &v1alpha1.ServiceMonitorSpec{Enabled: true}}
		})},
		{"route-edge", server("web", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Route = &v1alpha1.RouteSpec{Enabled: true, Host: "web.apps.example.com", Path: "/shop",
				TLS: &v1alpha1.RouteTLSSpec{Termination: "edge", InsecureEdgeTerminationPolicy: "Redirect"}}
		})},
		// The named port, passthrough, the host left to the router.
		{"route-passthrough", server("web", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Route = &v1alpha1.RouteSpec{Enabled: true, Port: "https",
				TLS: &v1alpha1.RouteTLSSpec{Termination: "passthrough"}}
		})},
	}
}

func TestOptionalChildrenOffWhenDisabled(t *testing.T) {
	as := server("off", func(as *v1alpha1.ApplicationServer) {
		as.Spec.Server.Metering = &v1alpha1.MeteringSpec{Enabled: true, ServiceMonitor: &v1alpha1.ServiceMonitorSpec{}}
		as.Spec.Route = &v1alpha1.RouteSpec{Host: "x.example.com"}
	})
	if sm := ServiceMonitor(as); sm != nil {
		t.Errorf("ServiceMonitor built while not enabled: %v", sm.Object)
	}
	if r := Route(as); r != nil {
		t.Errorf("Route built while not enabled: %v", r.Object)
	}
}

func TestOptionalChildrenFields(t *testing.T) {
	as := server("web", func(as *v1alpha1.ApplicationServer) {
		as.Spec.Service.Ports = []v1alpha1.ServicePort{{Name: "web", Port: 80, TargetPort: nil}, {Name: "admin", Port: 4848}}
		as.Spec.Server.Metering = &v1alpha1.MeteringSpec{Port: 4848, ServiceMonitor: &v1alpha1.ServiceMonitorSpec{Enabled: true}}
		as.Spec.Route = &v1alpha1.RouteSpec{Enabled: true}
	})
	sm := ServiceMonitor(as)
	eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if len(eps) != 1 {
		t.Fatalf("endpoints %v", eps)
	}
	ep := eps[0].(map[string]any)
	if ep["port"] != "admin" || ep["scheme"] != "https" || ep["path"] != "/metrics" {
		t.Errorf("endpoint %v: want port admin (leads to 4848), https, /metrics (the defaults)", ep)
	}
	sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	if sel[v1alpha1.LabelComponent] != ComponentServer || sel[v1alpha1.LabelInstance] != "web" {
		t.Errorf("selector %v: want the server's Service only", sel)
	}
	if sm.GetLabels()[v1alpha1.LabelManagedBy] != v1alpha1.ManagedByValue {
		t.Errorf("labels %v: the operator's labels must win", sm.GetLabels())
	}
	r := Route(as)
	if p, _, _ := unstructured.NestedString(r.Object, "spec", "port", "targetPort"); p != "web" {
		t.Errorf("route port %q, want the first service port web", p)
	}
	if to, _, _ := unstructured.NestedString(r.Object, "spec", "to", "name"); to != "web" {
		t.Errorf("route to %q, want the Service web", to)
	}
}
