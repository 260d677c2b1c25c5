package controller

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/resources"
)

// A ConfigMap or Secret of spec.server.fileMounts that does not exist keeps
// the pods in ContainerCreating, and the kubelet reports it only as
// FailedMount events, not in the pod's status (unlike a missing envFrom
// reference, see pods.go). The operator looks the names up in its
// metadata-only cache of ConfigMaps and Secrets (confighash.go): no data
// is read, and the cache's events wake the server when the object appears.

// missingFileMounts returns a message naming the first fileMounts entry
// whose ConfigMap or Secret does not exist, or "".
func (r *ApplicationServerReconciler) missingFileMounts(ctx context.Context, as *v1alpha1.ApplicationServer) (string, error) {
	fm := as.Spec.Server.FileMounts
	if fm == nil || r.configCache == nil {
		return "", nil
	}
	for _, l := range []struct {
		field string
		gvk   schema.GroupVersionKind
		items []v1alpha1.FileMount
	}{{"configMaps", configMapGVK, fm.ConfigMaps}, {"secrets", secretGVK, fm.Secrets}} {
		for i, m := range l.items {
			obj := &metav1.PartialObjectMetadata{}
			obj.SetGroupVersionKind(l.gvk)
			err := r.configCache.Get(ctx, client.ObjectKey{Namespace: as.Namespace, Name: m.Name}, obj)
			if apierrors.IsNotFound(err) {
				return fmt.Sprintf("spec.server.fileMounts.%s[%d]: %s %q not found; the pods cannot mount %s until it exists",
					l.field, i, l.gvk.Kind, m.Name, m.Path), nil
			}
			if err != nil {
				return "", fmt.Errorf("looking up %s %s of spec.server.fileMounts: %w", l.gvk.Kind, m.Name, err)
			}
		}
	}
	return "", nil
}

// fileMountRefs are the ConfigMaps and Secrets of spec.server.fileMounts,
// as configRefsIndex values.
func fileMountRefs(as *v1alpha1.ApplicationServer) []string {
	fm := as.Spec.Server.FileMounts
	if fm == nil {
		return nil
	}
	var out []string
	for _, m := range fm.ConfigMaps {
		out = append(out, resources.ConfigRef{Kind: resources.KindConfigMap, Name: m.Name}.String())
	}
	for _, m := range fm.Secrets {
		out = append(out, resources.ConfigRef{Kind: resources.KindSecret, Name: m.Name}.String())
	}
	return out
}
