package resources

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// withUserPodExtras adds the pod escape hatches of spec.deployment: volumes,
// the server container's extra mounts, command, args and ports, and the
// user's sidecars (native: init containers that keep running) and init
// containers, after the operator's own init containers. Containers without a
// security context get the restricted one.
func withUserPodExtras(as *v1alpha1.ApplicationServer, spec *corev1.PodSpec) {
	d := as.Spec.Deployment
	spec.Volumes = append(spec.Volumes, cloneAll(d.Volumes)...)
	c := &spec.Containers[0]
	if d.VolumeMounts != nil {
		c.VolumeMounts = append(c.VolumeMounts, cloneAll(d.VolumeMounts.Server)...)
	}
	if d.Command != nil && len(d.Command.Server) > 0 {
		c.Command = slices.Clone(d.Command.Server)
	}
	if d.Args != nil && len(d.Args.Server) > 0 {
		c.Args = slices.Clone(d.Args.Server)
	}
	for _, p := range d.Ports {
		addPort(c, p)
	}
	for _, s := range cloneAll(d.Sidecars) {
		s.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
		restrict(&s)
		spec.InitContainers = append(spec.InitContainers, s)
	}
	for _, ic := range cloneAll(d.InitContainers) {
		restrict(&ic)
		spec.InitContainers = append(spec.InitContainers, ic)
	}
}

// restrict gives a container the Pod Security "restricted" context when it
// has none: one the user set is kept as a whole, on purpose.
func restrict(c *corev1.Container) {
	if c.SecurityContext == nil {
		c.SecurityContext = containerSecurityContext(nil)
	}
}
