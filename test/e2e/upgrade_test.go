//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/operator"
)

// upgradeServers is how many servers the upgrade test converges (issue 13
// asks for 50); E2E_UPGRADE_SERVERS overrides it.
func upgradeServers(t *testing.T) int {
	n := 50
	if s := os.Getenv("E2E_UPGRADE_SERVERS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("E2E_UPGRADE_SERVERS=%q: want a positive number", s)
		}
		n = v
	}
	return n
}

// binaryVersion is the version a build of the operator reports.
func binaryVersion(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version (run 'make build build-next'): %v", bin, err)
	}
	f := strings.Fields(string(out)) // appserver-operator <version> (commit ...)
	if len(f) < 2 {
		t.Fatalf("%s --version: %q", bin, out)
	}
	return f[1]
}

// deploymentState is what an upgrade must not change in a Deployment.
type deploymentState struct {
	uid, resourceVersion string
	generation           int64
	template             string
}

func deploymentStates(t *testing.T, ns string) map[string]deploymentState {
	t.Helper()
	list := &appsv1.DeploymentList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	out := map[string]deploymentState{}
	for _, d := range list.Items {
		tpl, err := json.Marshal(d.Spec.Template)
		if err != nil {
			t.Fatal(err)
		}
		out[d.Name] = deploymentState{string(d.UID), d.ResourceVersion, d.Generation, string(tpl)}
	}
	return out
}

// TestUpgradeRestartsNothing: servers converged by one build of the
// operator; the operator stopped (uninstalled: the CRD and the servers
// stay); their children keep running; another build (another version
// string) started: it adopts every child without writing to a single
// Deployment, and writes each server's status once, for operatorVersion.
func TestUpgradeRestartsNothing(t *testing.T) {
	oldBin, newBin := filepath.Join(root, "bin", "appserver-operator"), filepath.Join(root, "bin", "appserver-operator-next")
	oldVersion, newVersion := binaryVersion(t, oldBin), binaryVersion(t, newBin)
	if oldVersion == newVersion {
		t.Fatalf("both builds report version %q", oldVersion)
	}
	n := upgradeServers(t)
	start := time.Now()
	ctx := context.Background()

	old := startOperatorBinary(t, oldBin, nil)
	ns := newNamespace(t, "upgrade")
	for i := range n {
		if err := k8s.Create(ctx, newAppServer(ns, fmt.Sprintf("up-%02d", i), 1)); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 3*time.Minute, fmt.Sprintf("%d servers Available, rolled out, by %s", n, oldVersion), func() error {
		list := &v1alpha1.ApplicationServerList{}
		if err := k8s.List(ctx, list, client.InNamespace(ns)); err != nil {
			return err
		}
		done := 0
		for _, as := range list.Items {
			if meta.IsStatusConditionTrue(as.Status.Conditions, v1alpha1.ConditionAvailable) &&
				meta.IsStatusConditionFalse(as.Status.Conditions, v1alpha1.ConditionProgressing) &&
				as.Status.OperatorVersion == oldVersion {
				done++
			}
		}
		if done != n {
			return fmt.Errorf("%d of %d", done, n)
		}
		return nil
	})
	old.settle(t, 3*time.Second)
	converged := time.Since(start)

	// Uninstall: the operator stops; nothing owns a lease or watches. The
	// servers' children are theirs (owner references), not the operator's:
	// they stay, and their pods keep running.
	old.stop(time.Minute)
	before := deploymentStates(t, ns)
	if len(before) != n {
		t.Fatalf("%d Deployments after the operator stopped, want %d", len(before), n)
	}
	for name := range before {
		if ready, err := readyPods(t, ns, name); err != nil || ready != 1 {
			t.Fatalf("%s: %d ready pods (%v) with the operator gone, want 1", name, ready, err)
		}
	}
	services := &corev1.ServiceList{}
	if err := k8s.List(ctx, services, client.InNamespace(ns)); err != nil || len(services.Items) != n {
		t.Fatalf("%d Services with the operator gone (%v), want %d", len(services.Items), err, n)
	}

	// Watch every write from here on: to the servers and to the Deployments.
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	wc, err := client.NewWithWatch(cfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	watchFrom := func(list client.ObjectList) watch.Interface {
		if err := wc.List(ctx, list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		rv := list.(metav1.ListInterface).GetResourceVersion()
		w, err := wc.Watch(ctx, list, client.InNamespace(ns), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
		return w
	}
	serverWatch := watchFrom(&v1alpha1.ApplicationServerList{})
	deploymentWatch := watchFrom(&appsv1.DeploymentList{})

	// Reinstall, upgraded.
	upgraded := startOperatorBinary(t, newBin, nil)
	eventually(t, 2*time.Minute, fmt.Sprintf("every server's status.operatorVersion %s", newVersion), func() error {
		list := &v1alpha1.ApplicationServerList{}
		if err := k8s.List(ctx, list, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, as := range list.Items {
			if as.Status.OperatorVersion != newVersion {
				return fmt.Errorf("%s: operatorVersion %q", as.Name, as.Status.OperatorVersion)
			}
		}
		return nil
	})
	upgraded.settle(t, 3*time.Second)

	// Zero writes to Deployments: no event in the watch, and each one as it
	// was (same object, resourceVersion, generation and pod template).
	// The watches' channels are unbuffered: read until a second passes
	// without an event (the writes have settled already).
	writesTo := func(w watch.Interface) map[string]int {
		out := map[string]int{}
		for {
			select {
			case e := <-w.ResultChan():
				if o, ok := e.Object.(client.Object); ok && e.Type != watch.Bookmark {
					out[o.GetName()]++
				}
			case <-time.After(time.Second):
				return out
			}
		}
	}
	if w := writesTo(deploymentWatch); len(w) > 0 {
		t.Errorf("the upgraded operator wrote to %d Deployments: %v", len(w), w)
	}
	after := deploymentStates(t, ns)
	for name, b := range before {
		if a := after[name]; a != b {
			t.Errorf("Deployment %s changed across the upgrade: generation %d→%d, resourceVersion %s→%s, same template %v",
				name, b.generation, a.generation, b.resourceVersion, a.resourceVersion, a.template == b.template)
		}
	}
	// One status write per server: operatorVersion.
	sw := writesTo(serverWatch)
	for i := range n {
		name := fmt.Sprintf("up-%02d", i)
		if sw[name] != 1 {
			t.Errorf("server %s written %d times by the upgraded operator, want 1 (status.operatorVersion)", name, sw[name])
		}
	}
	t.Logf("%d servers converged in %s; upgrade %s → %s: 0 Deployment writes, %d server status writes; test took %s",
		n, converged.Round(time.Second), oldVersion, newVersion, total(sw), time.Since(start).Round(time.Second))
}

func total(m map[string]int) int {
	s := 0
	for _, v := range m {
		s += v
	}
	return s
}
