package v1alpha1

// Types of the children whose API a cluster may not serve: the Prometheus
// Operator's ServiceMonitor and OpenShift's Route (issue 10 §4, §5). When
// the API is absent the operator makes nothing and says so in the
// MissingAPI condition; the server is not Degraded for it.

// ServiceMonitorSpec asks for a monitoring.coreos.com/v1 ServiceMonitor
// named after the server, for Prometheus Operator users. It scrapes the
// endpoint of spec.server.metering (scheme, port, path), whether or not the
// operator's own metering is enabled.
type ServiceMonitorSpec struct {
	// enabled creates the ServiceMonitor.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// interval between scrapes, as a Prometheus duration (30s, 1m, 1h30m);
	// Prometheus' global scrape interval when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ms|s|m|h|d|w|y))+$')",message="spec.server.metering.serviceMonitor.interval must be a Prometheus duration such as 30s, 1m or 1h30m"
	Interval string `json:"interval,omitempty"`
	// labels are added to the ServiceMonitor's own labels, so that a
	// Prometheus' serviceMonitorSelector picks it up. They never replace the
	// operator's app.kubernetes.io/* labels.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="spec.server.metering.serviceMonitor.labels: every key must be a valid label key ([prefix/]name, name at most 63 characters of alphanumerics, '-', '_' or '.')"
	Labels map[string]LabelValue `json:"labels,omitempty"`
}

// RouteSpec asks for an OpenShift route.openshift.io/v1 Route to one port of
// the server's Service (WebOTX's guide runs `oc expose svc` for this).
//
// +kubebuilder:validation:XValidation:rule="!has(self.tls) || self.tls.termination != 'passthrough' || !has(self.path) || self.path == '/'",message="spec.route.path: a passthrough route cannot route by path (the router sees no HTTP)"
// +kubebuilder:validation:XValidation:rule="!has(self.tls) || self.tls.termination != 'passthrough' || !has(self.tls.insecureEdgeTerminationPolicy) || self.tls.insecureEdgeTerminationPolicy != 'Allow'",message="spec.route.tls.insecureEdgeTerminationPolicy: Allow is not possible with passthrough termination (None or Redirect)"
type RouteSpec struct {
	// enabled creates the Route.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// host the Route answers for; the router generates one when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="spec.route.host must be a DNS name (lower-case letters, digits, '-' and '.')"
	Host string `json:"host,omitempty"`
	// path routed to the server; absolute. All paths when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="spec.route.path must be an absolute path (start with '/')"
	Path string `json:"path,omitempty"`
	// port names the service port the Route sends traffic to; the first of
	// spec.service.ports when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=15
	Port string `json:"port,omitempty"`
	// tls terminates TLS at the router (edge), at the server (passthrough)
	// or at both (reencrypt), with the router's default certificate.
	// +optional
	TLS *RouteTLSSpec `json:"tls,omitempty"`
}

// RouteTLSSpec is the TLS setting of a Route.
type RouteTLSSpec struct {
	// termination: edge, passthrough or reencrypt.
	// +required
	// +kubebuilder:validation:Enum=edge;passthrough;reencrypt
	Termination string `json:"termination"`
	// insecureEdgeTerminationPolicy for plain HTTP requests: None (refused),
	// Allow (served) or Redirect (to HTTPS).
	// +optional
	// +kubebuilder:validation:Enum=None;Allow;Redirect
	InsecureEdgeTerminationPolicy string `json:"insecureEdgeTerminationPolicy,omitempty"`
}
