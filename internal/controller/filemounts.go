package controller

import (
	"context"
	"fmt"

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
// whose ConfigMap or Secret, or its key, does not exist, or "". The key
// names come with the content digests of confighash.go: the data is read
// once per resourceVersion, and only the digest and the key names are kept.
func (r *ApplicationServerReconciler) missingFileMounts(ctx context.Context, as *v1alpha1.ApplicationServer) (string, error) {
	fm := as.Spec.Server.FileMounts
	if fm == nil || r.configCache == nil {
		return "", nil
	}
	for _, l := range []struct {
		field string
		kind  resources.ConfigKind
		items []v1alpha1.FileMount
	}{{"configMaps", resources.KindConfigMap, fm.ConfigMaps}, {"secrets", resources.KindSecret, fm.Secrets}} {
		for i, m := range l.items {
			c, found, err := r.configContent(ctx, as.Namespace, resources.ConfigRef{Kind: l.kind, Name: m.Name})
			if err != nil {
				return "", fmt.Errorf("looking up %s %s of spec.server.fileMounts: %w", l.kind, m.Name, err)
			}
			if !found {
				return fmt.Sprintf("spec.server.fileMounts.%s[%d]: %s %q not found; the pods cannot mount %s until it exists",
					l.field, i, l.kind, m.Name, m.Path), nil
			}
			if !c.has(m.Key) {
				return fmt.Sprintf("spec.server.fileMounts.%s[%d]: %s %q has no key %q; the pods cannot mount %s until it does",
					l.field, i, l.kind, m.Name, m.Key, m.Path), nil
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
