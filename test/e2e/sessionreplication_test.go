//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// TestSessionReplicationDiscovery: the peers Service's EndpointSlices list
// every pod's IP, ready or not (publishNotReadyAddresses), and a token of
// the ServiceAccount the operator created (TokenRequest) may list the
// server's pods by its selector in the namespace, and nowhere else.
func TestSessionReplicationDiscovery(t *testing.T) {
	startOperator(t, nil)
	ns := newNamespace(t, "replication")
	other := newNamespace(t, "replication-other")
	as := newAppServer(ns, "shop", 3)
	as.Spec.Server.SessionReplication = &v1alpha1.SessionReplicationSpec{Enabled: true}
	if err := k8s.Create(context.Background(), as); err != nil {
		t.Fatal(err)
	}

	eventually(t, 3*time.Minute, "the peers Service's EndpointSlices to list every pod IP", func() error {
		pods := &corev1.PodList{}
		if err := k8s.List(context.Background(), pods, client.InNamespace(ns), client.MatchingLabels{v1alpha1.LabelInstance: "shop"}); err != nil {
			return err
		}
		var want []string
		for _, p := range pods.Items {
			if p.Status.PodIP == "" {
				return fmt.Errorf("pod %s has no IP yet", p.Name)
			}
			want = append(want, p.Status.PodIP)
		}
		if len(want) != 3 {
			return fmt.Errorf("%d pods, want 3", len(want))
		}
		slices.Sort(want)
		slices_ := &discoveryv1.EndpointSliceList{}
		if err := k8s.List(context.Background(), slices_, client.InNamespace(ns), client.MatchingLabels{discoveryv1.LabelServiceName: "shop-peers"}); err != nil {
			return err
		}
		var got []string
		for _, s := range slices_.Items {
			for _, e := range s.Endpoints {
				got = append(got, e.Addresses...)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			return fmt.Errorf("EndpointSlices list %v, want the pod IPs %v", got, want)
		}
		return nil
	})

	// KUBE_PING's view: the pods' own ServiceAccount.
	eventually(t, time.Minute, "the ServiceAccount shop to exist", func() error {
		return k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "shop"}, &corev1.ServiceAccount{})
	})
	kc := serviceAccountKubeconfig(t, ns, "shop")
	selector := "app.kubernetes.io/instance=shop,app.kubernetes.io/name=applicationserver"
	eventually(t, time.Minute, "the ServiceAccount to list the server's pods in its namespace", func() error {
		out, err := kubectlAs(kc, "get", "pods", "-n", ns, "-l", selector, "-o", "name")
		if err != nil {
			return err
		}
		if n := len(strings.Fields(out)); n != 3 {
			return fmt.Errorf("listed %d pods, want 3: %q", n, out)
		}
		return nil
	})
	if out, err := kubectlAs(kc, "get", "pods", "-n", other, "-l", selector, "-o", "name"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("listing pods in namespace %s: want Forbidden, got %q, %v", other, out, err)
	}
}
