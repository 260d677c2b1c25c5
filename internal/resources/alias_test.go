package resources

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// fullServer sets every slice, map and pointer of the spec the builders read,
// so that an aliasing builder has something to alias.
func fullServer(t testing.TB) *v1alpha1.ApplicationServer {
	as := loadSample(t, "appserver_v1alpha1_applicationserver_advanced.yaml")
	as.Spec.Deployment.Replicas = ptr.To[int32](2)
	as.Spec.Deployment.StartupProbe = &v1alpha1.ContainerProbe{Server: &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/started", Port: intstr.FromInt32(8080)}},
	}}
	as.Spec.Deployment.TopologySpreadConstraints = append(as.Spec.Deployment.TopologySpreadConstraints,
		corev1.TopologySpreadConstraint{
			MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.DoNotSchedule,
			LabelSelector:  &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "web"}},
			MatchLabelKeys: []string{"pod-template-hash"},
		})
	as.Spec.Service.LoadBalancerSourceRanges = []string{"203.0.113.0/24"}
	as.Spec.HorizontalPodAutoscaler.ResourceMetrics.MemoryAverageUtilization = ptr.To[int32](80)
	as.Spec.HorizontalPodAutoscaler.ResourceMetrics.MemoryAverageValue = nil
	as.Spec.PodDisruptionBudget.MinAvailable = nil
	as.Spec.PodDisruptionBudget.MaxUnavailable = ptr.To(intstr.FromString("25%"))
	return as
}

// knownAliasedPointers are output fields that today share a pointer with the
// input (the builder copies the pointer, not the value). They are reported as
// a builder bug; each entry must be removed once its builder copies the value
// (the test fails on a stale entry).
var knownAliasedPointers = []string{}

// TestBuildersDoNotAliasInput checks that no map, slice or pointer of a built
// object shares memory with the ApplicationServer it was built from: the
// reconciler (and anyone else) may change a built object without changing the
// cached ApplicationServer.
func TestBuildersDoNotAliasInput(t *testing.T) {
	cases := []goldenCase{{"full", fullServer(t)}}
	cases = append(cases, goldenCases(t)...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := newMemory()
			in.collect(reflect.ValueOf(tc.as))
			var pointers []string
			for _, obj := range children(tc.as) {
				kind := reflect.TypeOf(obj).Elem().Name()
				for _, s := range in.shared(reflect.ValueOf(obj), kind) {
					if s.kind == reflect.Pointer {
						pointers = append(pointers, s.path)
						continue
					}
					t.Errorf("%s (a %s) shares memory with the ApplicationServer", s.path, s.kind)
				}
			}
			for _, p := range pointers {
				if !slices.Contains(knownAliasedPointers, p) {
					t.Errorf("%s (a pointer) shares memory with the ApplicationServer", p)
				}
			}
			if tc.name == "full" {
				for _, p := range knownAliasedPointers {
					if !slices.Contains(pointers, p) {
						t.Errorf("%s no longer aliases the input: remove it from knownAliasedPointers", p)
					}
				}
			}
		})
	}
}

// TestMutatingOutputKeepsInput is the behaviour the aliasing check protects:
// changing the built objects leaves the ApplicationServer as it was.
func TestMutatingOutputKeepsInput(t *testing.T) {
	as := fullServer(t)
	orig := as.DeepCopy()

	dep, svc := Deployment(as, Options{}), Service(as)
	hpa, ing, pdb := HorizontalPodAutoscaler(as), Ingress(as), PodDisruptionBudget(as)

	dep.Labels["tier"] = "mutated"
	dep.Annotations["example.com/owner"] = "mutated"
	dep.Spec.Selector.MatchLabels["mutated"] = "yes"
	dep.Spec.Strategy.RollingUpdate.MaxSurge.IntVal = 99
	pod := &dep.Spec.Template
	pod.Labels["tier"] = "mutated"
	pod.Annotations["example.com/scrape-logs"] = "mutated"
	ps := &pod.Spec
	ps.ImagePullSecrets[0].Name = "mutated"
	ps.HostAliases[0].Hostnames[0] = "mutated"
	ps.NodeSelector["kubernetes.io/os"] = "mutated"
	ps.Tolerations[0].Value = "mutated"
	ps.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].Weight = 1
	ps.TopologySpreadConstraints[0].MaxSkew = 99
	ps.TopologySpreadConstraints[1].LabelSelector.MatchLabels["tier"] = "mutated"
	ps.TopologySpreadConstraints[1].MatchLabelKeys[0] = "mutated"
	ps.SecurityContext.RunAsUser = ptr.To[int64](0)
	ps.DNSConfig.Options[0].Name = "mutated"
	c := &ps.Containers[0]
	c.Env[0].Value = "mutated"
	c.Env[1].ValueFrom.FieldRef.FieldPath = "mutated"
	c.EnvFrom[0].ConfigMapRef.Name = "mutated"
	c.Ports[0].Name = "mutated"
	c.Resources.Limits[corev1.ResourceCPU] = c.Resources.Requests[corev1.ResourceMemory]
	c.ReadinessProbe.HTTPGet.Path = "/mutated"
	c.LivenessProbe.PeriodSeconds = 99
	c.StartupProbe.HTTPGet.Path = "/mutated"
	c.SecurityContext.Capabilities.Drop[0] = "mutated"

	svc.Annotations["example.com/exposed-by"] = "mutated"
	svc.Spec.Selector["mutated"] = "yes"
	svc.Spec.ExternalIPs[0] = "mutated"
	svc.Spec.LoadBalancerSourceRanges[0] = "mutated"
	*svc.Spec.SessionAffinityConfig.ClientIP.TimeoutSeconds = 1
	svc.Spec.Ports[0].Name = "mutated"

	*hpa.Spec.Behavior.ScaleDown.StabilizationWindowSeconds = 1
	hpa.Spec.Behavior.ScaleDown.Policies[0].Value = 99
	hpa.Spec.Metrics[2].Pods.Metric.Name = "mutated"

	ing.Annotations["nginx.ingress.kubernetes.io/affinity"] = "mutated"
	ing.Spec.TLS[0].Hosts[0] = "mutated"
	ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port.Name = "mutated"

	pdb.Spec.MaxUnavailable.StrVal = "99%"
	pdb.Spec.Selector.MatchLabels["mutated"] = "yes"

	if !reflect.DeepEqual(as, orig) {
		t.Errorf("mutating the built objects changed the ApplicationServer")
	}
}

