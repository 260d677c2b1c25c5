package resources

// Names of what the operator adds to a server's pods: containers, volumes,
// environment variables. They live here, in one place, so that admission can
// reject a user's name that collides with one of them.

// ServerContainerName is the name of the application server's container.
const ServerContainerName = "server"

// Log shipper (server.application.logs, deployment.logShipper; logshipper.go).
const (
	// LogShipperContainerName is the native sidecar that ships the log files.
	LogShipperContainerName = "log-shipper"
	// LogShipperConfigVolumeName mounts the <name>-logshipper ConfigMap.
	LogShipperConfigVolumeName = ReservedVolumePrefix + "log-shipper-config"
	// LogShipperOffsetsVolumeName is the emptyDir of the read offsets and
	// of the persistent send queue: a restarted sidecar resumes from it.
	LogShipperOffsetsVolumeName = ReservedVolumePrefix + "log-shipper-offsets"
	// LogShipperCAVolumeName mounts the Elasticsearch CA Secret.
	LogShipperCAVolumeName = ReservedVolumePrefix + "log-shipper-ca"
	// LogShipperLogsVolumePrefix + <n> is the emptyDir of the n-th distinct
	// log directory, shared by the server and the shipper.
	LogShipperLogsVolumePrefix = ReservedVolumePrefix + "log-shipper-logs-"
)

// Environment variables of the log-shipper container; the generated config
// refers to them as ${env:NAME}.
const (
	LogShipperEnvNamespace  = "K8S_NAMESPACE_NAME"
	LogShipperEnvPodName    = "K8S_POD_NAME"
	LogShipperEnvNodeName   = "K8S_NODE_NAME"
	LogShipperEnvPodIP      = "K8S_POD_IP"
	LogShipperEnvESUser     = "ES_USERNAME"
	LogShipperEnvESPassword = "ES_PASSWORD"
	LogShipperEnvOTLPHeader = "OTLP_HEADERS"
	LogShipperEnvGoMemLimit = "GOMEMLIMIT"
)

// LogShipperConfigHashAnnotation on the pod template holds the hash of the
// shipper's config, so that a change of the config rolls the pods.
const LogShipperConfigHashAnnotation = "appserver.dev/logshipper-config-hash"

// WaitForContainerName is the init container that waits for
// spec.dependsOn; it runs the operator's own image (`appserver-operator wait`).
const WaitForContainerName = "wait-for"

// ReservedContainerNames are the container names the operator may add to a
// pod: admission rejects them in spec.deployment.initContainers and
// .sidecars (the CEL rules on DeploymentSpec list them; a unit test keeps
// the two in step).
var ReservedContainerNames = []string{ServerContainerName, LogShipperContainerName, WaitForContainerName}

// ReservedVolumePrefix starts the name of every volume the operator adds to
// a pod; admission rejects user volumes named so (spec.deployment.volumes).
const ReservedVolumePrefix = "appserver-"

// Environment variables the operator sets.
const (
	// WaitForEnv holds the wait-for container's targets, as JSON (see
	// internal/wait.Target).
	WaitForEnv = "WAIT_FOR"
	// StopTimeoutEnv is the seconds WebOTX images give the server to stop:
	// what is left of the grace period after the drain.
	StopTimeoutEnv = "OTX_STOP_TIMEOUT"
)

// Pod template annotations the operator sets.
const (
	// ConfigHashAnnotation is a hash of the data of every ConfigMap and
	// Secret the pod template references: a change rolls the pods.
	ConfigHashAnnotation = "appserver.dev/config-hash"
	// RestartVersionAnnotation carries spec.restartVersion: a change rolls
	// the pods.
	RestartVersionAnnotation = "appserver.dev/restart-version"
)

// Environment variables of the server container set from
// server.performanceAnalyzer (WebOTX's names).
const (
	EnvFaultVerificationTime = "OTX_FAULT_VERIFICATION_TIME"
	EnvSlowDownMonitor       = "OTX_SLOW_DOWN_MONITOR"
	EnvMemoryMonitor         = "OTX_MEMORY_MONITOR"
)

// Session replication (server.sessionReplication): the cluster port and the
// environment of the server container (WebOTX's OTX_* names, and the
// generic names JGroups' KUBE_PING and DNS_PING read).
const (
	PeersPortName          = "jgroups"
	EnvDatagridType        = "OTX_DATAGRID_TYPE"
	EnvUseJmxAgent         = "OTX_USE_JMX_AGENT"
	EnvUseAllProcessGroups = "OTX_USE_ALL_PROCESSGROUPS"
	EnvKubernetesNamespace = "KUBERNETES_NAMESPACE"
	EnvKubernetesLabels    = "KUBERNETES_LABELS"
	EnvJGroupsDNSQuery     = "JGROUPS_DNS_QUERY"
)

// Volumes of server.fileMounts, server.replacement and server.persistence.
// File mount volumes are numbered: <prefix><index>.
const (
	VolumeFileMountConfigMapPrefix = ReservedVolumePrefix + "filemount-cm-"
	VolumeFileMountSecretPrefix    = ReservedVolumePrefix + "filemount-secret-"
	VolumeReplacement              = ReservedVolumePrefix + "replacement"
	VolumePersistence              = ReservedVolumePrefix + "persistence"
	// ReplacementMountPath is where WebOTX images look for replacement
	// applications and configuration.
	ReplacementMountPath = "/opt/WebOTX/pv"
)

// Tracing (server.tracing): the downward-API variables OTEL_RESOURCE_ATTRIBUTES
// refers to. (JAEGER_* and OTEL_* are the standard names, see tracing.go.)
const (
	EnvPodName       = "K8S_POD_NAME"
	EnvNamespaceName = "K8S_NAMESPACE_NAME"
)

// Environment variables of the server container reserved while the field
// that sets them is in use: admission rejects them in spec.server.env
// (the CEL rules on ServerSpec list them; TestReservedEnvNames keeps the
// lists, the rules and the builders in step).
var (
	ReservedEnvSessionReplication = []string{EnvDatagridType, EnvUseJmxAgent, EnvUseAllProcessGroups,
		EnvKubernetesNamespace, EnvKubernetesLabels, EnvJGroupsDNSQuery}
	ReservedEnvJaeger = []string{"JAEGER_SERVICE_NAME", "JAEGER_AGENT_HOST", "JAEGER_AGENT_PORT", "JAEGER_ENDPOINT",
		"JAEGER_AUTH_TOKEN", "JAEGER_USER", "JAEGER_PASSWORD", "JAEGER_PROPAGATION", "JAEGER_REPORTER_LOG_SPANS",
		"JAEGER_REPORTER_MAX_QUEUE_SIZE", "JAEGER_REPORTER_FLUSH_INTERVAL", "JAEGER_SAMPLER_TYPE", "JAEGER_SAMPLER_PARAM",
		"JAEGER_SAMPLER_MANAGER_HOST_PORT", "JAEGER_TAGS"}
	ReservedEnvOTLP = []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_SERVICE_NAME",
		"OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_RESOURCE_ATTRIBUTES",
		EnvPodName, EnvNamespaceName}
	ReservedEnvPerformanceAnalyzer = []string{EnvFaultVerificationTime, EnvSlowDownMonitor, EnvMemoryMonitor}
)
