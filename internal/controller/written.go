package controller

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// writtenStatuses remembers, per server, the status this process last wrote
// until the cache shows that write.
//
// The reconciler reads the ApplicationServer from the cache, and its own
// status writes do not wake it (spec changes only). Without this memory a
// reconcile that runs before the cache has seen the previous status write
// compares its result with an older status: when the two agree (a rollout
// that finished between the two reconciles) it writes nothing, and the
// status the previous reconcile wrote ("rollout in progress") stays, with no
// event left to correct it. Only this operator writes the status
// subresource, so the last status it wrote is the stored one until the
// cache catches up.
type writtenStatuses struct {
	mu    sync.Mutex
	byKey map[types.NamespacedName]writtenStatus
}

type writtenStatus struct {
	uid             types.UID
	resourceVersion string
	status          v1alpha1.ApplicationServerStatus
}

// overlay replaces as.Status, read from the cache, by the status this
// process last wrote, when the cache does not show that write yet. Once it
// does (or the object was replaced by another of the same name) the memory
// is dropped.
func (w *writtenStatuses) overlay(as *v1alpha1.ApplicationServer) {
	key := types.NamespacedName{Namespace: as.Namespace, Name: as.Name}
	w.mu.Lock()
	defer w.mu.Unlock()
	ws, ok := w.byKey[key]
	if !ok {
		return
	}
	if ws.uid != as.UID || ws.resourceVersion == as.ResourceVersion {
		delete(w.byKey, key)
		return
	}
	as.Status = *ws.status.DeepCopy()
}

// record remembers as.Status as written at as.ResourceVersion (the answer to
// the status write).
func (w *writtenStatuses) record(as *v1alpha1.ApplicationServer) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byKey == nil {
		w.byKey = map[types.NamespacedName]writtenStatus{}
	}
	w.byKey[types.NamespacedName{Namespace: as.Namespace, Name: as.Name}] = writtenStatus{
		uid: as.UID, resourceVersion: as.ResourceVersion, status: *as.Status.DeepCopy(),
	}
}

// seen drops what is remembered of a server once the cache holds the
// write (the informer calls it for every update it stores), so that the
// memory lasts as long as a write takes to come back by the watch, not
// until the server's next reconcile.
func (w *writtenStatuses) seen(as *v1alpha1.ApplicationServer) {
	key := types.NamespacedName{Namespace: as.Namespace, Name: as.Name}
	w.mu.Lock()
	defer w.mu.Unlock()
	if ws, ok := w.byKey[key]; ok && ws.uid == as.UID && ws.resourceVersion == as.ResourceVersion {
		delete(w.byKey, key)
	}
}

// forget drops what is remembered of a server that is gone.
func (w *writtenStatuses) forget(key types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.byKey, key)
}

// len is the number of servers whose last status write the cache has not
// shown yet.
func (w *writtenStatuses) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.byKey)
}
