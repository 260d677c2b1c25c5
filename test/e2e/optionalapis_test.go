//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

var (
	serviceMonitorGVK = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "ServiceMonitor"}
	routeGVK          = schema.GroupVersionKind{Group: "route.openshift.io", Version: "v1", Kind: "Route"}
	optionalCRDs      = map[string]string{
		"servicemonitors.monitoring.coreos.com": "servicemonitor-crd.yaml",
		"routes.route.openshift.io":             "route-crd.yaml",
	}
)

// installOptionalCRDs installs the stand-in ServiceMonitor and Route CRDs
// until the test ends. Call it before startOperator: cleanups run last in
// first out, so the operator stops before the CRDs go, and the next test
// (the e2e tests run one after another) finds them gone.
func installOptionalCRDs(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		for name := range optionalCRDs {
			_, _ = kubectlErr("delete", "crd", name, "--ignore-not-found", "--wait=true", "--timeout=60s")
		}
	})
	for name, file := range optionalCRDs {
		kubectl(t, "apply", "--server-side", "-f", filepath.Join(root, "test", "e2e", "testdata", file))
		eventually(t, time.Minute, name+" to be Established", func() error {
			out, err := kubectlErr("get", "crd", name, "-o", `jsonpath={.status.conditions[?(@.type=="Established")].status}`)
			if err != nil {
				return err
			}
			if out != "True" {
				return fmt.Errorf("established %q", out)
			}
			return nil
		})
	}
}

func getU(key client.ObjectKey, gvk schema.GroupVersionKind) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	return u, k8s.Get(context.Background(), key, u)
}

func absent(key client.ObjectKey, gvk schema.GroupVersionKind) error {
	_, err := getU(key, gvk)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", gvk.Kind, key, err)
	}
	return fmt.Errorf("%s %s still there", gvk.Kind, key)
}

func str(u *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedString(u.Object, path...)
	return s
}

