//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// outsideWindow is how long an ApplicationServer outside the watched
// namespaces is watched for a reconcile that must not come, after the
// watched ones (created later) have converged. The servers inside converge
// in a few seconds from their creation, so an operator that saw the one
// outside would have touched it by then; the window adds margin on top.
const outsideWindow = 5 * time.Second

func TestWatchNamespaces(t *testing.T) {
	applyCRD(t, filepath.Join(root, "config", "crd", "bases")) // before startOperator: see applyCRD
	a, b, c := newNamespace(t, "watch-a"), newNamespace(t, "watch-b"), newNamespace(t, "watch-c")
	startOperator(t, []string{"WATCH_NAMESPACE=" + a + "," + b})

	// The one outside first: it has waited longest when the others are done.
	outside := newAppServer(c, "outside", 1)
	if err := k8s.Create(context.Background(), outside); err != nil {
		t.Fatal(err)
	}
	var inside []*v1alpha1.ApplicationServer
	for _, ns := range []string{a, b} {
		as := newAppServer(ns, "inside", 1)
		if err := k8s.Create(context.Background(), as); err != nil {
			t.Fatal(err)
		}
		inside = append(inside, as)
	}
	for _, as := range inside {
		key := client.ObjectKeyFromObject(as)
		got := waitCondition(t, key, v1alpha1.ConditionAvailable, metav1.ConditionTrue, 2*time.Minute)
		if got.Status.ObservedGeneration != got.Generation {
			t.Errorf("%s: observedGeneration %d, generation %d", key, got.Status.ObservedGeneration, got.Generation)
		}
		if err := k8s.Get(context.Background(), key, &appsv1.Deployment{}); err != nil {
			t.Errorf("%s: Deployment: %v", key, err)
		}
	}
	stayUntouched(t, client.ObjectKeyFromObject(outside), outsideWindow)
	t.Logf("%s/%s untouched for %s after the servers in %s and %s converged", c, outside.Name, outsideWindow, a, b)
}

// opNS is the namespace of the namespace-scoped install (manifest/namespaced).
const opNS = "appserver-operator"

// operatorSA is the install's ServiceAccount as the API server names it.
const operatorSA = "system:serviceaccount:" + opNS + ":appserver-operator"

