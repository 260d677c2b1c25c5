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

// TracingSpec configures the server's tracer through standard environment
// variables.
type TracingSpec struct {
	// jaeger holds WebOTX's Jaeger settings (WebOTX: webotx.jaeger), passed
	// as the standard JAEGER_* variables.
	// +optional
	Jaeger *JaegerSpec `json:"jaeger,omitempty"`
	// otlp configures an OpenTelemetry SDK through the standard OTEL_*
	// variables.
	// +optional
	OTLP *TracingOTLPSpec `json:"otlp,omitempty"`
}

// JaegerSpec holds WebOTX's 14 Jaeger keys. Values are strings, as in WebOTX.
type JaegerSpec struct {
	// serviceName → JAEGER_SERVICE_NAME.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	ServiceName string `json:"serviceName,omitempty"`
	// agentHost → JAEGER_AGENT_HOST (UDP agent).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	AgentHost string `json:"agentHost,omitempty"`
	// agentPort → JAEGER_AGENT_PORT.
	// +optional
	// +kubebuilder:validation:MaxLength=5
	// +kubebuilder:validation:Pattern=`^[0-9]+$`
	AgentPort string `json:"agentPort,omitempty"`
	// endpoint → JAEGER_ENDPOINT, e.g. http://jaeger-collector:14268/api/traces.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Endpoint string `json:"endpoint,omitempty"`
	// authToken → JAEGER_AUTH_TOKEN, sent as "Bearer".
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	AuthToken string `json:"authToken,omitempty"`
	// authSecret names a Secret with keys username and password →
	// JAEGER_USER and JAEGER_PASSWORD (basic authentication).
	// +optional
	AuthSecret *SecretName `json:"authSecret,omitempty"`
	// propagation → JAEGER_PROPAGATION: comma-separated jaeger, b3, w3c.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^(jaeger|b3|w3c)(,(jaeger|b3|w3c))*$`
	Propagation string `json:"propagation,omitempty"`
	// reporterLogSpans → JAEGER_REPORTER_LOG_SPANS (true or false).
	// +optional
	// +kubebuilder:validation:Enum="true";"false"
	ReporterLogSpans string `json:"reporterLogSpans,omitempty"`
	// reporterMaxQueueSize → JAEGER_REPORTER_MAX_QUEUE_SIZE.
	// +optional
	// +kubebuilder:validation:MaxLength=10
	// +kubebuilder:validation:Pattern=`^[0-9]+$`
	ReporterMaxQueueSize string `json:"reporterMaxQueueSize,omitempty"`
	// reporterFlushInterval → JAEGER_REPORTER_FLUSH_INTERVAL (milliseconds).
	// +optional
	// +kubebuilder:validation:MaxLength=10
	// +kubebuilder:validation:Pattern=`^[0-9]+$`
	ReporterFlushInterval string `json:"reporterFlushInterval,omitempty"`
	// samplerType → JAEGER_SAMPLER_TYPE.
	// +optional
	// +kubebuilder:validation:Enum=const;probabilistic;ratelimiting;remote
	SamplerType string `json:"samplerType,omitempty"`
	// samplerParam → JAEGER_SAMPLER_PARAM (a number).
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^[0-9]+([.][0-9]+)?$`
	SamplerParam string `json:"samplerParam,omitempty"`
	// samplerManagerHostPort → JAEGER_SAMPLER_MANAGER_HOST_PORT (host:port).
	// +optional
	// +kubebuilder:validation:MaxLength=260
	// +kubebuilder:validation:Pattern=`^[^:]+:[0-9]+$`
	SamplerManagerHostPort string `json:"samplerManagerHostPort,omitempty"`
	// tags → JAEGER_TAGS: comma-separated name=value tracer tags.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Tags string `json:"tags,omitempty"`
}

// SecretName names a Secret in the server's namespace.
type SecretName struct {
	// name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="!format.dns1123Subdomain().validate(self).hasValue()",message="the Secret name must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')"
	Name string `json:"name"`
}

// TracingOTLPSpec configures an OpenTelemetry SDK in the server through the
// standard OTEL_* environment variables.
type TracingOTLPSpec struct {
	// endpoint → OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://collector:4318.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.startsWith('http://') || self.startsWith('https://')",message="spec.server.tracing.otlp.endpoint must be an http:// or https:// URL"
	Endpoint string `json:"endpoint"`
	// protocol → OTEL_EXPORTER_OTLP_PROTOCOL; the SDK's default when unset.
	// +optional
	// +kubebuilder:validation:Enum=grpc;http/protobuf;http/json
	Protocol string `json:"protocol,omitempty"`
	// serviceName → OTEL_SERVICE_NAME; the ApplicationServer's name when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	ServiceName string `json:"serviceName,omitempty"`
	// sampler → OTEL_TRACES_SAMPLER.
	// +optional
	// +kubebuilder:validation:Enum=always_on;always_off;traceidratio;parentbased_always_on;parentbased_always_off;parentbased_traceidratio
	Sampler string `json:"sampler,omitempty"`
	// samplerArg → OTEL_TRACES_SAMPLER_ARG (the ratio for traceidratio).
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^[0-9]+([.][0-9]+)?$`
	SamplerArg string `json:"samplerArg,omitempty"`
	// headersSecret is a Secret key holding OTEL_EXPORTER_OTLP_HEADERS
	// (key=value pairs, comma-separated, e.g. authorization=Bearer ...).
	// +optional
	HeadersSecret *SecretKey `json:"headersSecret,omitempty"`
	// resourceAttributes are added to OTEL_RESOURCE_ATTRIBUTES after
	// k8s.pod.name and k8s.namespace.name.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	ResourceAttributes map[string]string `json:"resourceAttributes,omitempty"`
}
