package controller

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/resources"
	"github.com/appserver-operator/appserver-operator/internal/wait"
)

// waitingFor returns, when one of the server's pods is held back by its
// wait-for init container, what it waits for (spec.dependsOn as the
// container has it), or the container's failure message (a timeout names
// the target); "" otherwise. Pods come from the label-selected cache.
func (r *ApplicationServerReconciler) waitingFor(ctx context.Context, as *v1alpha1.ApplicationServer) (string, error) {
	if len(as.Spec.DependsOn) == 0 {
		return "", nil
	}
	return r.podMessage(ctx, as, podWaitState)
}

// podWaitState describes a pod's wait-for init container while it holds the
// server back: running or restarting; "" once it has succeeded (or when the
// pod has none).
func podWaitState(p *corev1.Pod) string {
	var waitFor *corev1.Container
	for i := range p.Spec.InitContainers {
		if p.Spec.InitContainers[i].Name == resources.WaitForContainerName {
			waitFor = &p.Spec.InitContainers[i]
		}
	}
	if waitFor == nil {
		return ""
	}
	targets := "dependencies"
	for _, e := range waitFor.Env {
		if e.Name == resources.WaitForEnv {
			targets = describeTargets(e.Value)
		}
	}
	for _, cs := range p.Status.InitContainerStatuses {
		if cs.Name != resources.WaitForContainerName {
			continue
		}
		if t := cs.State.Terminated; t != nil && t.ExitCode == 0 {
			return ""
		}
		if t := cs.LastTerminationState.Terminated; t != nil && t.ExitCode != 0 && t.Message != "" {
			return "Waiting for " + targets + "; the last try failed: " + lastLine(t.Message)
		}
		if t := cs.State.Terminated; t != nil && t.Message != "" {
			return "Waiting for " + targets + "; the last try failed: " + lastLine(t.Message)
		}
		return "Waiting for " + targets
	}
	// No status yet: the kubelet has not started the pod.
	return ""
}

// describeTargets turns the WAIT_FOR JSON into "tcp db:5432, http http://…".
func describeTargets(raw string) string {
	ts, err := waitTargets(raw)
	if err != nil || len(ts) == 0 {
		return "dependencies"
	}
	return strings.Join(ts, ", ")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimPrefix(lines[len(lines)-1], "wait: ")
}

func waitTargets(raw string) ([]string, error) {
	ts, err := wait.Parse(raw)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return out, nil
}
