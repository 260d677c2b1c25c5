package resources

// Options are the inputs of the builders other than the ApplicationServer:
// operator settings that shape children, the same for every server, and
// what the reconciler looked up for this one. The zero value is valid (what
// the golden tests use unless a case says otherwise).
type Options struct {
	// OperatorImage is the operator's own image (the OPERATOR_IMAGE
	// setting), for containers the operator adds that run its binary.
	OperatorImage string
	// LogShipperImage is the default log-shipper image (the
	// LOG_SHIPPER_IMAGE setting); a server may override it.
	LogShipperImage string
	// OperatorNamespace is the operator's own namespace (POD_NAMESPACE):
	// NetworkPolicies let it reach the metering port. Empty: no such rule.
	OperatorNamespace string
	// DependencyPorts are the first Service ports of the ApplicationServers
	// named in spec.dependsOn, by name, as the reconciler found them; one
	// not found is waited for on 8080.
	DependencyPorts map[string]int32
}
