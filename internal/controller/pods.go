package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/resources"
)

// The operator learns that a ConfigMap or Secret a server references is
// missing from its pods, where the kubelet reports it, rather than by reading
// ConfigMaps and Secrets itself: that would need read access to every Secret
// in the cluster.

// configError returns the kubelet's message when one of the server's pods
// cannot start its server container because of its configuration (a missing
// ConfigMap or Secret, a missing key), or "". Pods are read from the cache,
// which holds only pods labelled as the operator's.
func (r *ApplicationServerReconciler) configError(ctx context.Context, as *v1alpha1.ApplicationServer) (string, error) {
	return r.podMessage(ctx, as, podConfigError)
}

// podMessage returns what of lists for one of the server's pods (the first
// in sort order, so the same message whichever pod reports it), or "" when
// of says nothing for any of them. Pods come from the label-selected cache.
func (r *ApplicationServerReconciler) podMessage(ctx context.Context, as *v1alpha1.ApplicationServer, of func(*corev1.Pod) string) (string, error) {
	pods := &corev1.PodList{}
	if err := r.Client.List(ctx, pods, client.InNamespace(as.Namespace), client.MatchingLabels(resources.SelectorLabels(as))); err != nil {
		return "", fmt.Errorf("listing pods: %w", err)
	}
	var msgs []string
	for i := range pods.Items {
		if m := of(&pods.Items[i]); m != "" {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		return "", nil
	}
	return slices.Min(msgs), nil
}

func podConfigError(p *corev1.Pod) string {
	// A missing PersistentVolumeClaim (server.persistence, .replacement)
	// keeps the pod from being scheduled; the scheduler says which.
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse &&
			strings.Contains(c.Message, "persistentvolumeclaim") && strings.Contains(c.Message, "not found") {
			return c.Message
		}
	}
	// Init containers too: the log shipper is a native sidecar.
	for _, cs := range slices.Concat(p.Status.InitContainerStatuses, p.Status.ContainerStatuses) {
		if w := cs.State.Waiting; w != nil && w.Reason == v1alpha1.ReasonContainerConfigError {
			if w.Message == "" {
				return "the kubelet cannot start container " + cs.Name + ": " + w.Reason
			}
			return w.Message
		}
	}
	return ""
}

// podsToServer maps a pod event to the ApplicationServer named by the pod's
// instance label.
var podsToServer = handler.EnqueueRequestsFromMapFunc(func(_ context.Context, obj client.Object) []reconcile.Request {
	name := obj.GetLabels()[v1alpha1.LabelInstance]
	if name == "" || obj.GetLabels()[v1alpha1.LabelManagedBy] != v1alpha1.ManagedByValue {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: obj.GetNamespace(), Name: name}}}
})

// podStateChanged lets through only pod events that start or end a
// configuration error or a wait for dependencies (or change what it
// says): pod churn alone does not wake the reconciler.
var podStateChanged = predicate.Funcs{
	CreateFunc: func(e event.CreateEvent) bool { return podState(asPod(e.Object)) != "" },
	UpdateFunc: func(e event.UpdateEvent) bool {
		return podState(asPod(e.ObjectOld)) != podState(asPod(e.ObjectNew))
	},
	DeleteFunc:  func(e event.DeleteEvent) bool { return podState(asPod(e.Object)) != "" },
	GenericFunc: func(event.GenericEvent) bool { return false },
}

func podState(p *corev1.Pod) string {
	if m := podConfigError(p); m != "" {
		return m
	}
	return podWaitState(p)
}

func asPod(obj client.Object) *corev1.Pod {
	if p, ok := obj.(*corev1.Pod); ok {
		return p
	}
	return &corev1.Pod{}
}
