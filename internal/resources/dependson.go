package resources

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/wait"
)

// defaultDependencyPort is the port waited for on another ApplicationServer
// whose first Service port is not known (WebOTX's http port).
const defaultDependencyPort = 8080

// withWaitFor adds the wait-for init container, first of all init
// containers, when spec.dependsOn has entries. It runs the operator's own
// image (`appserver-operator wait`); without one (OPERATOR_IMAGE unset)
// there is nothing to run: the pods start without waiting and the
// reconciler reports Degraded=OperatorImageMissing.
func withWaitFor(as *v1alpha1.ApplicationServer, opts Options, spec *corev1.PodSpec) {
	if len(as.Spec.DependsOn) == 0 || opts.OperatorImage == "" {
		return
	}
	targets := WaitTargets(as, opts)
	raw, err := json.Marshal(targets)
	if err != nil {
		panic(fmt.Sprintf("marshalling wait targets: %v", err)) // plain structs: cannot fail
	}
	c := corev1.Container{
		Name:            WaitForContainerName,
		Image:           opts.OperatorImage,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Args:            []string{"wait"},
		Env:             []corev1.EnvVar{{Name: WaitForEnv, Value: string(raw)}},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("10m"),
				corev1.ResourceMemory: resource.MustParse("16Mi"),
			},
			Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
		},
		// On failure (a timeout) the last log lines, which name the
		// target, become the container's termination message.
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		SecurityContext:          containerSecurityContext(nil),
	}
	c.SecurityContext.ReadOnlyRootFilesystem = ptr.To(true)
	spec.InitContainers = append([]corev1.Container{c}, spec.InitContainers...)
}

// WaitTargets are the wait-for container's targets: spec.dependsOn with
// applicationServer entries turned into the TCP address of that server's
// Service and first port (opts.DependencyPorts, else 8080).
func WaitTargets(as *v1alpha1.ApplicationServer, opts Options) []wait.Target {
	out := make([]wait.Target, 0, len(as.Spec.DependsOn))
	for _, d := range as.Spec.DependsOn {
		t := wait.Target{TCP: d.TCP, TimeoutSeconds: ptr.Deref(d.TimeoutSeconds, 0)}
		switch {
		case d.HTTP != nil:
			t.HTTP = &wait.HTTPTarget{URL: d.HTTP.URL, ExpectStatus: ptr.Deref(d.HTTP.ExpectStatus, 0)}
		case d.ApplicationServer != "":
			port, ok := opts.DependencyPorts[d.ApplicationServer]
			if !ok {
				port = defaultDependencyPort
			}
			t.TCP = fmt.Sprintf("%s.%s.svc:%d", d.ApplicationServer, as.Namespace, port)
		}
		out = append(out, t)
	}
	return out
}
