//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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

// TestNamespacedInstallWithRolesOnly installs manifest/namespaced/install.yaml
// with `kubectl apply -n` into two fresh namespaces, as WebOTX's "one
// operator per team namespace", runs each installation's operator as its
// pod would run (its ServiceAccount's token, its args, its environment) and
// proves that each manages its own namespace and nothing else.
func TestNamespacedInstallWithRolesOnly(t *testing.T) {
	ctx := context.Background()
	teams := []string{newNamespace(t, "team"), newNamespace(t, "team")}
	outside := newNamespace(t, "outside")

	clusterRBACBefore := clusterRBACNames(t)
	applyCRD(t, filepath.Join(root, "manifest", "crd.yaml"))
	for _, ns := range teams {
		// kubectl refuses an object whose namespace differs from -n: this
		// passing for two namespaces is the proof that the file names none.
		applied := kubectl(t, "apply", "-n", ns, "-f", filepath.Join(root, "manifest", "namespaced", "install.yaml"))
		t.Logf("kubectl apply -n %s -f manifest/namespaced/install.yaml:\n%s", ns, applied)
		if strings.Contains(strings.ToLower(applied), "clusterrole") {
			t.Errorf("the namespaced install applies cluster-wide RBAC:\n%s", applied)
		}
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
			if s.Kind == rbacv1.ServiceAccountKind && slices.Contains(teams, s.Namespace) {
				t.Errorf("ClusterRoleBinding %s binds %s/%s", crb.Name, s.Namespace, s.Name)
			}
		}
	}

	ops := map[string]*installedOperator{}
	for _, ns := range teams {
		cm := &corev1.ConfigMap{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "appserver-operator-config"}, cm); err != nil {
			t.Fatal(err)
		}
		// WATCH_NAMESPACE comes from the downward API, not from the ConfigMap.
		if v, ok := cm.Data["WATCH_NAMESPACE"]; ok {
			t.Errorf("%s: the ConfigMap sets WATCH_NAMESPACE=%q; the namespaced install takes the pod's namespace", ns, v)
		}
		// Metering is not under test here, and its HTTPS port is fixed; the
		// log file would go to /var/log: turn both off where the operator
		// reads them (its environment and, live, the ConfigMap).
		kubectl(t, "patch", "configmap", "appserver-operator-config", "-n", ns, "--type=merge", "-p", `{"data":{"METERING_ENABLED":"FALSE","LOG_DIR":""}}`)
		ops[ns] = runInstalledOperator(t, ns, "appserver-operator")
		if !slices.Contains(ops[ns].env, "WATCH_NAMESPACE="+ns) {
			t.Errorf("%s: the Deployment's environment has no WATCH_NAMESPACE=%s: %v", ns, ns, ops[ns].env)
		}
	}

	// The one outside first: it has waited longest when ours are done.
	other := newAppServer(outside, "outside", 1)
	if err := k8s.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	for _, ns := range teams {
		mine := newAppServer(ns, "inside", 1)
		if err := k8s.Create(ctx, mine); err != nil {
			t.Fatal(err)
		}
		got := waitCondition(t, client.ObjectKeyFromObject(mine), v1alpha1.ConditionAvailable, metav1.ConditionTrue, 2*time.Minute)
		if n, err := readyPods(t, ns, mine.Name); err != nil || n != 1 || got.Status.ObservedGeneration != got.Generation {
			t.Errorf("%s: ready pods %d (%v), status %+v", ns, n, err, got.Status)
		}
	}
	// Two installations, two Leases, two leaders.
	holders := map[string]bool{}
	for _, ns := range teams {
		h, err := leaseHolder(ns)
		if err != nil || h == "" {
			t.Errorf("the leader-election Lease in %s: holder %q (%v)", ns, h, err)
		}
		holders[h] = true
	}
	if len(holders) != len(teams) {
		t.Errorf("the Leases of %v have holders %v, want one each", teams, holders)
	}
	stayUntouched(t, client.ObjectKeyFromObject(other), outsideWindow)

	for i, ns := range teams {
		neighbour := teams[1-i]
		t.Run("the ServiceAccount of "+ns+" is allowed there and denied elsewhere", func(t *testing.T) {
			assertNamespacedGrant(t, ops[ns].kubeconfig, "system:serviceaccount:"+ns+":appserver-operator", ns, []string{neighbour, outside})
		})
		// Nothing the operator does in its own namespace may be refused.
		if lines := ops[ns].logLines(t, regexp.MustCompile(`(?i)forbidden`)); len(lines) > 0 {
			t.Errorf("%s: the operator was refused by RBAC %d times; first:\n%s", ns, len(lines), strings.Join(lines[:min(len(lines), 5)], "\n"))
		}
	}
}

