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