// TestServiceMonitorAndRoute: with the CRDs installed the operator makes
// the ServiceMonitor and the Route with the spec's fields, owned and
// labelled like its other children, updates them, deletes them when
// disabled, and the garbage collector deletes them with the server.
func TestServiceMonitorAndRoute(t *testing.T) {
	installOptionalCRDs(t)
	startOperator(t, nil)
	ns := newNamespace(t, "optional")
	key := client.ObjectKey{Namespace: ns, Name: "shop"}
	as := newAppServer(ns, "shop", 1)
	as.Spec.Server.Metering = &v1alpha1.MeteringSpec{Scheme: "https", Port: 8443, Path: "/metrics",
		ServiceMonitor: &v1alpha1.ServiceMonitorSpec{Enabled: true, Interval: "30s",
			Labels: map[string]v1alpha1.LabelValue{"release": "prometheus"}}}
	as.Spec.Route = &v1alpha1.RouteSpec{Enabled: true, Host: "shop.apps.example.com", Path: "/cart",
		TLS: &v1alpha1.RouteTLSSpec{Termination: "edge", InsecureEdgeTerminationPolicy: "Redirect"}}
	if err := k8s.Create(context.Background(), as); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Get(context.Background(), key, as); err != nil {
		t.Fatal(err)
	}

	owned := func(u *unstructured.Unstructured) error {
		ref := metav1.GetControllerOf(u)
		if ref == nil || ref.UID != as.UID {
			return fmt.Errorf("%s: controller %+v, want the ApplicationServer", u.GetKind(), ref)
		}
		l := u.GetLabels()
		if l[v1alpha1.LabelManagedBy] != v1alpha1.ManagedByValue || l[v1alpha1.LabelInstance] != "shop" {
			return fmt.Errorf("%s: labels %v", u.GetKind(), l)
		}
		return nil
	}
	eventually(t, time.Minute, "the ServiceMonitor", func() error {
		sm, err := getU(key, serviceMonitorGVK)
		if err != nil {
			return err
		}
		if err := owned(sm); err != nil {
			return err
		}
		eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
		if len(eps) != 1 {
			return fmt.Errorf("endpoints %v", eps)
		}
		ep := &unstructured.Unstructured{Object: eps[0].(map[string]any)}
		if str(ep, "port") != "https" || str(ep, "scheme") != "https" || str(ep, "path") != "/metrics" || str(ep, "interval") != "30s" {
			return fmt.Errorf("endpoint %v", ep.Object)
		}
		if sm.GetLabels()["release"] != "prometheus" {
			return fmt.Errorf("labels %v lack release=prometheus", sm.GetLabels())
		}
		if sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels"); sel[v1alpha1.LabelInstance] != "shop" || sel[v1alpha1.LabelComponent] != "server" {
			return fmt.Errorf("selector %v", sel)
		}
		return nil
	})
	eventually(t, time.Minute, "the Route", func() error {
		r, err := getU(key, routeGVK)
		if err != nil {
			return err
		}
		if err := owned(r); err != nil {
			return err
		}
		if str(r, "spec", "host") != "shop.apps.example.com" || str(r, "spec", "path") != "/cart" ||
			str(r, "spec", "to", "name") != "shop" || str(r, "spec", "to", "kind") != "Service" ||
			str(r, "spec", "port", "targetPort") != "http" ||
			str(r, "spec", "tls", "termination") != "edge" || str(r, "spec", "tls", "insecureEdgeTerminationPolicy") != "Redirect" {
			return fmt.Errorf("route spec %v", r.Object["spec"])
		}
		return nil
	})
	waitCondition(t, key, v1alpha1.ConditionDegraded, metav1.ConditionFalse, time.Minute)

	// Updated.
	change := func(f func(*v1alpha1.ApplicationServer)) {
		t.Helper()
		eventually(t, time.Minute, "updating the server", func() error {
			if err := k8s.Get(context.Background(), key, as); err != nil {
				return err
			}
			f(as)
			return k8s.Update(context.Background(), as)
		})
	}
	change(func(as *v1alpha1.ApplicationServer) {
		as.Spec.Server.Metering.ServiceMonitor.Interval = "1m"
		as.Spec.Route.Host = "cart.apps.example.com"
		as.Spec.Route.Port = "https"
		as.Spec.Route.Path = ""
		as.Spec.Route.TLS = &v1alpha1.RouteTLSSpec{Termination: "passthrough"}
	})
	eventually(t, time.Minute, "the updated ServiceMonitor and Route", func() error {
		sm, err := getU(key, serviceMonitorGVK)
		if err != nil {
			return err
		}
		eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
		if len(eps) != 1 || eps[0].(map[string]any)["interval"] != "1m" {
			return fmt.Errorf("endpoints %v", eps)
		}
		r, err := getU(key, routeGVK)
		if err != nil {
			return err
		}
		if str(r, "spec", "host") != "cart.apps.example.com" || str(r, "spec", "port", "targetPort") != "https" ||
			str(r, "spec", "tls", "termination") != "passthrough" {
			return fmt.Errorf("route spec %v", r.Object["spec"])
		}
		if _, found, _ := unstructured.NestedString(r.Object, "spec", "path"); found {
			return errors.New("the route still has a path")
		}
		if _, found, _ := unstructured.NestedString(r.Object, "spec", "tls", "insecureEdgeTerminationPolicy"); found {
			return errors.New("the route still has insecureEdgeTerminationPolicy")
		}
		return nil
	})

	// Removed when disabled.
	change(func(as *v1alpha1.ApplicationServer) { as.Spec.Route.Enabled = false })
	eventually(t, time.Minute, "the Route to be deleted", func() error { return absent(key, routeGVK) })
	change(func(as *v1alpha1.ApplicationServer) { as.Spec.Server.Metering.ServiceMonitor.Enabled = false })
	eventually(t, time.Minute, "the ServiceMonitor to be deleted", func() error { return absent(key, serviceMonitorGVK) })

	// Garbage collected with the server.
	change(func(as *v1alpha1.ApplicationServer) {
		as.Spec.Route.Enabled = true
		as.Spec.Server.Metering.ServiceMonitor.Enabled = true
	})
	eventually(t, time.Minute, "both again", func() error {
		if _, err := getU(key, routeGVK); err != nil {
			return err
		}
		_, err := getU(key, serviceMonitorGVK)
		return err
	})
	if err := k8s.Delete(context.Background(), as); err != nil {
		t.Fatal(err)
	}
	// The garbage collector learns of new kinds at its discovery resync
	// (every 30 s): allow for it.
	eventually(t, 2*time.Minute, "the garbage collector to delete both", func() error {
		return errors.Join(absent(key, routeGVK), absent(key, serviceMonitorGVK))
	})
}

