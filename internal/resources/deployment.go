package resources

import (
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// Deployment builds the Deployment that runs the server's pods.
func Deployment(as *v1alpha1.ApplicationServer, opts Options) *appsv1.Deployment {
	d := as.Spec.Deployment
	dep := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: appsv1.SchemeGroupVersion.String(), Kind: "Deployment"},
		ObjectMeta: objectMeta(as, as.Name, ComponentServer, nil),
		Spec: appsv1.DeploymentSpec{
			Selector:                &metav1.LabelSelector{MatchLabels: SelectorLabels(as)},
			ProgressDeadlineSeconds: copyPtr(d.ProgressDeadlineSeconds),
			Template:                podTemplate(as, opts),
		},
	}
	if !hpaEnabled(as) {
		// While the autoscaler is on, replicas belong to it: leaving the
		// field out of the apply intent hands its ownership over.
		dep.Spec.Replicas = ptr.To(ptr.Deref(d.Replicas, 1))
	}
	if d.Strategy != nil {
		dep.Spec.Strategy = *d.Strategy.DeepCopy()
	}
	return dep
}

func podTemplate(as *v1alpha1.ApplicationServer, opts Options) corev1.PodTemplateSpec {
	d := as.Spec.Deployment
	spec := corev1.PodSpec{
		Containers:                    []corev1.Container{serverContainer(as)},
		ServiceAccountName:            podServiceAccountName(as),
		AutomountServiceAccountToken:  copyPtr(d.AutomountServiceAccountToken),
		ImagePullSecrets:              slices.Clone(d.ImagePullSecrets),
		Hostname:                      d.Hostname,
		Subdomain:                     d.Subdomain,
		HostAliases:                   cloneAll(d.HostAliases),
		NodeSelector:                  maps.Clone(d.NodeSelector),
		Tolerations:                   cloneAll(d.Tolerations),
		Affinity:                      d.Affinity.DeepCopy(),
		TopologySpreadConstraints:     topologySpread(as),
		PriorityClassName:             d.PriorityClassName,
		TerminationGracePeriodSeconds: copyPtr(d.TerminationGracePeriodSeconds),
		SecurityContext:               podSecurityContext(d.SecurityContext),
	}
	withStorage(&spec, &spec.Containers[0], as)
	if d.DNS != nil {
		spec.DNSPolicy = d.DNS.DNSPolicy
		spec.DNSConfig = d.DNS.DNSConfig.DeepCopy()
	}
	// Each feature adds its part, in this order (wait-for goes first among
	// the init containers, the log shipper last).
	withShutdown(as, &spec)
	withUserPodExtras(as, &spec)
	withWaitFor(as, opts, &spec)
	t := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{
			Labels:      Labels(as, ComponentServer),
			Annotations: annotations(as.Spec.Common.Annotations, d.Annotations),
		},
		Spec: spec,
	}
	addLogShipper(as, opts, &t)
	withRestartVersion(as, &t)
	return t
}

func serverContainer(as *v1alpha1.ApplicationServer) corev1.Container {
	d := as.Spec.Deployment
	c := corev1.Container{
		Name:            ServerContainerName,
		Image:           d.Image,
		ImagePullPolicy: d.ImagePullPolicy,
		Ports:           containerPorts(as),
		Env:             env(as),
		EnvFrom:         envFrom(as.Spec.Server.EnvFrom),
		SecurityContext: containerSecurityContext(d.SecurityContext),
	}
	if d.Resources != nil && d.Resources.Server != nil {
		c.Resources = *d.Resources.Server.DeepCopy()
	}
	withHealthCheck(&c, as)
	c.Env = append(c.Env, performanceAnalyzerEnv(as.Spec.Server.PerformanceAnalyzer)...)
	withSessionReplication(&c, as)
	c.Env = append(c.Env, tracingEnv(as)...)
	c.Env = firstOfEachName(c.Env)
	return c
}

