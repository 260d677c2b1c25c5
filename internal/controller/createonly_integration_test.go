//go:build integration

package controller_test

import (
	"context"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/controller"
)

// TestApplyIfAbsentProbe pins the API server behaviour the reconciler's
// create path relies on: a server-side apply that carries a resourceVersion
// no object can have creates the object when it is absent and is refused
// with a Conflict, writing nothing, when an object of that name exists.
func TestApplyIfAbsentProbe(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	intent := func(value string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("v1")
		u.SetKind("ConfigMap")
		u.SetNamespace(ns)
		u.SetName("probe")
		u.SetResourceVersion("1")
		u.Object["data"] = map[string]any{"k": value}
		return u
	}
	if err := k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(intent("first")), client.FieldOwner("probe"), client.ForceOwnership); err != nil {
		t.Fatalf("apply if absent, absent: %v", err)
	}
	err := k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(intent("second")), client.FieldOwner("probe"), client.ForceOwnership)
	t.Logf("apply if absent, present: %v", err)
	if !apierrors.IsConflict(err) {
		t.Fatalf("apply if absent, present: %v, want a Conflict", err)
	}
	cm := &corev1.ConfigMap{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "probe"}, cm); err != nil {
		t.Fatal(err)
	}
	if cm.Data["k"] != "first" {
		t.Errorf("data %v: the refused apply wrote", cm.Data)
	}
	for _, m := range cm.ManagedFields {
		if m.Manager == "probe" && m.Operation != metav1.ManagedFieldsOperationApply {
			t.Errorf("managed fields %+v: the create is not recorded as an apply", m)
		}
	}
}

// TestChildOutsideTheCacheIsReadBeforeItIsChanged: a child of ours that
// lost the label the cache selects on is missing from the cache; the
// create-only apply is refused, the child is read from the API server,
// recognised as ours and repaired in place (same UID). A server made at
// once reports its children in one Created event.
func TestChildOutsideTheCacheIsReadBeforeItIsChanged(t *testing.T) {
	ns := newNamespace(t)
	as := sample(t, "appserver_v1alpha1_applicationserver_simple.yaml", ns)
	create(t, as)
	dep := get(t, as, &appsv1.Deployment{})
	uid := dep.UID
	patch := []byte(`{"metadata":{"labels":{"` + v1alpha1.LabelManagedBy + `":null}}}`)
	if err := k8s.Patch(context.Background(), dep, client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
	eventually(t, wait, "the label to be put back", func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(as), dep); err != nil {
			return err
		}
		if dep.Labels[v1alpha1.LabelManagedBy] != v1alpha1.ManagedByValue {
			return fmt.Errorf("labels %v", dep.Labels)
		}
		return nil
	})
	if dep.UID != uid {
		t.Errorf("the Deployment was recreated (UID %s, was %s)", dep.UID, uid)
	}

	list := &eventsv1.EventList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var created []string
	for _, e := range list.Items {
		if e.Regarding.Name == as.Name && e.Reason == controller.EventCreated {
			created = append(created, e.Note)
		}
	}
	want := fmt.Sprintf("Created Deployment %s, Service %s", as.Name, as.Name)
	if len(created) != 1 || created[0] != want {
		t.Errorf("Created events %q, want one: %q", created, want)
	}
}
