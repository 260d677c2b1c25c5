package controller

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// The race the memory closes: reconcile 1 writes "rolling out"; the
// rollout finishes; reconcile 2 reads a cache that does not show that write
// yet, still "rolled out", which is also what it computes. Compared with
// the cache it would write nothing and leave "rolling out" stored for good.
func TestWrittenStatusesOverlayUntilTheCacheShowsTheWrite(t *testing.T) {
	availableTrue := depCond{appsv1.DeploymentAvailable, corev1.ConditionTrue, "MinimumReplicasAvailable"}
	done := observation{deployment: deployment(2, 2, 2, 2, availableTrue)}
	rolledOut := computeStatus(server(1), done)
	rolling := computeStatus(server(1), observation{deployment: deployment(2, 2, 0, 2, availableTrue)})
	if equality.Semantic.DeepEqual(rolledOut, rolling) {
		t.Fatal("the two statuses of the test are the same")
	}
	cachedAt := func(rv string, st v1alpha1.ApplicationServerStatus) *v1alpha1.ApplicationServer {
		as := server(1)
		as.UID, as.ResourceVersion, as.Status = "uid-1", rv, st
		return as
	}
	var w writtenStatuses

	// Nothing written: the cache is the truth.
	as := cachedAt("10", rolledOut)
	w.overlay(as)
	if !equality.Semantic.DeepEqual(as.Status, rolledOut) {
		t.Fatal("overlay changed a status it has nothing on")
	}

	// Reconcile 1 writes "rolling out"; the write's answer is at 11.
	w.record(cachedAt("11", rolling))

	// Reconcile 2 reads the cache still at 10: it sees what was written.
	as = cachedAt("10", rolledOut)
	w.overlay(as)
	if !equality.Semantic.DeepEqual(as.Status, rolling) {
		t.Fatalf("a stale cache's status was not replaced by the last write: %+v", as.Status.Conditions)
	}
	if equality.Semantic.DeepEqual(as.Status, computeStatus(as, done)) {
		t.Fatal("reconcile 2 would see nothing to write")
	}
	if w.len() != 1 {
		t.Fatalf("remembered %d servers, want 1", w.len())
	}

	// The cache catches up: it is the truth again, and the memory is dropped.
	as = cachedAt("11", rolling)
	w.overlay(as)
	if !equality.Semantic.DeepEqual(as.Status, rolling) || w.len() != 0 {
		t.Fatalf("after the cache caught up: status %+v, %d remembered", as.Status.Conditions, w.len())
	}

	// A server deleted and made again under the same name is not the one
	// written to.
	w.record(cachedAt("12", rolling))
	as = cachedAt("13", rolledOut)
	as.UID = "uid-2"
	w.overlay(as)
	if !equality.Semantic.DeepEqual(as.Status, rolledOut) || w.len() != 0 {
		t.Fatalf("a new server of the same name got the old one's status: %+v, %d remembered", as.Status.Conditions, w.len())
	}

	// The informer stores the write: the memory goes without a reconcile;
	// an update that is not the write (someone's label) leaves it.
	w.record(cachedAt("20", rolling))
	w.seen(cachedAt("19", rolledOut))
	if w.len() != 1 {
		t.Fatalf("an older update dropped the memory of a newer write")
	}
	w.seen(cachedAt("20", rolling))
	if w.len() != 0 {
		t.Fatalf("%d remembered after the informer stored the write", w.len())
	}

	// A deleted server is forgotten.
	w.record(cachedAt("14", rolling))
	w.forget(types.NamespacedName{Namespace: "ns", Name: "web"})
	if w.len() != 0 {
		t.Fatalf("%d remembered after forget", w.len())
	}
}
