package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldOwner is the one field manager the operator applies with.
const FieldOwner = "appserver-operator"

// AppliedHashAnnotation records a hash of the last apply intent on each child.
// Together with a field-by-field comparison it lets the reconciler skip an
// apply that would change nothing, so that steady state costs no writes.
const AppliedHashAnnotation = "appserver.dev/applied-hash"

// applyIntent turns a built object into the unstructured apply intent: only
// the fields the builder set, with the hash annotation added.
func applyIntent(obj client.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %T: %w", obj, err)
	}
	prune(m)
	delete(m, "status")
	u := &unstructured.Unstructured{Object: m}
	raw, err := json.Marshal(m) // map keys are sorted: the hash is stable
	if err != nil {
		return nil, fmt.Errorf("hashing %T: %w", obj, err)
	}
	sum := sha256.Sum256(raw)
	ann := u.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[AppliedHashAnnotation] = hex.EncodeToString(sum[:8])
	u.SetAnnotations(ann)
	return u, nil
}

// prune removes nulls and empty maps and lists (creationTimestamp: null,
// resources: {}, ...) that typed objects serialise but that are no intent.
func prune(m map[string]any) {
	for k, v := range m {
		switch t := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			prune(t)
			if len(t) == 0 {
				delete(m, k)
			}
		case []any:
			for _, e := range t {
				if em, ok := e.(map[string]any); ok {
					prune(em)
				}
			}
			if len(t) == 0 {
				delete(m, k)
			}
		}
	}
}

// upToDate reports whether applying intent to existing would change nothing
// the operator owns: the last applied hash matches (so no field was dropped
// from the intent) and every field of the intent has its value in existing
// (so nobody changed one).
func upToDate(intent *unstructured.Unstructured, existing client.Object) (bool, error) {
	if existing.GetAnnotations()[AppliedHashAnnotation] != intent.GetAnnotations()[AppliedHashAnnotation] {
		return false, nil
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(existing)
	if err != nil {
		return false, fmt.Errorf("converting %T: %w", existing, err)
	}
	// A typed object read from the API server directly (not from the
	// cache) comes without apiVersion and kind; it is of the intent's kind
	// by construction.
	m["apiVersion"], m["kind"] = intent.GetAPIVersion(), intent.GetKind()
	return contains(m, intent.Object), nil
}

// contains reports whether actual holds every field of want with an equal
// value. Lists must have the same length and match element by element.
func contains(actual, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		a, ok := actual.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			av, present := a[k]
			if !present || !contains(av, wv) {
				return false
			}
		}
		return true
	case []any:
		a, ok := actual.([]any)
		if !ok || len(a) != len(w) {
			return false
		}
		for i := range w {
			if !contains(a[i], w[i]) {
				return false
			}
		}
		return true
	case string:
		a, ok := actual.(string)
		if !ok {
			return false
		}
		return a == w || sameQuantity(a, w)
	default:
		return reflect.DeepEqual(actual, want)
	}
}

// sameQuantity compares two strings as resource quantities ("0.5" == "500m").
func sameQuantity(a, b string) bool {
	qa, err := resource.ParseQuantity(a)
	if err != nil {
		return false
	}
	qb, err := resource.ParseQuantity(b)
	if err != nil {
		return false
	}
	return qa.Cmp(qb) == 0
}

// keepReplicasUntilTheHPAHasThem smooths the hand-over of spec.replicas to a
// newly enabled autoscaler. The Deployment builder leaves replicas out while
// the autoscaler is on; but if the operator still owns the field, dropping it
// from the apply intent would reset it to the API default, 1, before the
// autoscaler acts. So while the operator owns it, the intent keeps the
// current value; once the autoscaler has scaled (and so owns the field), the
// intent leaves it out and the value stays the autoscaler's.
func keepReplicasUntilTheHPAHasThem(desired, existing client.Object) {
	d, ok := desired.(*appsv1.Deployment)
	e, _ := existing.(*appsv1.Deployment)
	if !ok || e == nil || d.Spec.Replicas != nil || !ownsField(e, "f:spec", "f:replicas") {
		return
	}
	d.Spec.Replicas = e.Spec.Replicas
}

// ownsField reports whether the operator's apply manager owns the field at
// path (in managedFields notation, "f:spec", "f:replicas"). It runs for every
// Deployment event the cache receives (TrimForCache): each level is decoded
// as raw JSON, so the rest of the fields are scanned, never built.
func ownsField(obj client.Object, path ...string) bool {
	for _, mf := range obj.GetManagedFields() {
		if mf.Manager != FieldOwner || mf.Operation != metav1.ManagedFieldsOperationApply || mf.FieldsV1 == nil {
			continue
		}
		cur := json.RawMessage(mf.FieldsV1.GetRawBytes())
		for _, p := range path {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(cur, &m); err != nil {
				return false
			}
			var ok bool
			if cur, ok = m[p]; !ok {
				return false
			}
		}
		return true
	}
	return false
}

// TrimForCache is the transform of the manager's caches: it drops what the
// operator never reads from a cached object, its managedFields (often the
// biggest part of a Pod or a Deployment), before the object is stored. A
// Deployment keeps one thing of them, whether the operator's apply owns
// spec.replicas (keepReplicasUntilTheHPAHasThem), as a minimal entry.
func TrimForCache(obj any) (any, error) {
	o, ok := obj.(client.Object)
	if !ok || o.GetManagedFields() == nil {
		return obj, nil
	}
	var keep []metav1.ManagedFieldsEntry
	if _, ok := o.(*appsv1.Deployment); ok && ownsField(o, "f:spec", "f:replicas") {
		keep = []metav1.ManagedFieldsEntry{{
			Manager:    FieldOwner,
			Operation:  metav1.ManagedFieldsOperationApply,
			FieldsV1:   metav1.NewFieldsV1(`{"f:spec":{"f:replicas":{}}}`),
			APIVersion: "apps/v1",
		}}
	}
	o.SetManagedFields(keep)
	return o, nil
}
