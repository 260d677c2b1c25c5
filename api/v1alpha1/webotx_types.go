package v1alpha1

// Types of the WebOTX-parity fields of the server block (issue 10).

// HTTPPath is an absolute URL path.
// +kubebuilder:validation:MaxLength=1024
// +kubebuilder:validation:Pattern=`^/`
type HTTPPath string

// PerformanceAnalyzerSpec configures WebOTX's performance analyzer, passed
// to the server container as OTX_FAULT_VERIFICATION_TIME,
// OTX_SLOW_DOWN_MONITOR and OTX_MEMORY_MONITOR.
type PerformanceAnalyzerSpec struct {
	// faultVerificationTime in seconds (OTX_FAULT_VERIFICATION_TIME).
	// +optional
	// +kubebuilder:validation:Minimum=0
	FaultVerificationTime *int32 `json:"faultVerificationTime,omitempty"`
	// slowDownMonitor turns the slow-down monitor on (OTX_SLOW_DOWN_MONITOR).
	// +optional
	SlowDownMonitor *bool `json:"slowDownMonitor,omitempty"`
	// memoryMonitor turns the memory monitor on (OTX_MEMORY_MONITOR).
	// +optional
	MemoryMonitor *bool `json:"memoryMonitor,omitempty"`
}

// Session replication discovery mechanisms.
const (
	// DiscoveryKubernetes: JGroups KUBE_PING lists the server's pods through
	// the Kubernetes API (the operator grants the pods' ServiceAccount that).
	DiscoveryKubernetes = "kubernetes"
	// DiscoveryDNS: JGroups DNS_PING resolves the headless peers Service.
	DiscoveryDNS = "dns"
)

// SessionReplicationSpec turns on Infinispan/JGroups session replication
// between the server's pods (WebOTX: webotx.sessionReplication).
type SessionReplicationSpec struct {
	// enabled creates what peer discovery needs (a headless peers Service,
	// and for kubernetes discovery a ServiceAccount, Role and RoleBinding)
	// and sets the replication environment of the server container.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// useJmxAgent is passed as OTX_USE_JMX_AGENT (WebOTX's).
	// +optional
	UseJmxAgent bool `json:"useJmxAgent,omitempty"`
	// useAllProcessGroups is passed as OTX_USE_ALL_PROCESSGROUPS (WebOTX's).
	// +optional
	UseAllProcessGroups bool `json:"useAllProcessGroups,omitempty"`
	// discovery is how peers find each other: kubernetes (KUBE_PING, the
	// default) or dns (DNS_PING on the peers Service).
	// +optional
	// +kubebuilder:default=kubernetes
	// +kubebuilder:validation:Enum=kubernetes;dns
	Discovery string `json:"discovery,omitempty"`
	// port is the JGroups cluster port on each pod; default 7800.
	// +optional
	// +kubebuilder:default=7800
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`
}
