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
	LogShipperConfigVolumeName = "log-shipper-config"
	// LogShipperOffsetsVolumeName is the emptyDir of the read offsets and
	// of the persistent send queue: a restarted sidecar resumes from it.
	LogShipperOffsetsVolumeName = "log-shipper-offsets"
	// LogShipperCAVolumeName mounts the Elasticsearch CA Secret.
	LogShipperCAVolumeName = "log-shipper-ca"
	// LogShipperLogsVolumePrefix + <n> is the emptyDir of the n-th distinct
	// log directory, shared by the server and the shipper.
	LogShipperLogsVolumePrefix = "log-shipper-logs-"
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
