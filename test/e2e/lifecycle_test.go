//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/resources"
)

// settledReconciles waits until the operator's reconcile counter has not
// moved for 3 s and returns it.
func settledReconciles(t *testing.T, p *operatorProcess) float64 {
	t.Helper()
	last, since := -1.0, time.Now()
	eventually(t, 2*time.Minute, "reconciles to settle", func() error {
		r := p.reconciles(t)
		if r != last {
			last, since = r, time.Now()
		}
		if time.Since(since) < 3*time.Second {
			return fmt.Errorf("reconciles moved recently (%v)", r)
		}
		return nil
	})
	return last
}

func replicaSets(t *testing.T, ns, name string) int {
	t.Helper()
	list := &appsv1.ReplicaSetList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(ns), client.MatchingLabels{v1alpha1.LabelInstance: name}); err != nil {
		t.Fatal(err)
	}
	return len(list.Items)
}

// TestConfigChangeRollsOnce: changing the data of a Secret the server's
// pods reference rolls the Deployment exactly once; changing an unreferenced
// Secret, or only the labels of the referenced one, rolls nothing.
func TestConfigChangeRollsOnce(t *testing.T) {
	ctx := context.Background()
	p := startOperator(t, nil)
	ns := newNamespace(t, "config")
	ref := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "app-env", Namespace: ns}, Data: map[string][]byte{"PASSWORD": []byte("one")}}
	other := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "unrelated", Namespace: ns}, Data: map[string][]byte{"x": []byte("1")}}
	for _, s := range []*corev1.Secret{ref, other} {
		if err := k8s.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	as := newAppServer(ns, "config", 2)
	as.Spec.Server.EnvFrom = &v1alpha1.EnvFromSpec{Secrets: []string{"app-env"}}
	if err := k8s.Create(ctx, as); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(as)
	waitCondition(t, key, v1alpha1.ConditionAvailable, metav1.ConditionTrue, 2*time.Minute)
	waitCondition(t, key, v1alpha1.ConditionProgressing, metav1.ConditionFalse, 2*time.Minute)

	dep := &appsv1.Deployment{}
	deployment := func() *appsv1.Deployment {
		t.Helper()
		if err := k8s.Get(ctx, key, dep); err != nil {
			t.Fatal(err)
		}
		return dep
	}
	gen, hash := deployment().Generation, dep.Spec.Template.Annotations[resources.ConfigHashAnnotation]
	if hash == "" {
		t.Fatal("the pod template has no config-hash annotation")
	}
	rs := replicaSets(t, ns, key.Name)

	t.Run("an unrelated Secret and a labels-only change roll nothing", func(t *testing.T) {
		before := settledReconciles(t, p)
		other.Data["x"] = []byte("2")
		if err := k8s.Update(ctx, other); err != nil {
			t.Fatal(err)
		}
		ref.Labels = map[string]string{"touched": "labels-only"}
		if err := k8s.Update(ctx, ref); err != nil {
			t.Fatal(err)
		}
		// The labels change wakes the server (it references the Secret);
		// the unrelated change, earlier in the same watch, does not.
		eventually(t, time.Minute, "a reconcile", func() error {
			if p.reconciles(t) <= before {
				return errors.New("no reconcile yet")
			}
			return nil
		})
		settledReconciles(t, p)
		if d := deployment(); d.Generation != gen || d.Spec.Template.Annotations[resources.ConfigHashAnnotation] != hash {
			t.Fatalf("generation %d→%d, hash %s→%s: want no rollout", gen, d.Generation, hash, d.Spec.Template.Annotations[resources.ConfigHashAnnotation])
		}
		if n := replicaSets(t, ns, key.Name); n != rs {
			t.Errorf("%d ReplicaSets, want %d", n, rs)
		}
	})

	t.Run("a data change rolls the Deployment once", func(t *testing.T) {
		ref.Data["PASSWORD"] = []byte("two")
		if err := k8s.Update(ctx, ref); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Minute, "a new generation", func() error {
			if d := deployment(); d.Generation == gen {
				return errors.New("not rolled yet")
			}
			return nil
		})
		waitCondition(t, key, v1alpha1.ConditionProgressing, metav1.ConditionFalse, 2*time.Minute)
		settledReconciles(t, p)
		d := deployment()
		if d.Generation != gen+1 {
			t.Errorf("generation %d, want %d: one rollout", d.Generation, gen+1)
		}
		if d.Spec.Template.Annotations[resources.ConfigHashAnnotation] == hash {
			t.Error("the hash did not change")
		}
		if n := replicaSets(t, ns, key.Name); n != rs+1 {
			t.Errorf("%d ReplicaSets, want %d: one rollout", n, rs+1)
		}
		if n, err := readyPods(t, ns, key.Name); err != nil || n != 2 {
			t.Errorf("ready pods: %d (%v), want 2", n, err)
		}
	})
}
