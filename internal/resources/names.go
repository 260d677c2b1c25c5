package resources

// Names of what the operator adds to a server's pods: containers, volumes,
// environment variables. They live here, in one place, so that admission can
// reject a user's name that collides with one of them.

// ServerContainerName is the name of the application server's container.
const ServerContainerName = "server"

// LogShipperContainerName is the log-shipping sidecar's container name.
const LogShipperContainerName = "log-shipper"

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
