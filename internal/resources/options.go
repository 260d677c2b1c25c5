package resources

// Options are the operator-wide inputs of the builders: operator settings
// that shape children, the same for every ApplicationServer. The zero value
// is valid (what the golden tests use unless a case says otherwise).
type Options struct {
	// OperatorImage is the operator's own image (the OPERATOR_IMAGE
	// setting), for containers the operator adds that run its binary.
	OperatorImage string
	// LogShipperImage is the default log-shipper image (the
	// LOG_SHIPPER_IMAGE setting); a server may override it.
	LogShipperImage string
}