func TestNamespacedInstallWithRolesOnly(t *testing.T) {
	ctx := context.Background()
	// The install holds no Namespace (the cluster administrator creates it,
	// with the CRD): create it as they would.
	claimNamespace(t, opNS)
	outside := newNamespace(t, "outside")

	clusterRBACBefore := clusterRBACNames(t)
	applyCRD(t, filepath.Join(root, "manifest", "crd.yaml"))
	applied := kubectl(t, "apply", "-f", filepath.Join(root, "manifest", "namespaced", "install.yaml"))
	t.Logf("kubectl apply -f manifest/namespaced/install.yaml:\n%s", applied)
	if strings.Contains(strings.ToLower(applied), "clusterrole") {
		t.Errorf("the namespaced install applies cluster-wide RBAC:\n%s", applied)
	}
	if added := newNames(clusterRBACBefore, clusterRBACNames(t)); len(added) > 0 {
		t.Errorf("the namespaced install created cluster-wide RBAC: %v", added)
	}
	bindings := &rbacv1.ClusterRoleBindingList{}
	if err := k8s.List(ctx, bindings); err != nil {
		t.Fatal(err)
	}
	for _, crb := range bindings.Items {
		for _, s := range crb.Subjects {
			if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == opNS && s.Name == "appserver-operator" {
				t.Errorf("ClusterRoleBinding %s binds the operator's ServiceAccount", crb.Name)
			}
		}
	}

	// The install's Deployment would only be a kwok simulation: remove it
	// and run the real binary here, with the ServiceAccount's credentials.
	kubectl(t, "delete", "deployment", "appserver-operator", "-n", opNS, "--wait=true", "--timeout=60s")
	eventually(t, time.Minute, "the simulated operator pod to go", func() error {
		pods := &corev1.PodList{}
		if err := k8s.List(ctx, pods, client.InNamespace(opNS), client.MatchingLabels{"app.kubernetes.io/name": "appserver-operator"}); err != nil {
			return err
		}
		if len(pods.Items) > 0 {
			return fmt.Errorf("%d pods", len(pods.Items))
		}
		return nil
	})
	// Metering is not under test here, and its HTTPS port is fixed: turn it
	// off in the ConfigMap, which the operator reads both as its environment
	// (envFrom, as in the Deployment) and live.
	kubectl(t, "patch", "configmap", "appserver-operator-config", "-n", opNS, "--type=merge", "-p", `{"data":{"METERING_ENABLED":"FALSE"}}`)
	cm := &corev1.ConfigMap{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: opNS, Name: "appserver-operator-config"}, cm); err != nil {
		t.Fatal(err)
	}
	if got := cm.Data["WATCH_NAMESPACE"]; got != opNS {
		t.Errorf("the install's WATCH_NAMESPACE is %q, want %q", got, opNS)
	}
	env := []string{"POD_NAMESPACE=" + opNS}
	for k, v := range cm.Data {
		env = append(env, k+"="+v)
	}

	saKubeconfig := serviceAccountKubeconfig(t, opNS, "appserver-operator")
	if who, err := kubectlAs(saKubeconfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"); err != nil || who != operatorSA {
		t.Fatalf("the token authenticates as %q (%v), want %s", who, err, operatorSA)
	}

	// This --kubeconfig comes after startOperator's own, and the last wins.
	op := startOperator(t, env, "--kubeconfig", saKubeconfig,
		"--leader-elect", "--leader-election-namespace", opNS, "--settings-namespace", opNS)

	// The one outside first: it has waited longest when ours is done.
	other := newAppServer(outside, "outside", 1)
	if err := k8s.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	mine := newAppServer(opNS, "inside", 1)
	if err := k8s.Create(ctx, mine); err != nil {
		t.Fatal(err)
	}
	got := waitCondition(t, client.ObjectKeyFromObject(mine), v1alpha1.ConditionAvailable, metav1.ConditionTrue, 2*time.Minute)
	if n, err := readyPods(t, opNS, mine.Name); err != nil || n != 1 || got.Status.ObservedGeneration != got.Generation {
		t.Errorf("ready pods %d (%v), status %+v", n, err, got.Status)
	}
	if h, err := leaseHolder(opNS); err != nil || h == "" {
		t.Errorf("the leader-election Lease in %s: holder %q (%v)", opNS, h, err)
	}
	stayUntouched(t, client.ObjectKeyFromObject(other), outsideWindow)

	t.Run("the ServiceAccount is allowed in its namespace and denied outside it", func(t *testing.T) {
		for _, c := range []struct {
			verb, resource, subresource, ns, want string
		}{
			{"create", "deployments.apps", "", opNS, "yes"},
			{"patch", "applicationservers.appserver.dev", "status", opNS, "yes"},
			{"create", "leases.coordination.k8s.io", "", opNS, "yes"},
			{"create", "deployments.apps", "", outside, "no"},
			{"list", "deployments.apps", "", outside, "no"},
			{"list", "applicationservers.appserver.dev", "", outside, "no"},
			{"patch", "applicationservers.appserver.dev", "status", outside, "no"},
			{"create", "services", "", "default", "no"},
		} {
			args := []string{"auth", "can-i", c.verb, c.resource, "-n", c.ns}
			if c.subresource != "" {
				args = append(args, "--subresource", c.subresource)
			}
			// can-i exits 1 when the answer is no: the printed answer is what counts.
			out, _ := kubectlAs(saKubeconfig, args...)
			if out != c.want {
				t.Errorf("can-i %s %s (subresource %q) -n %s: %q, want %q", c.verb, c.resource, c.subresource, c.ns, out, c.want)
			}
		}
		if out, _ := kubectlAs(saKubeconfig, "auth", "can-i", "list", "applicationservers.appserver.dev", "--all-namespaces"); out != "no" {
			t.Errorf("can-i list applicationservers --all-namespaces: %q, want no", out)
		}

		// A direct read, not only the authorizer's opinion.
		if _, err := kubectlAs(saKubeconfig, "get", "deployments", "-n", opNS); err != nil {
			t.Errorf("listing Deployments in %s as the ServiceAccount: %v", opNS, err)
		}
		for _, args := range [][]string{
			{"get", "deployments", "-n", outside},
			{"get", "applicationservers", "-n", outside},
			{"get", "applicationservers", "--all-namespaces"},
		} {
			_, err := kubectlAs(saKubeconfig, args...)
			if err == nil || !strings.Contains(err.Error(), "(Forbidden)") || !strings.Contains(err.Error(), operatorSA) {
				t.Errorf("kubectl %s as the ServiceAccount: %v, want Forbidden for %s", strings.Join(args, " "), err, operatorSA)
			}
		}
	})

	// Nothing the operator does in its own namespace may be refused.
	if lines := op.logLines(t, regexp.MustCompile(`(?i)forbidden`)); len(lines) > 0 {
		t.Errorf("the operator was refused by RBAC %d times; first:\n%s", len(lines), strings.Join(lines[:min(len(lines), 5)], "\n"))
	}
}

