package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Dependency is one thing the server's pods wait for before the server
// starts (spec.dependsOn[]): set exactly one of tcp, http and
// applicationServer.
//
// +kubebuilder:validation:XValidation:rule="(has(self.tcp) ? 1 : 0) + (has(self.http) ? 1 : 0) + (has(self.applicationServer) ? 1 : 0) == 1",message="spec.dependsOn[]: set exactly one of tcp, http and applicationServer"
type Dependency struct {
	// tcp is a host:port that must accept a TCP connection.
	// +optional
	// +kubebuilder:validation:MaxLength=261
	// +kubebuilder:validation:XValidation:rule="self.matches('^[^\\\\s:/]+:[0-9]{1,5}$') || self.matches('^\\\\[[0-9a-fA-F:.]+\\\\]:[0-9]{1,5}$')",message="spec.dependsOn[].tcp must be host:port (for example db:5432)"
	TCP string `json:"tcp,omitempty"`
	// http is a URL that must answer with the expected status.
	// +optional
	HTTP *HTTPDependency `json:"http,omitempty"`
	// applicationServer names another ApplicationServer in the same
	// namespace: its Service's first port must accept a TCP connection.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z]([-a-z0-9]*[a-z0-9])?$`
	ApplicationServer string `json:"applicationServer,omitempty"`
	// timeoutSeconds after which the wait-for init container gives up on
	// this dependency and fails (the pod then restarts it, as for any init
	// container). Unset: wait for ever.
	// +optional
	// +kubebuilder:validation:Minimum=1
	TimeoutSeconds *int32 `json:"timeoutSeconds,omitempty"`
}

// HTTPDependency is a URL that must answer with an expected status.
type HTTPDependency struct {
	// url to GET; http or https (certificates are not verified: this checks
	// that the dependency is up, not who it is).
	// +required
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.startsWith('http://') || self.startsWith('https://')",message="spec.dependsOn[].http.url must start with http:// or https://"
	URL string `json:"url"`
	// expectStatus is the HTTP status code that means "up"; any 2xx when
	// unset.
	// +optional
	// +kubebuilder:validation:Minimum=100
	// +kubebuilder:validation:Maximum=599
	ExpectStatus *int32 `json:"expectStatus,omitempty"`
}

// NetworkPolicySpec creates an ingress NetworkPolicy for the server's pods.
type NetworkPolicySpec struct {
	// enabled creates the NetworkPolicy; disabling it deletes it.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// from are the peers allowed to reach the Service's ports, in addition
	// to the server's own namespace (allowSameNamespace). Within one entry
	// both selectors must match (a pod of a selected namespace); entries
	// add up.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	From []NetworkPolicyPeer `json:"from,omitempty"`
	// allowSameNamespace allows every pod of the server's namespace; true
	// when unset.
	// +optional
	// +kubebuilder:default=true
	AllowSameNamespace *bool `json:"allowSameNamespace,omitempty"`
}

// NetworkPolicyPeer selects pods allowed to reach the server.
//
// +kubebuilder:validation:XValidation:rule="has(self.namespaceSelector) || has(self.podSelector)",message="spec.networkPolicy.from[]: set namespaceSelector, podSelector or both"
type NetworkPolicyPeer struct {
	// namespaceSelector selects namespaces; with podSelector, pods of those
	// namespaces; alone, every pod of them.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
	// podSelector selects pods; alone, pods of the server's namespace.
	// +optional
	PodSelector *metav1.LabelSelector `json:"podSelector,omitempty"`
}

// ShutdownSpec drains a pod before its server stops.
type ShutdownSpec struct {
	// drainSeconds the server container sleeps in its preStop hook (the
	// built-in sleep action) before it gets SIGTERM, so that Services and
	// load balancers stop sending it requests first. Must be less than
	// deployment.terminationGracePeriodSeconds (30 when unset).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3600
	DrainSeconds *int32 `json:"drainSeconds,omitempty"`
}

// ContainerLifecycle holds the lifecycle hooks per container.
type ContainerLifecycle struct {
	// server container's lifecycle (postStart, preStop, stopSignal). A
	// preStop here replaces the drain sleep of deployment.shutdown.
	// +optional
	Server *corev1.Lifecycle `json:"server,omitempty"`
}

// ContainerVolumeMounts holds extra volume mounts per container.
type ContainerVolumeMounts struct {
	// server container's extra mounts, of deployment.volumes (or of the
	// volumes the operator adds).
	// +optional
	// +listType=map
	// +listMapKey=mountPath
	// +kubebuilder:validation:MaxItems=64
	Server []corev1.VolumeMount `json:"server,omitempty"`
}

// ContainerCommand holds a command (or arguments) per container.
type ContainerCommand struct {
	// server container's command or arguments; replaces the image's.
	// +optional
	// +kubebuilder:validation:MaxItems=256
	Server []string `json:"server,omitempty"`
}