// containerPorts names each distinct target port after its service port.
func containerPorts(as *v1alpha1.ApplicationServer) []corev1.ContainerPort {
	var out []corev1.ContainerPort
	ports := servicePorts(as)
	for _, p := range ports {
		cp := corev1.ContainerPort{Name: p.Name, ContainerPort: targetPort(ports, p), Protocol: protocol(p)}
		if slices.ContainsFunc(out, func(o corev1.ContainerPort) bool {
			return o.ContainerPort == cp.ContainerPort && o.Protocol == cp.Protocol
		}) {
			continue
		}
		out = append(out, cp)
	}
	return out
}

// env is the user's environment plus TZ from deployment.timeZone (unless the
// user set TZ explicitly).
func env(as *v1alpha1.ApplicationServer) []corev1.EnvVar {
	out := cloneAll(as.Spec.Server.Env)
	if tz := as.Spec.Deployment.TimeZone; tz != "" &&
		!slices.ContainsFunc(out, func(e corev1.EnvVar) bool { return e.Name == "TZ" }) {
		out = append(out, corev1.EnvVar{Name: "TZ", Value: tz})
	}
	return out
}

// firstOfEachName drops a variable whose name came earlier: the user's
// server.env comes first and wins over what the operator derives.
func firstOfEachName(env []corev1.EnvVar) []corev1.EnvVar {
	var out []corev1.EnvVar
	for _, e := range env {
		if !slices.ContainsFunc(out, func(o corev1.EnvVar) bool { return o.Name == e.Name }) {
			out = append(out, e)
		}
	}
	return out
}

func envFrom(e *v1alpha1.EnvFromSpec) []corev1.EnvFromSource {
	if e == nil {
		return nil
	}
	var out []corev1.EnvFromSource
	for _, name := range e.ConfigMaps {
		out = append(out, corev1.EnvFromSource{ConfigMapRef: &corev1.ConfigMapEnvSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: name}}})
	}
	for _, name := range e.Secrets {
		out = append(out, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: name}}})
	}
	return out
}

// topologySpread copies the constraints, giving those without a label
// selector one that selects this server's pods.
func topologySpread(as *v1alpha1.ApplicationServer) []corev1.TopologySpreadConstraint {
	out := cloneAll(as.Spec.Deployment.TopologySpreadConstraints)
	for i := range out {
		if out[i].LabelSelector == nil {
			out[i].LabelSelector = &metav1.LabelSelector{MatchLabels: SelectorLabels(as)}
		}
	}
	return out
}

// podSecurityContext is the user's, or one that meets the Pod Security
// "restricted" profile.
func podSecurityContext(sc *v1alpha1.SecurityContextSpec) *corev1.PodSecurityContext {
	if sc != nil && sc.Pod != nil {
		return sc.Pod.DeepCopy()
	}
	return &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr.To(true),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// containerSecurityContext is the user's, or one that meets the Pod Security
// "restricted" profile.
func containerSecurityContext(sc *v1alpha1.SecurityContextSpec) *corev1.SecurityContext {
	if sc != nil && sc.Server != nil {
		return sc.Server.DeepCopy()
	}
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		RunAsNonRoot:             ptr.To(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// deepCopier is any API type with a generated DeepCopy.
type deepCopier[T any] interface{ DeepCopy() *T }

// cloneAll deep-copies a slice of API values; nil stays nil.
func cloneAll[T any, PT interface {
	*T
	deepCopier[T]
}](in []T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i := range in {
		out[i] = *PT(&in[i]).DeepCopy()
	}
	return out
}

// copyPtr returns a pointer to a copy of *p, or nil: built objects never share
// memory with the ApplicationServer they were built from.
func copyPtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func hpaEnabled(as *v1alpha1.ApplicationServer) bool {
	return as.Spec.HorizontalPodAutoscaler != nil && as.Spec.HorizontalPodAutoscaler.Enabled
}
