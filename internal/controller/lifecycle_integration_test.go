//go:build integration

package controller_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/resources"
)

func minimalServer(ns, name string) *v1alpha1.ApplicationServer {
	return &v1alpha1.ApplicationServer{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       v1alpha1.ApplicationServerSpec{Deployment: v1alpha1.DeploymentSpec{Image: "example.com/app:1"}},
	}
}

// reconcilesSettled waits until the reconcile counter stops moving and
// returns it.
func reconcilesSettled(t *testing.T) float64 {
	t.Helper()
	reconciles := func() float64 {
		return counter(t, "controller_runtime_reconcile_total", map[string]string{"controller": "applicationserver"})
	}
	var last float64 = -1
	eventually(t, wait, "reconciles to settle", func() error {
		now := reconciles()
		if now != last {
			last = now
			return errors.New("still reconciling")
		}
		return nil
	})
	return last
}

func reconciledSince(t *testing.T, before float64) {
	t.Helper()
	eventually(t, wait, "a reconcile", func() error {
		if counter(t, "controller_runtime_reconcile_total", map[string]string{"controller": "applicationserver"}) <= before {
			return errors.New("no reconcile yet")
		}
		return nil
	})
}

func templateAnnotation(t *testing.T, as *v1alpha1.ApplicationServer, key string) (string, int64) {
	t.Helper()
	dep := get(t, as, &appsv1.Deployment{})
	return dep.Spec.Template.Annotations[key], dep.Generation
}

// TestConfigChangeRollsThePods: the pod template carries a hash of the data
// of every ConfigMap and Secret it references (here an envFrom Secret, a
// user volume's ConfigMap and an env valueFrom Secret). A data change moves
// it; a labels-only change and a change of an unreferenced Secret do not.
func TestConfigChangeRollsThePods(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	env := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "app-env", Namespace: ns}, Data: map[string][]byte{"PASSWORD": []byte("one")}}
	files := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "app-files", Namespace: ns}, Data: map[string]string{"app.properties": "a=1"}}
	token := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "app-token", Namespace: ns}, Data: map[string][]byte{"token": []byte("t1")}}
	other := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "unrelated", Namespace: ns}, Data: map[string][]byte{"x": []byte("1")}}
	for _, o := range []client.Object{env, files, token, other} {
		create(t, o)
	}
	as := minimalServer(ns, "hashed")
	as.Spec.Server.EnvFrom = &v1alpha1.EnvFromSpec{Secrets: []string{"app-env"}}
	as.Spec.Server.Env = []corev1.EnvVar{{Name: "TOKEN", ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "app-token"}, Key: "token"}}}}
	as.Spec.Deployment.Volumes = []corev1.Volume{{Name: "files", VolumeSource: corev1.VolumeSource{
		ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "app-files"}}}}}
	create(t, as)

	var first string
	var gen int64
	eventually(t, wait, "a config hash", func() error {
		first, gen = templateAnnotation(t, as, resources.ConfigHashAnnotation)
		if first == "" {
			return errors.New("no config-hash annotation")
		}
		return nil
	})

	// An unreferenced Secret changes, then a referenced one's labels only:
	// the second wakes the server (events of one informer arrive in order),
	// and neither changes the template.
	before := reconcilesSettled(t)
	other.Data["x"] = []byte("2")
	if err := k8s.Update(ctx, other); err != nil {
		t.Fatal(err)
	}
	env.Labels = map[string]string{"touched": "labels-only"}
	if err := k8s.Update(ctx, env); err != nil {
		t.Fatal(err)
	}
	reconciledSince(t, before)
	reconcilesSettled(t)
	if h, g := templateAnnotation(t, as, resources.ConfigHashAnnotation); h != first || g != gen {
		t.Fatalf("labels-only or unrelated change: hash %q→%q, generation %d→%d; want no change", first, h, gen, g)
	}

	// Each referenced object's data change moves the hash, once.
	prev := first
	change := []func() error{
		func() error { env.Data["PASSWORD"] = []byte("two"); return k8s.Update(ctx, env) },
		func() error { files.Data["app.properties"] = "a=2"; return k8s.Update(ctx, files) },
		func() error { token.Data["token"] = []byte("t2"); return k8s.Update(ctx, token) },
	}
	for i, c := range change {
		if err := c(); err != nil {
			t.Fatal(err)
		}
		var now string
		eventually(t, wait, fmt.Sprintf("the hash to move after change %d", i), func() error {
			now, _ = templateAnnotation(t, as, resources.ConfigHashAnnotation)
			if now == prev {
				return errors.New("hash unchanged")
			}
			return nil
		})
		prev = now
	}
	reconcilesSettled(t)
	_, gen = templateAnnotation(t, as, resources.ConfigHashAnnotation)
	// Three data changes, three template changes, nothing more.
	dep := get(t, as, &appsv1.Deployment{})
	expect(t, "generation after three data changes", dep.Generation, int64(4))
	expect(t, "hash", dep.Spec.Template.Annotations[resources.ConfigHashAnnotation], prev)

	// restartOnConfigChange: false takes the annotation away.
	update(t, as, func(as *v1alpha1.ApplicationServer) { as.Spec.Deployment.RestartOnConfigChange = ptr.To(false) })
	eventually(t, wait, "the config hash to go", func() error {
		if h, _ := templateAnnotation(t, as, resources.ConfigHashAnnotation); h != "" {
			return errors.New("still there")
		}
		return nil
	})
	_ = gen
}

