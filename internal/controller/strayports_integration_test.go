//go:build integration

package controller_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// TestEditedServicePortNumberIsReverted: someone else changes a Service
// port's number (the key of the port list). Server-side apply alone leaves
// that port beside the operator's and the apply fails on the duplicate name
// (the chaos suite's drift storm found it); the operator must put back
// exactly its own ports and stay not Degraded.
func TestEditedServicePortNumberIsReverted(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	as := sample(t, "appserver_v1alpha1_applicationserver_simple.yaml", ns)
	create(t, as)
	svc := get(t, as, &corev1.Service{})
	want := svc.Spec.Ports

	patch := `[{"op":"replace","path":"/spec/ports/0/port","value":9999}]`
	if err := k8s.Patch(ctx, svc, client.RawPatch(types.JSONPatchType, []byte(patch)), client.FieldOwner("someone-else")); err != nil {
		t.Fatal(err)
	}
	eventually(t, wait, "the Service's own ports back, and only them", func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(as), svc); err != nil {
			return err
		}
		if !reflect.DeepEqual(svc.Spec.Ports, want) {
			return fmt.Errorf("ports %+v, want %+v", svc.Spec.Ports, want)
		}
		return nil
	})
	waitStatus(t, as, "the server not Degraded", func(as *v1alpha1.ApplicationServer) error {
		return wantCondition(as, v1alpha1.ConditionDegraded, metav1.ConditionFalse, v1alpha1.ReasonAsExpected)
	})
}
