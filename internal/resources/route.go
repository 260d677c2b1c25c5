package resources

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// RouteGVK is OpenShift's Route, built unstructured (no OpenShift Go module).
var RouteGVK = schema.GroupVersionKind{Group: "route.openshift.io", Version: "v1", Kind: "Route"}

// RouteWanted reports whether the spec asks for a Route.
func RouteWanted(as *v1alpha1.ApplicationServer) bool {
	return as.Spec.Route != nil && as.Spec.Route.Enabled
}

// Route builds the OpenShift Route to one port of the server's Service
// (spec.route.port, else the first service port), or returns nil when
// spec.route is not enabled.
func Route(as *v1alpha1.ApplicationServer) *unstructured.Unstructured {
	if !RouteWanted(as) {
		return nil
	}
	r := as.Spec.Route
	port := r.Port
	if port == "" {
		port = servicePorts(as)[0].Name
	}
	spec := map[string]any{
		"to":   map[string]any{"kind": "Service", "name": as.Name, "weight": int64(100)},
		"port": map[string]any{"targetPort": port},
	}
	if r.Host != "" {
		spec["host"] = r.Host
	}
	if r.Path != "" {
		spec["path"] = r.Path
	}
	if r.TLS != nil {
		tls := map[string]any{"termination": r.TLS.Termination}
		if r.TLS.InsecureEdgeTerminationPolicy != "" {
			tls["insecureEdgeTerminationPolicy"] = r.TLS.InsecureEdgeTerminationPolicy
		}
		spec["tls"] = tls
	}
	meta := objectMeta(as, as.Name, ComponentServer, nil)
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetGroupVersionKind(RouteGVK)
	u.SetName(meta.Name)
	u.SetNamespace(meta.Namespace)
	u.SetLabels(meta.Labels)
	u.SetAnnotations(meta.Annotations)
	return u
}
