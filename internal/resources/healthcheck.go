package resources

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// MicroProfile Health endpoints used by server.healthCheck.
const (
	HealthLivePath  = "/health/live"
	HealthReadyPath = "/health/ready"
)

// DefaultStartupTimeoutSeconds is how long a server may take to start under
// server.healthCheck before its startup probe gives up: JVM servers with
// many applications take minutes, and liveness must not kill them meanwhile.
const DefaultStartupTimeoutSeconds = 600

// startupPeriodSeconds is the startup probe's period; the timeout is spread
// over it as failureThreshold.
const startupPeriodSeconds = 10

// withHealthCheck sets the server container's probes: each explicit probe as
// given, else a MicroProfile Health probe when healthCheck is on, else none.
// The startup probe asks the liveness path by default: /health/started only
// exists from MicroProfile Health 3.1 on, and a server without it would be
// restarted for ever.
func withHealthCheck(c *corev1.Container, as *v1alpha1.ApplicationServer) {
	d := as.Spec.Deployment
	hc := as.Spec.Server.HealthCheck
	live := HealthLivePath
	ready := HealthReadyPath
	if hc != nil && hc.LivenessPath != "" {
		live = string(hc.LivenessPath)
	}
	if hc != nil && hc.ReadinessPath != "" {
		ready = string(hc.ReadinessPath)
	}
	started := live
	if hc != nil && hc.StartupPath != "" {
		started = string(hc.StartupPath)
	}
	c.ReadinessProbe = probe(d.ReadinessProbe, hc, ready)
	c.LivenessProbe = probe(d.LivenessProbe, hc, live)
	c.StartupProbe = probe(d.StartupProbe, hc, started)
	if c.StartupProbe != nil && (d.StartupProbe == nil || d.StartupProbe.Server == nil) {
		timeout := int32(DefaultStartupTimeoutSeconds)
		if hc.StartupTimeoutSeconds != nil {
			timeout = *hc.StartupTimeoutSeconds
		}
		c.StartupProbe.PeriodSeconds = startupPeriodSeconds
		c.StartupProbe.FailureThreshold = (timeout + startupPeriodSeconds - 1) / startupPeriodSeconds
	}
}

// probe returns the explicit probe when given, else a MicroProfile Health
// probe on path when healthCheck is on, else none.
func probe(explicit *v1alpha1.ContainerProbe, hc *v1alpha1.HealthCheckSpec, path string) *corev1.Probe {
	if explicit != nil && explicit.Server != nil {
		return explicit.Server.DeepCopy()
	}
	if hc == nil {
		return nil
	}
	scheme := corev1.URISchemeHTTPS
	if strings.EqualFold(hc.Scheme, "http") {
		scheme = corev1.URISchemeHTTP
	}
	port := hc.Port
	if port == 0 {
		port = 8443
	}
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
		Path: path, Port: intstr.FromInt32(port), Scheme: scheme,
	}}}
}
