package resources

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// FuzzBuilders feeds arbitrary ApplicationServers, as JSON, to every builder.
// The input has not been through admission (no defaults, no validation), so
// the builders must cope with anything that decodes: no panic, and the
// invariants the reconciler and Kubernetes rely on hold.
//
// CI runs it for 20s: go test -run '^$' -fuzz FuzzBuilders -fuzztime 20s ./internal/resources/
func FuzzBuilders(f *testing.F) {
	for _, sample := range []string{
		"appserver_v1alpha1_applicationserver_simple.yaml",
		"appserver_v1alpha1_applicationserver_advanced.yaml",
		"appserver_v1alpha1_applicationserver_loadbalancer.yaml",
	} {
		raw, err := os.ReadFile(filepath.Join(samplesDir, sample))
		if err != nil {
			f.Fatal(err)
		}
		j, err := yaml.YAMLToJSON(raw)
		if err != nil {
			f.Fatalf("%s: %v", sample, err)
		}
		f.Add(j)
	}
	for _, tc := range goldenCases(f) {
		j, err := json.Marshal(tc.as)
		if err != nil {
			f.Fatalf("%s: %v", tc.name, err)
		}
		f.Add(j)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		as := &v1alpha1.ApplicationServer{}
		if err := json.Unmarshal(data, as); err != nil {
			return // not an ApplicationServer: nothing to build
		}
		orig := as.DeepCopy()

		dep := Deployment(as, Options{})
		svc := Service(as)
		hpa := HorizontalPodAutoscaler(as)
		ing := Ingress(as)
		pdb := PodDisruptionBudget(as)
		_ = Selector(as)

		checkBuilt(t, as, dep, svc)

		// Optional children exist exactly when enabled.
		hpaOn := as.Spec.HorizontalPodAutoscaler != nil && as.Spec.HorizontalPodAutoscaler.Enabled
		if (hpa != nil) != hpaOn {
			t.Errorf("HorizontalPodAutoscaler built = %t, enabled = %t", hpa != nil, hpaOn)
		}
		if (dep.Spec.Replicas == nil) != hpaOn {
			t.Errorf("Deployment replicas set = %t with the autoscaler enabled = %t", dep.Spec.Replicas != nil, hpaOn)
		}
		if ingOn := as.Spec.Ingress != nil && as.Spec.Ingress.Enabled; (ing != nil) != ingOn {
			t.Errorf("Ingress built = %t, enabled = %t", ing != nil, ingOn)
		}
		if sm := ServiceMonitor(as); (sm != nil) != ServiceMonitorWanted(as) ||
			(sm != nil && sm.GetLabels()[v1alpha1.LabelManagedBy] != v1alpha1.ManagedByValue) {
			t.Errorf("ServiceMonitor built = %t, enabled = %t, labels %v", sm != nil, ServiceMonitorWanted(as), sm)
		}
		if r := Route(as); (r != nil) != RouteWanted(as) || (r != nil && r.GetName() != svc.Name) {
			t.Errorf("Route built = %t, enabled = %t", r != nil, RouteWanted(as))
		}
		if pdbOn := as.Spec.PodDisruptionBudget != nil && ptr.Deref(as.Spec.PodDisruptionBudget.Enabled, true); (pdb != nil) != pdbOn {
			t.Errorf("PodDisruptionBudget built = %t, enabled = %t", pdb != nil, pdbOn)
		}

		// Every child carries the operator's labels (the informers select on
		// them) and is named after the server in its namespace.
		metas := map[string]*metav1.ObjectMeta{
			"Deployment": &dep.ObjectMeta, "Service": &svc.ObjectMeta,
			"pod template": &dep.Spec.Template.ObjectMeta,
		}
		if hpa != nil {
			metas["HorizontalPodAutoscaler"] = &hpa.ObjectMeta
			if ref := hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != dep.Name {
				t.Errorf("HorizontalPodAutoscaler scales %s %q, want Deployment %q", ref.Kind, ref.Name, dep.Name)
			}
		}
		if ing != nil {
			metas["Ingress"] = &ing.ObjectMeta
			for _, r := range ing.Spec.Rules {
				for _, p := range r.HTTP.Paths {
					if p.Backend.Service == nil || p.Backend.Service.Name != svc.Name {
						t.Errorf("Ingress backend %+v is not Service %q", p.Backend, svc.Name)
					}
				}
			}
		}
		if pdb != nil {
			metas["PodDisruptionBudget"] = &pdb.ObjectMeta
			if pdb.Spec.Selector == nil || !maps.Equal(pdb.Spec.Selector.MatchLabels, SelectorLabels(as)) {
				t.Errorf("PodDisruptionBudget selector = %v, want %v", pdb.Spec.Selector, SelectorLabels(as))
			}
		}
		want := Labels(as, ComponentServer)
		for what, m := range metas {
			for _, k := range []string{v1alpha1.LabelName, v1alpha1.LabelInstance, v1alpha1.LabelManagedBy, v1alpha1.LabelComponent} {
				if m.Labels[k] != want[k] {
					t.Errorf("%s label %s = %q, want %q", what, k, m.Labels[k], want[k])
				}
			}
			if what != "pod template" && (m.Name != as.Name || m.Namespace != as.Namespace) {
				t.Errorf("%s is %s/%s, want %s/%s", what, m.Namespace, m.Name, as.Namespace, as.Name)
			}
		}

		if !reflect.DeepEqual(as, orig) {
			t.Errorf("building changed the ApplicationServer")
		}
	})
}