// memory records the memory regions (pointees, slice backing arrays, maps) an
// object's exported fields reach.
type memory struct {
	regions []region
	maps    map[uintptr]bool
}

type region struct{ start, end uintptr }

type sharing struct {
	path string
	kind reflect.Kind
}

func newMemory() *memory { return &memory{maps: map[uintptr]bool{}} }

func (m *memory) collect(v reflect.Value) {
	walk(v, "", func(v reflect.Value, _ string) bool {
		switch v.Kind() {
		case reflect.Pointer:
			m.regions = append(m.regions, region{v.Pointer(), v.Pointer() + max(v.Type().Elem().Size(), 1)})
		case reflect.Slice:
			m.regions = append(m.regions, region{v.Pointer(), v.Pointer() + max(uintptr(v.Cap())*v.Type().Elem().Size(), 1)})
		case reflect.Map:
			m.maps[v.Pointer()] = true
		default:
		}
		return true
	})
}

func (m *memory) contains(p uintptr) bool {
	for _, r := range m.regions {
		if p >= r.start && p < r.end {
			return true
		}
	}
	return false
}

// shared lists the maps, slices and pointers reachable from v that point into
// the recorded memory; what is reached through a shared one is not listed.
func (m *memory) shared(v reflect.Value, root string) []sharing {
	var out []sharing
	walk(v, root, func(v reflect.Value, path string) bool {
		var found bool
		switch v.Kind() {
		case reflect.Pointer:
			found = m.contains(v.Pointer())
		case reflect.Slice:
			found = v.Cap() > 0 && m.contains(v.Pointer())
		case reflect.Map:
			found = m.maps[v.Pointer()]
		default:
		}
		if found {
			out = append(out, sharing{path, v.Kind()})
		}
		return !found
	})
	return out
}

// walk calls visit on every non-nil pointer, slice and map reachable from v
// through exported fields, with its Go path; it does not descend into one for
// which visit returns false.
func walk(v reflect.Value, path string, visit func(reflect.Value, string) bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if visit(v, path) {
			walk(v.Elem(), path, visit)
		}
	case reflect.Interface:
		if !v.IsNil() {
			walk(v.Elem(), path, visit)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			p := path + "." + f.Name
			if f.Anonymous { // TypeMeta, ObjectMeta: fields read as the outer type's
				p = path
			}
			walk(v.Field(i), p, visit)
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		if !visit(v, path) {
			return
		}
		for i := range v.Len() {
			walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i), visit)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		if !visit(v, path) {
			return
		}
		iter := v.MapRange()
		for iter.Next() {
			walk(iter.Value(), fmt.Sprintf("%s[%v]", path, iter.Key()), visit)
		}
	default:
	}
}

// TestMemoryFindsSharing checks the checker: an object built by copying maps,
// slices, sub-slices and pointers is caught, a deep copy is not.
func TestMemoryFindsSharing(t *testing.T) {
	as := fullServer(t)
	in := newMemory()
	in.collect(reflect.ValueOf(as))

	d := as.Spec.Deployment
	aliased := &corev1.PodSpec{
		NodeSelector:                 d.NodeSelector,                                                // same map
		Tolerations:                  d.Tolerations[:1],                                             // same array
		TopologySpreadConstraints:    d.TopologySpreadConstraints[1:],                               // inside the array
		AutomountServiceAccountToken: d.AutomountServiceAccountToken,                                // same pointer
		Affinity:                     &corev1.Affinity{PodAntiAffinity: d.Affinity.PodAntiAffinity}, // nested
		Containers: []corev1.Container{{
			Env:   as.Spec.Server.Env,
			Ports: []corev1.ContainerPort{{Name: "fresh"}},
		}},
		ReadinessGates: nil,
	}
	var got []string
	for _, s := range in.shared(reflect.ValueOf(aliased), "PodSpec") {
		got = append(got, s.path)
	}
	want := []string{
		"PodSpec.AutomountServiceAccountToken",
		"PodSpec.Affinity.PodAntiAffinity",
		"PodSpec.Containers[0].Env",
		"PodSpec.NodeSelector",
		"PodSpec.Tolerations",
		"PodSpec.TopologySpreadConstraints",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("shared = %q\nwant %q", got, want)
	}

	if s := in.shared(reflect.ValueOf(as.DeepCopy()), "copy"); len(s) != 0 {
		t.Errorf("a deep copy shares %v", s)
	}
}
