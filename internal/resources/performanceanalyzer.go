package resources

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// performanceAnalyzerEnv passes WebOTX's performance analyzer settings as
// the environment variables WebOTX images read; unset fields add nothing.
func performanceAnalyzerEnv(pa *v1alpha1.PerformanceAnalyzerSpec) []corev1.EnvVar {
	if pa == nil {
		return nil
	}
	var out []corev1.EnvVar
	if pa.FaultVerificationTime != nil {
		out = append(out, corev1.EnvVar{Name: EnvFaultVerificationTime, Value: strconv.Itoa(int(*pa.FaultVerificationTime))})
	}
	if pa.SlowDownMonitor != nil {
		out = append(out, corev1.EnvVar{Name: EnvSlowDownMonitor, Value: strconv.FormatBool(*pa.SlowDownMonitor)})
	}
	if pa.MemoryMonitor != nil {
		out = append(out, corev1.EnvVar{Name: EnvMemoryMonitor, Value: strconv.FormatBool(*pa.MemoryMonitor)})
	}
	return out
}