// assertNamespacedGrant checks, as the authorizer answers and by direct
// requests, that the identity of kubeconfigPath (user) may do the operator's
// work in ns and nothing in the namespaces denied, nor cluster-wide.
func assertNamespacedGrant(t *testing.T, kubeconfigPath, user, ns string, denied []string) {
	t.Helper()
	type check struct{ verb, resource, subresource, ns, want string }
	checks := []check{
		{"create", "deployments.apps", "", ns, "yes"},
		{"patch", "applicationservers.appserver.dev", "status", ns, "yes"},
		{"create", "leases.coordination.k8s.io", "", ns, "yes"},
	}
	for _, d := range denied {
		checks = append(checks,
			check{"create", "deployments.apps", "", d, "no"},
			check{"list", "deployments.apps", "", d, "no"},
			check{"list", "applicationservers.appserver.dev", "", d, "no"},
			check{"patch", "applicationservers.appserver.dev", "status", d, "no"},
			check{"create", "leases.coordination.k8s.io", "", d, "no"})
	}
	checks = append(checks, check{"create", "services", "", "default", "no"})
	for _, c := range checks {
		args := []string{"auth", "can-i", c.verb, c.resource, "-n", c.ns}
		if c.subresource != "" {
			args = append(args, "--subresource", c.subresource)
		}
		// can-i exits 1 when the answer is no: the printed answer is what counts.
		out, _ := kubectlAs(kubeconfigPath, args...)
		if out != c.want {
			t.Errorf("can-i %s %s (subresource %q) -n %s: %q, want %q", c.verb, c.resource, c.subresource, c.ns, out, c.want)
		}
	}
	if out, _ := kubectlAs(kubeconfigPath, "auth", "can-i", "list", "applicationservers.appserver.dev", "--all-namespaces"); out != "no" {
		t.Errorf("can-i list applicationservers --all-namespaces: %q, want no", out)
	}

	// A direct read, not only the authorizer's opinion.
	if _, err := kubectlAs(kubeconfigPath, "get", "deployments", "-n", ns); err != nil {
		t.Errorf("listing Deployments in %s as %s: %v", ns, user, err)
	}
	forbidden := [][]string{{"get", "applicationservers", "--all-namespaces"}}
	for _, d := range denied {
		forbidden = append(forbidden, []string{"get", "deployments", "-n", d}, []string{"get", "applicationservers", "-n", d})
	}
	for _, args := range forbidden {
		_, err := kubectlAs(kubeconfigPath, args...)
		if err == nil || !strings.Contains(err.Error(), "(Forbidden)") || !strings.Contains(err.Error(), user) {
			t.Errorf("kubectl %s as %s: %v, want Forbidden", strings.Join(args, " "), user, err)
		}
	}
}

// installedOperator is the operator binary run as an installed Deployment's
// pod would run it.
type installedOperator struct {
	*operatorProcess
	env        []string // the container's environment, resolved
	args       []string // the container's args
	kubeconfig string   // a token of the pod's ServiceAccount
}

// runInstalledOperator runs bin/appserver-operator as the first container of
// the Deployment ns/name would run in its pod (kwok pods run no containers):
// the container's args; its environment resolved as the kubelet does
// (envFrom ConfigMaps, then env, downward-API namespace and name); and a
// token of the pod's ServiceAccount instead of the admin kubeconfig.
func runInstalledOperator(t *testing.T, ns, name string) *installedOperator {
	t.Helper()
	ctx := context.Background()
	d := &appsv1.Deployment{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, d); err != nil {
		t.Fatal(err)
	}
	c := d.Spec.Template.Spec.Containers[0]
	var env []string
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef == nil {
			t.Fatalf("%s/%s: envFrom %+v: only ConfigMaps are supported here", ns, name, from)
		}
		cm := &corev1.ConfigMap{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: from.ConfigMapRef.Name}, cm); err != nil {
			t.Fatal(err)
		}
		for k, v := range cm.Data {
			env = append(env, from.Prefix+k+"="+v)
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env = append(env, e.Name+"="+e.Value)
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
			env = append(env, e.Name+"="+ns)
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name":
			env = append(env, e.Name+"="+name+"-local")
		default:
			t.Fatalf("%s/%s: env %s: this source is not supported here", ns, name, e.Name)
		}
	}
	sa := d.Spec.Template.Spec.ServiceAccountName
	op := &installedOperator{env: env, args: c.Args, kubeconfig: serviceAccountKubeconfig(t, ns, sa)}
	want := "system:serviceaccount:" + ns + ":" + sa
	if who, err := kubectlAs(op.kubeconfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"); err != nil || who != want {
		t.Fatalf("the token authenticates as %q (%v), want %s", who, err, want)
	}
	// This --kubeconfig comes after startOperator's own, and the last wins.
	op.operatorProcess = startOperator(t, env, append(slices.Clone(c.Args), "--kubeconfig", op.kubeconfig)...)
	return op
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
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: restricted}}
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
