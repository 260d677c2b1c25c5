//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The local cluster is real: the tests below fail when kube-controller-manager
// (Deployment rollout, garbage collection), kube-scheduler or kwok (pod
// status, IPs) is not doing its job.

func TestClusterRollsOutADeployment(t *testing.T) {
	ns := newNamespace(t, "smoke")
	labels := map[string]string{"app": "smoke"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "smoke", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{restrictedContainer("c", "example.com/smoke:1")}},
			},
		},
	}
	if err := k8s.Create(context.Background(), dep); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "the Deployment to roll out", func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(dep), dep); err != nil {
			return err
		}
		if dep.Status.ReadyReplicas != 2 || dep.Status.AvailableReplicas != 2 {
			return fmt.Errorf("ready %d available %d", dep.Status.ReadyReplicas, dep.Status.AvailableReplicas)
		}
		return nil
	})
	pods := &corev1.PodList{}
	if err := k8s.List(context.Background(), pods, client.InNamespace(ns), client.MatchingLabels(labels)); err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 2 {
		t.Fatalf("%d pods, want 2", len(pods.Items))
	}
	for _, p := range pods.Items {
		if p.Status.Phase != corev1.PodRunning || !podReady(&p) || p.Spec.NodeName == "" || p.Status.PodIP == "" {
			t.Errorf("pod %s: phase %s ready %v node %q ip %q", p.Name, p.Status.Phase, podReady(&p), p.Spec.NodeName, p.Status.PodIP)
		}
	}
}

func TestClusterGivesLoopbackNodePodsLoopbackIPs(t *testing.T) {
	ns := newNamespace(t, "loopback")
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "lo", Namespace: ns},
		Spec: corev1.PodSpec{
			Containers:   []corev1.Container{restrictedContainer("c", "example.com/lo:1")},
			NodeSelector: map[string]string{"appserver.dev/loopback": "true"},
			Tolerations:  []corev1.Toleration{{Key: "appserver.dev/loopback", Operator: corev1.TolerationOpExists}},
		},
	}
	if err := k8s.Create(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "the pod to run with a 127.0.10.x IP", func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(pod), pod); err != nil {
			return err
		}
		if pod.Status.Phase != corev1.PodRunning || !strings.HasPrefix(pod.Status.PodIP, "127.0.10.") {
			return fmt.Errorf("phase %s ip %q node %q", pod.Status.Phase, pod.Status.PodIP, pod.Spec.NodeName)
		}
		return nil
	})
	if pod.Spec.NodeName != "kwok-loopback" {
		t.Errorf("scheduled on %q, want kwok-loopback", pod.Spec.NodeName)
	}
}

func TestClusterCollectsGarbage(t *testing.T) {
	ns := newNamespace(t, "gc")
	owner := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner", Namespace: ns}}
	if err := k8s.Create(context.Background(), owner); err != nil {
		t.Fatal(err)
	}
	owned := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owned", Namespace: ns,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID}}}}
	if err := k8s.Create(context.Background(), owned); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Delete(context.Background(), owner); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "the garbage collector to delete the owned object", func() error {
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(owned), owned)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return errors.Join(errors.New("owned ConfigMap still exists"), err)
	})
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
