package resources

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// lifecycleGoldenCases are the golden cases of issue 11: start-up ordering,
// restarts, graceful shutdown, NetworkPolicy and the pod escape hatches.
func lifecycleGoldenCases() []goldenCase {
	return []goldenCase{
		// One entry of each kind: the wait-for init container runs the
		// operator's image with the targets as JSON; an applicationServer
		// whose port the reconciler did not resolve is waited for on 8080.
		{"depends-on", server("depends-on", func(as *v1alpha1.ApplicationServer) {
			as.Spec.DependsOn = []v1alpha1.Dependency{
				{TCP: "db:5432", TimeoutSeconds: ptr.To[int32](120)},
				{HTTP: &v1alpha1.HTTPDependency{URL: "https://auth:8443/health/ready", ExpectStatus: ptr.To[int32](200)}},
				{ApplicationServer: "backend"},
			}
			as.Spec.Deployment.InitContainers = []corev1.Container{{Name: "prepare", Image: "busybox:1.36"}}
		})},

		// Any restartVersion goes into a pod template annotation.
		{"restart-version", server("restart-version", func(as *v1alpha1.ApplicationServer) {
			as.Spec.RestartVersion = "2026-12-02T10:00"
		})},

		// A drain of 10 s: a preStop sleep, and OTX_STOP_TIMEOUT gets what
		// is left of the 45 s grace period.
		{"shutdown-drain", server("shutdown-drain", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Deployment.TerminationGracePeriodSeconds = ptr.To[int64](45)
			as.Spec.Deployment.Shutdown = &v1alpha1.ShutdownSpec{DrainSeconds: ptr.To[int32](10)}
		})},

		// The user's lifecycle replaces the drain sleep; the user's
		// OTX_STOP_TIMEOUT wins; the grace period defaults to 30.
		{"lifecycle-override", server("lifecycle-override", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Deployment.Shutdown = &v1alpha1.ShutdownSpec{DrainSeconds: ptr.To[int32](5)}
			as.Spec.Deployment.Lifecycle = &v1alpha1.ContainerLifecycle{Server: &corev1.Lifecycle{
				PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"/opt/server/bin/stop", "--graceful"}}},
			}}
			as.Spec.Server.Env = []corev1.EnvVar{{Name: "OTX_STOP_TIMEOUT", Value: "15"}}
		})},

		// Volumes, mounts, command, args, an extra port, a native sidecar
		// and an init container; containers without a security context get
		// the restricted one, one with its own keeps it.
		{"escape-hatches", server("escape-hatches", func(as *v1alpha1.ApplicationServer) {
			d := &as.Spec.Deployment
			d.Volumes = []corev1.Volume{
				{Name: "extra", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
					LocalObjectReference: corev1.LocalObjectReference{Name: "extra-config"}}}},
				{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			}
			d.VolumeMounts = &v1alpha1.ContainerVolumeMounts{Server: []corev1.VolumeMount{
				{Name: "extra", MountPath: "/opt/extra", ReadOnly: true},
				{Name: "scratch", MountPath: "/tmp"},
			}}
			d.Command = &v1alpha1.ContainerCommand{Server: []string{"/opt/server/bin/start"}}
			d.Args = &v1alpha1.ContainerCommand{Server: []string{"--profile", "prod"}}
			d.Ports = []corev1.ContainerPort{{Name: "jmx", ContainerPort: 9999}}
			d.InitContainers = []corev1.Container{{Name: "fetch-app", Image: "busybox:1.36",
				Command:      []string{"sh", "-c", "cp /src/app.war /work/"},
				VolumeMounts: []corev1.VolumeMount{{Name: "scratch", MountPath: "/work"}}}}
			d.Sidecars = []corev1.Container{
				{Name: "proxy", Image: "envoyproxy/envoy:v1.32"},
				{Name: "debug", Image: "busybox:1.36", SecurityContext: &corev1.SecurityContext{RunAsUser: ptr.To[int64](0)}},
			}
		})},

		// Enabled only: the Service's ports from the server's namespace, the
		// metering port (8443) from the operator's.
		{"networkpolicy-defaults", server("np-defaults", func(as *v1alpha1.ApplicationServer) {
			as.Spec.NetworkPolicy = &v1alpha1.NetworkPolicySpec{Enabled: true}
		})},

		// Not the same namespace, two peers, a custom metering port.
		{"networkpolicy-from", server("np-from", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.Metering = &v1alpha1.MeteringSpec{Enabled: true, Port: 9090}
			as.Spec.NetworkPolicy = &v1alpha1.NetworkPolicySpec{
				Enabled:            true,
				AllowSameNamespace: ptr.To(false),
				From: []v1alpha1.NetworkPolicyPeer{
					{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "ingress-nginx"}}},
					{
						NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "web"}},
						PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"role": "frontend"}},
					},
				},
			}
		})},

		// Disabled: no NetworkPolicy (the reconciler deletes one it made).
		{"networkpolicy-disabled", server("np-disabled", func(as *v1alpha1.ApplicationServer) {
			as.Spec.NetworkPolicy = &v1alpha1.NetworkPolicySpec{Enabled: false}
		})},
	}
}