func TestRestartVersionRollsThePods(t *testing.T) {
	ns := newNamespace(t)
	as := minimalServer(ns, "restart")
	create(t, as)
	_, gen := templateAnnotation(t, as, resources.RestartVersionAnnotation)
	update(t, as, func(as *v1alpha1.ApplicationServer) { as.Spec.RestartVersion = "1" })
	eventually(t, wait, "the restart annotation", func() error {
		v, g := templateAnnotation(t, as, resources.RestartVersionAnnotation)
		if v != "1" || g != gen+1 {
			return fmt.Errorf("annotation %q, generation %d", v, g)
		}
		return nil
	})
}

func TestNetworkPolicyFollowsTheSpec(t *testing.T) {
	ns := newNamespace(t)
	as := minimalServer(ns, "isolated")
	as.Spec.NetworkPolicy = &v1alpha1.NetworkPolicySpec{Enabled: true}
	create(t, as)
	np := get(t, as, &networkingv1.NetworkPolicy{})
	isController(t, np, as)
	expect(t, "ingress rules", len(np.Spec.Ingress), 2)
	// The schema's default: allowSameNamespace true.
	expect(t, "same-namespace peer", np.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels, map[string]string{"kubernetes.io/metadata.name": ns})
	expect(t, "metering peer", np.Spec.Ingress[1].From[0].NamespaceSelector.MatchLabels, map[string]string{"kubernetes.io/metadata.name": "appserver-system"})
	update(t, as, func(as *v1alpha1.ApplicationServer) { as.Spec.NetworkPolicy.Enabled = false })
	gone(t, as, &networkingv1.NetworkPolicy{})
}

// TestWaitingForDependencyFromPodState: a pod whose wait-for init container
// runs makes Progressing=WaitingForDependency naming the targets; a failed
// try (a timeout) shows its message; success clears it.
func TestWaitingForDependencyFromPodState(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	as := minimalServer(ns, "dependent")
	as.Spec.DependsOn = []v1alpha1.Dependency{{TCP: "db:5432", TimeoutSeconds: ptr.To[int32](30)}}
	create(t, as)
	dep := get(t, as, &appsv1.Deployment{})
	initc := dep.Spec.Template.Spec.InitContainers
	if len(initc) != 1 || initc[0].Name != resources.WaitForContainerName || initc[0].Image != testOperatorImage {
		t.Fatalf("init containers = %+v, want wait-for running %s", initc, testOperatorImage)
	}

	// No ReplicaSet controller or kubelet in envtest: play their part.
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: as.Name + "-abc12", Namespace: ns, Labels: dep.Spec.Template.Labels},
		Spec:       *dep.Spec.Template.Spec.DeepCopy(),
	}
	create(t, pod)
	setInit := func(st corev1.ContainerStatus) {
		t.Helper()
		st.Name, st.Image = resources.WaitForContainerName, testOperatorImage
		pod.Status.InitContainerStatuses = []corev1.ContainerStatus{st}
		if err := k8s.Status().Update(ctx, pod); err != nil {
			t.Fatal(err)
		}
	}
	setInit(corev1.ContainerStatus{State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}})
	waitStatus(t, as, "WaitingForDependency", func(as *v1alpha1.ApplicationServer) error {
		if err := wantCondition(as, v1alpha1.ConditionProgressing, metav1.ConditionTrue, v1alpha1.ReasonWaitingForDependency); err != nil {
			return err
		}
		if msg := condition(as, v1alpha1.ConditionProgressing).Message; !strings.Contains(msg, "tcp db:5432") {
			return fmt.Errorf("message %q does not name the target", msg)
		}
		return nil
	})

	setInit(corev1.ContainerStatus{
		RestartCount: 1,
		State:        corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1,
			Message: "Waiting for tcp db:5432: connection refused\nwait: tcp db:5432 did not answer within 30s: connection refused"}},
	})
	waitStatus(t, as, "the timeout message", func(as *v1alpha1.ApplicationServer) error {
		if msg := condition(as, v1alpha1.ConditionProgressing).Message; !strings.Contains(msg, "did not answer within 30s") {
			return fmt.Errorf("message %q", msg)
		}
		return nil
	})

	setInit(corev1.ContainerStatus{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}})
	waitStatus(t, as, "the wait to end", func(as *v1alpha1.ApplicationServer) error {
		if c := condition(as, v1alpha1.ConditionProgressing); c.Reason == v1alpha1.ReasonWaitingForDependency {
			return fmt.Errorf("still %s: %s", c.Reason, c.Message)
		}
		return nil
	})
}

// TestDependsOnApplicationServerUsesItsFirstPort: an applicationServer
// dependency is its Service's DNS name and first port.
func TestDependsOnApplicationServerUsesItsFirstPort(t *testing.T) {
	ns := newNamespace(t)
	backend := minimalServer(ns, "backend")
	backend.Spec.Service.Ports = []v1alpha1.ServicePort{{Name: "api", Port: 9080}}
	create(t, backend)
	as := minimalServer(ns, "frontend")
	as.Spec.DependsOn = []v1alpha1.Dependency{{ApplicationServer: "backend"}}
	create(t, as)
	eventually(t, wait, "the wait-for target", func() error {
		dep := get(t, as, &appsv1.Deployment{})
		for _, c := range dep.Spec.Template.Spec.InitContainers {
			for _, e := range c.Env {
				if e.Name == resources.WaitForEnv && strings.Contains(e.Value, fmt.Sprintf(`"backend.%s.svc:9080"`, ns)) {
					return nil
				}
			}
		}
		return fmt.Errorf("init containers %+v", dep.Spec.Template.Spec.InitContainers)
	})
}
