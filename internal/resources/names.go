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
