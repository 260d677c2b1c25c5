//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// Every e2e namespace enforces Pod Security "restricted" (newNamespace), so
// every other test already proves that the pods the operator makes by
// default pass the real PodSecurity admission. This test proves that the
// enforcement is really on, and that a user who overrides the security
// context on purpose gets the override: rejected where the profile is
// enforced (and told why), run as written where it is not.
func TestPodSecurityRestricted(t *testing.T) {
	ctx := context.Background()
	startOperator(t, nil)
	enforced := newNamespace(t, "pss")

	// Control: a bare pod is rejected, so the label is in force.
	bare := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "bare", Namespace: enforced},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "example.com/bare:1"}}},
	}
	if err := k8s.Create(ctx, bare); err == nil || !strings.Contains(err.Error(), `violates PodSecurity "restricted`) {
		t.Fatalf("a pod without a security context was not rejected in %s (err %v): Pod Security is not enforced", enforced, err)
	}

	// Defaults pass.
	def := newAppServer(enforced, "defaults", 2)
	if err := k8s.Create(ctx, def); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, client.ObjectKeyFromObject(def), v1alpha1.ConditionAvailable, metav1.ConditionTrue, 2*time.Minute)

	// A deliberate override: root, privilege escalation allowed.
	override := func(ns string) *v1alpha1.ApplicationServer {
		as := newAppServer(ns, "override", 1)
		as.Spec.Deployment.SecurityContext = &v1alpha1.SecurityContextSpec{
			Pod:    &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](0)},
			Server: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(true), RunAsNonRoot: ptr.To(false)},
		}
		return as
	}
	rejected := override(enforced)
	if err := k8s.Create(ctx, rejected); err != nil {
		t.Fatal(err)
	}
	as := waitCondition(t, client.ObjectKeyFromObject(rejected), v1alpha1.ConditionDegraded, metav1.ConditionTrue, 2*time.Minute)
	if c := meta.FindStatusCondition(as.Status.Conditions, v1alpha1.ConditionDegraded); c.Reason != "FailedCreate" || !strings.Contains(c.Message, "PodSecurity") {
		t.Errorf("Degraded: reason %q message %q, want FailedCreate naming PodSecurity", c.Reason, c.Message)
	}

	open := newNamespaceLabeled(t, "pss-open", nil)
	kept := override(open)
	if err := k8s.Create(ctx, kept); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, client.ObjectKeyFromObject(kept), v1alpha1.ConditionAvailable, metav1.ConditionTrue, 2*time.Minute)
	dep := &appsv1.Deployment{}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(kept), dep); err != nil {
		t.Fatal(err)
	}
	pod, c := dep.Spec.Template.Spec, dep.Spec.Template.Spec.Containers[0]
	if ptr.Deref(pod.SecurityContext.RunAsUser, -1) != 0 || !ptr.Deref(c.SecurityContext.AllowPrivilegeEscalation, false) ||
		ptr.Deref(c.SecurityContext.RunAsNonRoot, true) {
		t.Errorf("the override did not reach the pod template: pod %+v container %+v", pod.SecurityContext, c.SecurityContext)
	}
}
