//go:build integration

package controller_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

func named(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

func getKey[T client.Object](t *testing.T, key client.ObjectKey, obj T) T {
	t.Helper()
	eventually(t, wait, fmt.Sprintf("%T %s to exist", obj, key.Name), func() error {
		return k8s.Get(context.Background(), key, obj)
	})
	return obj
}

func goneKey(t *testing.T, key client.ObjectKey, obj client.Object) {
	t.Helper()
	eventually(t, wait, fmt.Sprintf("%T %s to be deleted", obj, key.Name), func() error {
		err := k8s.Get(context.Background(), key, obj)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there (err=%w)", err)
	})
}

// Session replication creates the peers Service, the ServiceAccount and its
// RBAC (the real API server checks that the operator may grant the Role),
// binds the user's ServiceAccount when one is named, and removes it all when
// turned off.
func TestSessionReplicationChildren(t *testing.T) {
	ns := newNamespace(t)
	as := &v1alpha1.ApplicationServer{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: ns},
		Spec: v1alpha1.ApplicationServerSpec{
			Deployment: v1alpha1.DeploymentSpec{Image: "example.com/app:1"},
			Server: v1alpha1.ServerSpec{SessionReplication: &v1alpha1.SessionReplicationSpec{
				Enabled: true, UseJmxAgent: true,
			}},
		},
	}
	create(t, as)

	peers := getKey(t, named(ns, "shop-peers"), &corev1.Service{})
	isController(t, peers, as)
	expect(t, "peers clusterIP", peers.Spec.ClusterIP, corev1.ClusterIPNone)
	expect(t, "peers publishNotReadyAddresses", peers.Spec.PublishNotReadyAddresses, true)
	expect(t, "peers port", peers.Spec.Ports[0].Port, int32(7800))
	sa := getKey(t, named(ns, "shop"), &corev1.ServiceAccount{})
	isController(t, sa, as)
	role := getKey(t, named(ns, "shop"), &rbacv1.Role{})
	isController(t, role, as)
	expect(t, "role rules", role.Rules, []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch"}}})
	rb := getKey(t, named(ns, "shop"), &rbacv1.RoleBinding{})
	expect(t, "rolebinding subjects", rb.Subjects, []rbacv1.Subject{{Kind: "ServiceAccount", Name: "shop", Namespace: ns}})
	dep := get(t, as, &appsv1.Deployment{})
	pod := dep.Spec.Template.Spec
	expect(t, "pod serviceAccountName", pod.ServiceAccountName, "shop")
	env := map[string]string{}
	for _, e := range pod.Containers[0].Env {
		env[e.Name] = e.Value
	}
	expect(t, "OTX_DATAGRID_TYPE", env["OTX_DATAGRID_TYPE"], "infinispan")
	expect(t, "OTX_USE_JMX_AGENT", env["OTX_USE_JMX_AGENT"], "true")
	expect(t, "JGROUPS_DNS_QUERY", env["JGROUPS_DNS_QUERY"], "shop-peers."+ns+".svc.cluster.local")

	// The user's own ServiceAccount: ours goes, the binding names theirs.
	update(t, as, func(as *v1alpha1.ApplicationServer) { as.Spec.Deployment.ServiceAccountName = "runner" })
	goneKey(t, named(ns, "shop"), &corev1.ServiceAccount{})
	eventually(t, wait, "the RoleBinding to bind the user's ServiceAccount", func() error {
		rb := &rbacv1.RoleBinding{}
		if err := k8s.Get(context.Background(), named(ns, "shop"), rb); err != nil {
			return err
		}
		if len(rb.Subjects) != 1 || rb.Subjects[0].Name != "runner" {
			return fmt.Errorf("subjects %+v", rb.Subjects)
		}
		return nil
	})

	// Off: Service, RBAC and env go.
	update(t, as, func(as *v1alpha1.ApplicationServer) { as.Spec.Server.SessionReplication.Enabled = false })
	goneKey(t, named(ns, "shop-peers"), &corev1.Service{})
	goneKey(t, named(ns, "shop"), &rbacv1.Role{})
	goneKey(t, named(ns, "shop"), &rbacv1.RoleBinding{})
	eventually(t, wait, "the replication env to leave the Deployment", func() error {
		dep := &appsv1.Deployment{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(as), dep); err != nil {
			return err
		}
		c := dep.Spec.Template.Spec.Containers[0]
		if slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "OTX_DATAGRID_TYPE" }) {
			return fmt.Errorf("env still has OTX_DATAGRID_TYPE")
		}
		if slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == "jgroups" }) {
			return fmt.Errorf("container still has the jgroups port")
		}
		return nil
	})
}