// checkBuilt asserts the invariants of the Deployment and the Service.
func checkBuilt(t *testing.T, as *v1alpha1.ApplicationServer, dep *appsv1.Deployment, svc *corev1.Service) {
	t.Helper()
	cs := dep.Spec.Template.Spec.Containers
	if len(cs) != 1 || cs[0].Name != ServerContainerName {
		t.Fatalf("Deployment containers = %d (first %q), want exactly one named %q", len(cs), firstName(cs), ServerContainerName)
	}

	// The selector must select the pods the template makes, or the
	// Deployment is rejected (selector does not match template labels).
	sel := dep.Spec.Selector
	if sel == nil || len(sel.MatchExpressions) != 0 {
		t.Fatalf("Deployment selector = %+v, want matchLabels only", sel)
	}
	for k, v := range sel.MatchLabels {
		if got, ok := dep.Spec.Template.Labels[k]; !ok || got != v {
			t.Errorf("Deployment selector %s=%s not in the pod template's labels %v", k, v, dep.Spec.Template.Labels)
		}
	}
	if !maps.Equal(sel.MatchLabels, SelectorLabels(as)) {
		t.Errorf("Deployment selector = %v, want %v", sel.MatchLabels, SelectorLabels(as))
	}

	if !maps.Equal(svc.Spec.Selector, SelectorLabels(as)) {
		t.Errorf("Service selector = %v, want %v", svc.Spec.Selector, SelectorLabels(as))
	}

	// Every Service port reaches a port of the server container.
	type key struct {
		port  int32
		proto corev1.Protocol
	}
	container := map[key]bool{}
	for _, p := range cs[0].Ports {
		k := key{p.ContainerPort, p.Protocol}
		if container[k] {
			t.Errorf("container port %d/%s declared twice", p.ContainerPort, p.Protocol)
		}
		container[k] = true
	}
	for _, p := range svc.Spec.Ports {
		if p.TargetPort.Type != intstr.Int {
			t.Errorf("Service port %q targets %q by name, want a number", p.Name, p.TargetPort.String())
			continue
		}
		if !container[key{p.TargetPort.IntVal, p.Protocol}] {
			t.Errorf("Service port %q targets %d/%s, which the server container does not declare (%+v)",
				p.Name, p.TargetPort.IntVal, p.Protocol, cs[0].Ports)
		}
	}
	if len(svc.Spec.Ports) == 0 {
		t.Errorf("Service has no ports")
	}
}

func firstName(cs []corev1.Container) string {
	if len(cs) == 0 {
		return ""
	}
	return cs[0].Name
}
