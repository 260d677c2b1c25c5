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

// FileMountsSpec mounts single keys of ConfigMaps and Secrets as files
// (WebOTX: webotx.fileMounts). No two mounts may share a path.
//
// +kubebuilder:validation:XValidation:rule="!has(self.configMaps) || self.configMaps.all(m, self.configMaps.exists_one(n, n.path == m.path) && (!has(self.secrets) || !self.secrets.exists(n, n.path == m.path)))",message="spec.server.fileMounts: every path must be unique across configMaps and secrets"
// +kubebuilder:validation:XValidation:rule="!has(self.secrets) || self.secrets.all(m, self.secrets.exists_one(n, n.path == m.path))",message="spec.server.fileMounts: every path must be unique across configMaps and secrets"
type FileMountsSpec struct {
	// configMaps mount one key of a ConfigMap each.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	ConfigMaps []FileMount `json:"configMaps,omitempty"`
	// secrets mount one key of a Secret each, mode 0440.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Secrets []FileMount `json:"secrets,omitempty"`
}

// FileMount mounts one key of a ConfigMap or Secret as a read-only file.
type FileMount struct {
	// name of the ConfigMap or Secret, in the server's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`
	// key in it whose value is the file's content.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
	// path of the file in the server container: absolute, not /, no '..'.
	// +required
	// +kubebuilder:validation:MinLength=2
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/') && self != '/' && !self.matches('(^|/)[.][.](/|$)')",message="spec.server.fileMounts[].path must be an absolute file path other than / and without '..'"
	Path string `json:"path"`
}

// ReplacementSpec names the PersistentVolumeClaim holding applications and
// configuration that WebOTX images copy in at start
// (WebOTX: webotx.replacement).
type ReplacementSpec struct {
	// persistentVolumeClaimName is mounted at /opt/WebOTX/pv.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	PersistentVolumeClaimName string `json:"persistentVolumeClaimName"`
}

// PersistenceSpec mounts a PersistentVolumeClaim into the server container,
// for any image.
type PersistenceSpec struct {
	// claimName of the PersistentVolumeClaim, in the server's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	ClaimName string `json:"claimName"`
	// mountPath in the server container: absolute, not /.
	// +required
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/') && self != '/' && !self.matches('(^|/)[.][.](/|$)')",message="spec.server.persistence.mountPath must be an absolute path other than / and without '..'"
	MountPath string `json:"mountPath"`
	// subPath of the volume to mount; its root when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/') && !self.matches('(^|/)[.][.](/|$)')",message="spec.server.persistence.subPath must be a relative path without '..'"
	SubPath string `json:"subPath,omitempty"`
	// readOnly mounts the volume read-only.
	// +optional
	ReadOnly bool `json:"readOnly,omitempty"`
}
