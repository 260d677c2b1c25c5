package resources

import (
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// defaultGracePeriod is Kubernetes' terminationGracePeriodSeconds when unset.
const defaultGracePeriod = 30

// withRestartVersion puts spec.restartVersion into a pod template
// annotation: changing it changes the template, so the pods roll.
func withRestartVersion(as *v1alpha1.ApplicationServer, t *corev1.PodTemplateSpec) {
	if as.Spec.RestartVersion == "" {
		return
	}
	if t.Annotations == nil {
		t.Annotations = map[string]string{}
	}
	t.Annotations[RestartVersionAnnotation] = as.Spec.RestartVersion
}

// withShutdown sets the server container's lifecycle: the user's
// deployment.lifecycle.server, else a preStop sleep of
// deployment.shutdown.drainSeconds, so that endpoints drop the pod before
// the server gets SIGTERM. When the user sets a grace period or a drain,
// OTX_STOP_TIMEOUT (WebOTX images) gets what is left of the grace period
// after the drain, unless the user set it.
func withShutdown(as *v1alpha1.ApplicationServer, spec *corev1.PodSpec) {
	d := as.Spec.Deployment
	c := &spec.Containers[0]
	var drain int64
	if d.Shutdown != nil && d.Shutdown.DrainSeconds != nil {
		drain = int64(*d.Shutdown.DrainSeconds)
	}
	switch {
	case d.Lifecycle != nil && d.Lifecycle.Server != nil:
		c.Lifecycle = d.Lifecycle.Server.DeepCopy()
	case drain > 0:
		c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{
			Sleep: &corev1.SleepAction{Seconds: drain},
		}}
	}
	if d.TerminationGracePeriodSeconds == nil && drain == 0 {
		return
	}
	if slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == StopTimeoutEnv }) {
		return
	}
	grace := int64(defaultGracePeriod)
	if d.TerminationGracePeriodSeconds != nil {
		grace = *d.TerminationGracePeriodSeconds
	}
	// Admission keeps grace > drain; stay sane for objects admitted before.
	left := max(grace-drain, 1)
	c.Env = append(c.Env, corev1.EnvVar{Name: StopTimeoutEnv, Value: strconv.FormatInt(left, 10)})
}