// claimNamespace creates a namespace of a fixed name (waiting out a previous
// run's deletion) and deletes it, waiting, when the test ends.
func claimNamespace(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	eventually(t, 2*time.Minute, "namespace "+name+" to be free", func() error {
		ns := &corev1.Namespace{}
		err := k8s.Get(ctx, client.ObjectKey{Name: name}, ns)
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return err
		case ns.DeletionTimestamp.IsZero():
			t.Fatalf("namespace %s exists already and is not being deleted: this test owns it", name)
		}
		return fmt.Errorf("namespace %s is terminating", name)
	})
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := k8s.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := k8s.Delete(ctx, ns); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting namespace %s: %v", name, err)
			return
		}
		eventually(t, 2*time.Minute, "namespace "+name+" to be deleted", func() error {
			err := k8s.Get(ctx, client.ObjectKey{Name: name}, &corev1.Namespace{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			return fmt.Errorf("still there (%w)", err)
		})
	})
	eventually(t, time.Minute, "the default ServiceAccount in "+name, func() error {
		return k8s.Get(ctx, client.ObjectKey{Namespace: name, Name: "default"}, &corev1.ServiceAccount{})
	})
}

// clusterRBACNames lists every ClusterRole and ClusterRoleBinding.
func clusterRBACNames(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	roles := &rbacv1.ClusterRoleList{}
	bindings := &rbacv1.ClusterRoleBindingList{}
	if err := k8s.List(context.Background(), roles); err != nil {
		t.Fatal(err)
	}
	if err := k8s.List(context.Background(), bindings); err != nil {
		t.Fatal(err)
	}
	for _, r := range roles.Items {
		names["ClusterRole/"+r.Name] = true
	}
	for _, b := range bindings.Items {
		names["ClusterRoleBinding/"+b.Name] = true
	}
	return names
}

func newNames(before, after map[string]bool) []string {
	var added []string
	for n := range after {
		if !before[n] {
			added = append(added, n)
		}
	}
	return added
}

// serviceAccountKubeconfig writes a kubeconfig for the test cluster that
// authenticates with a fresh token of the ServiceAccount ns/name.
func serviceAccountKubeconfig(t *testing.T, ns, name string) string {
	t.Helper()
	token := strings.TrimSpace(kubectl(t, "create", "token", name, "-n", ns, "--duration=1h"))
	base, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	bctx, ok := base.Contexts[base.CurrentContext]
	if !ok || base.Clusters[bctx.Cluster] == nil {
		t.Fatalf("the test kubeconfig has no current context with a cluster")
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local"] = base.Clusters[bctx.Cluster]
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: "local", AuthInfo: name, Namespace: ns}
	cfg.CurrentContext = name
	path := filepath.Join(t.TempDir(), name+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// kubectlAs runs bin/kubectl with another kubeconfig and returns its trimmed
// standard output.
func kubectlAs(kubeconfigPath string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(root, "bin", "kubectl"), append([]string{"--kubeconfig", kubeconfigPath}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%w: %s", err, strings.TrimSpace(errOut.String()))
	}
	return strings.TrimSpace(out.String()), err
}