// TestOptionalAPIsAbsent: without the CRDs a server that asks for a
// ServiceMonitor and a Route says why none was made, is not Degraded, and
// its reconciles make no discovery requests (no polling loop): counted
// from the operator's rest_client_requests_total, where a discovery
// request for an absent group is a GET answered 404 and nothing else of
// this server is once its children exist.
func TestOptionalAPIsAbsent(t *testing.T) {
	for name := range optionalCRDs {
		if out, err := kubectlErr("get", "crd", name, "--ignore-not-found", "-o", "name"); err != nil || out != "" {
			t.Fatalf("CRD %s is installed (%q, %v): a test left it behind", name, out, err)
		}
	}
	// Watching only its namespace: other tests' create waves, running
	// meanwhile, make GETs that rightly answer 404 (a wanted child missing
	// from the cache is looked up before it is created).
	ns := newNamespace(t, "no-optional")
	p := startOperator(t, []string{"WATCH_NAMESPACE=" + ns})
	key := client.ObjectKey{Namespace: ns, Name: "shop"}
	as := newAppServer(ns, "shop", 1)
	as.Spec.Server.Application = &v1alpha1.ApplicationSpec{Logs: []v1alpha1.LogPath{"/var/log/shop/app.log"}}
	as.Spec.Server.Metering = &v1alpha1.MeteringSpec{ServiceMonitor: &v1alpha1.ServiceMonitorSpec{Enabled: true}}
	as.Spec.Route = &v1alpha1.RouteSpec{Enabled: true, Host: "shop.apps.example.com"}
	if err := k8s.Create(context.Background(), as); err != nil {
		t.Fatal(err)
	}
	as = waitCondition(t, key, v1alpha1.ConditionMissingAPI, metav1.ConditionTrue, time.Minute)
	for _, c := range as.Status.Conditions {
		if c.Type == v1alpha1.ConditionMissingAPI {
			t.Logf("MissingAPI: %s", c.Message)
			for _, w := range []string{"no ServiceMonitor was made: the cluster does not serve monitoring.coreos.com/v1",
				"no Route was made: the cluster does not serve route.openshift.io/v1"} {
				if !strings.Contains(c.Message, w) {
					t.Errorf("MissingAPI message %q lacks %q", c.Message, w)
				}
			}
		}
	}
	waitCondition(t, key, v1alpha1.ConditionDegraded, metav1.ConditionFalse, time.Minute)

	notFoundGets := func() float64 {
		v, _, err := p.metricSum("rest_client_requests_total", map[string]string{"method": "GET", "code": "404"})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	before, reconcilesBefore := notFoundGets(), p.reconciles(t)
	const changes = 5
	for i := range changes {
		eventually(t, time.Minute, "changing the server", func() error {
			if err := k8s.Get(context.Background(), key, as); err != nil {
				return err
			}
			as.Spec.Service.Annotations = map[string]string{"example.com/change": fmt.Sprint(i)}
			return k8s.Update(context.Background(), as)
		})
		gen := as.Generation
		eventually(t, time.Minute, "the change to be reconciled", func() error {
			if err := k8s.Get(context.Background(), key, as); err != nil {
				return err
			}
			if as.Status.ObservedGeneration < gen {
				return fmt.Errorf("observedGeneration %d < %d", as.Status.ObservedGeneration, gen)
			}
			return nil
		})
	}
	reconciles := p.reconciles(t) - reconcilesBefore
	if reconciles < changes {
		t.Fatalf("%v reconciles for %d changes", reconciles, changes)
	}
	if d := notFoundGets() - before; d != 0 {
		t.Errorf("%v GET requests answered 404 during %v reconciles: discovery is asked at reconcile", d, reconciles)
	}
	as = waitCondition(t, key, v1alpha1.ConditionDegraded, metav1.ConditionFalse, time.Minute)
	if c := findCondition(as, v1alpha1.ConditionMissingAPI); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("MissingAPI is %+v after the changes", c)
	}
}

func findCondition(as *v1alpha1.ApplicationServer, typ string) *metav1.Condition {
	return meta.FindStatusCondition(as.Status.Conditions, typ)
}
