package resources

// Names of what the operator adds to a server's pods: containers, volumes,
// environment variables. They live here, in one place, so that admission can
// reject a user's name that collides with one of them.

// ServerContainerName is the name of the application server's container.
const ServerContainerName = "server"

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
	VolumeFileMountConfigMapPrefix = "filemount-cm-"
	VolumeFileMountSecretPrefix    = "filemount-secret-"
	VolumeReplacement              = "replacement"
	VolumePersistence              = "persistence"
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
