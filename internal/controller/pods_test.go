package controller

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestPodConfigError(t *testing.T) {
	unschedulable := func(msg string) *corev1.Pod {
		return &corev1.Pod{Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{
			Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, Message: msg,
		}}}}
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{"running", &corev1.Pod{}, ""},
		{"missing claim", unschedulable(`0/1 nodes are available: persistentvolumeclaim "shop-data" not found. preemption: not eligible`),
			`0/1 nodes are available: persistentvolumeclaim "shop-data" not found. preemption: not eligible`},
		{"no room is not a configuration error", unschedulable("0/3 nodes are available: 3 Insufficient cpu."), ""},
		{"missing ConfigMap", &corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{
			Name: "server", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
				Reason: "CreateContainerConfigError", Message: `configmap "cfg" not found`}},
		}}}}, `configmap "cfg" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := podConfigError(tt.pod); got != tt.want {
				t.Errorf("podConfigError = %q, want %q", got, tt.want)
			}
		})
	}
}
