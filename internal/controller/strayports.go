package controller

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// dropStrayServicePorts gives a live Service exactly the desired ports when
// it has ports the operator does not declare.
//
// Server-side apply cannot do this: a Service port is a list item keyed by
// its port number and protocol, and apply removes an item only when no other
// field manager owns it. So after someone edits a port's number (kubectl
// edit, a patch), the edited port stays beside the operator's, and the apply
// that puts the operator's back is rejected for a duplicate port name: the
// server would stay Degraded for good. One JSON patch, guarded by the
// resourceVersion it was computed from, replaces the list; nodePorts the
// cluster allocated are kept for the ports that stay. Nothing is written when
// the live ports are all wanted, so a server at rest costs nothing.
func (r *ApplicationServerReconciler) dropStrayServicePorts(ctx context.Context, existing, desired client.Object) error {
	live, ok := existing.(*corev1.Service)
	want, ok2 := desired.(*corev1.Service)
	if !ok || !ok2 {
		return nil
	}
	type key struct {
		port  int32
		proto corev1.Protocol
	}
	keyOf := func(p corev1.ServicePort) key {
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		return key{p.Port, p.Protocol}
	}
	wanted := map[key]bool{}
	for _, p := range want.Spec.Ports {
		wanted[keyOf(p)] = true
	}
	allocated := map[key]int32{}
	var stray []string
	for _, p := range live.Spec.Ports {
		if !wanted[keyOf(p)] {
			stray = append(stray, fmt.Sprintf("%d/%s", p.Port, keyOf(p).proto))
		}
		allocated[keyOf(p)] = p.NodePort
	}
	if len(stray) == 0 {
		return nil
	}
	ports := make([]corev1.ServicePort, len(want.Spec.Ports))
	for i, p := range want.Spec.Ports {
		if p.NodePort == 0 && live.Spec.Type == want.Spec.Type && want.Spec.Type != corev1.ServiceTypeClusterIP {
			p.NodePort = allocated[keyOf(p)]
		}
		ports[i] = p
	}
	patch, err := json.Marshal([]map[string]any{
		{"op": "test", "path": "/metadata/resourceVersion", "value": live.ResourceVersion},
		{"op": "replace", "path": "/spec/ports", "value": ports},
	})
	if err != nil {
		return err
	}
	if err := r.Client.Patch(ctx, live, client.RawPatch(types.JSONPatchType, patch), client.FieldOwner(FieldOwner)); err != nil {
		return fmt.Errorf("removing Service ports %v that are not in the spec: %w", stray, err)
	}
	log.FromContext(ctx).Info("Removed Service ports that are not in the spec", "service", live.Name, "ports", stray)
	return nil
}
