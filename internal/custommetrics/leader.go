package custommetrics

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// LeaderLabel marks the operator pod that leads, and so scrapes and serves
// custom.metrics.k8s.io: the APIService's Service selects it, so that the
// aggregator reaches the leader only, whichever replica that is.
const LeaderLabel = "appserver.dev/custom-metrics"

// LeaderLabelValue is LeaderLabel's value on the leader.
const LeaderLabelValue = "leader"

// PodLabeler sets or removes LeaderLabel on the operator's own pod. The
// zero Pod (outside a pod: no POD_NAME) makes it do nothing.
type PodLabeler struct {
	Client    client.Client
	Namespace string
	Pod       string
}

// Set puts LeaderLabel on the pod (leader true) or removes it.
func (l PodLabeler) Set(ctx context.Context, leader bool) error {
	if l.Pod == "" || l.Namespace == "" {
		return nil
	}
	var value any // JSON null removes the label in a merge patch
	if leader {
		value = LeaderLabelValue
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]any{LeaderLabel: value}}})
	if err != nil {
		return fmt.Errorf("encoding the leader label patch: %w", err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: l.Namespace, Name: l.Pod}}
	if err := l.Client.Patch(ctx, pod, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("labelling operator pod %s/%s: %w", l.Namespace, l.Pod, err)
	}
	return nil
}

// LeaderMarker is a manager Runnable, run on the leader only, that labels the
// operator's pod as the leader once elected. A replica clears the label of
// its own pod when it starts (see PodLabeler.Set), so a restarted former
// leader is not selected. Failing to label is logged and retried by the
// next leader's start; it does not stop the operator.
type LeaderMarker struct {
	Labeler PodLabeler
}

// NeedLeaderElection reports true.
func (m *LeaderMarker) NeedLeaderElection() bool { return true }

// Start labels the pod and returns.
func (m *LeaderMarker) Start(ctx context.Context) error {
	if err := m.Labeler.Set(ctx, true); err != nil {
		log.FromContext(ctx).Error(err, "Cannot mark this replica as the custom metrics leader; the APIService will not reach it")
	}
	return nil
}
