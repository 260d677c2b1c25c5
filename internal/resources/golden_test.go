package resources

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.yaml from the builders' output")

const samplesDir = "../../config/samples"

// goldenCase is one ApplicationServer whose children are compared with
// testdata/<name>.golden.yaml.
type goldenCase struct {
	name string
	as   *v1alpha1.ApplicationServer
}

// loadSample reads a sample from config/samples as the operator would get it
// from a client, except that the API server has not defaulted it: the golden
// files show what the builders do without the schema's defaults.
func loadSample(t testing.TB, file string) *v1alpha1.ApplicationServer {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(samplesDir, file))
	if err != nil {
		t.Fatalf("reading sample: %v", err)
	}
	as := &v1alpha1.ApplicationServer{}
	// Strict: a misspelt field in a sample fails here rather than being
	// silently dropped from the golden output.
	if err := yaml.UnmarshalStrict(raw, as); err != nil {
		t.Fatalf("decoding sample %s: %v", file, err)
	}
	as.Namespace = "default"
	return as
}

// server returns a minimal ApplicationServer (an image, nothing else) changed
// by mutate.
func server(name string, mutate func(as *v1alpha1.ApplicationServer)) *v1alpha1.ApplicationServer {
	as := &v1alpha1.ApplicationServer{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "ApplicationServer"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: v1alpha1.ApplicationServerSpec{
			Deployment: v1alpha1.DeploymentSpec{Image: "registry.example.com/app:1.0"},
		},
	}
	if mutate != nil {
		mutate(as)
	}
	return as
}

func goldenCases(t testing.TB) []goldenCase {
	return append([]goldenCase{
		{"sample-simple", loadSample(t, "appserver_v1alpha1_applicationserver_simple.yaml")},
		{"sample-advanced", loadSample(t, "appserver_v1alpha1_applicationserver_advanced.yaml")},
		// Its podDisruptionBudget leaves out enabled, which means true.
		{"sample-loadbalancer", loadSample(t, "appserver_v1alpha1_applicationserver_loadbalancer.yaml")},

		// Nothing but the image: WebOTX's ports http 8080 and https 8443,
		// one replica, a ClusterIP Service, the restricted security context.
		{"minimal", server("minimal", nil)},

		// The autoscaler owns replicas: the Deployment leaves the field out
		// even though spec.deployment.replicas is set.
		{"hpa-enabled", server("hpa-enabled", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Deployment.Replicas = ptr.To[int32](3)
			as.Spec.HorizontalPodAutoscaler = &v1alpha1.HorizontalPodAutoscalerSpec{
				Enabled:         true,
				MinReplicas:     ptr.To[int32](2),
				MaxReplicas:     ptr.To[int32](6),
				ResourceMetrics: &v1alpha1.ResourceMetrics{CPUAverageUtilization: ptr.To[int32](75)},
			}
		})},

		// A disabled autoscaler is no autoscaler: no HPA, replicas set.
		{"hpa-disabled", server("hpa-disabled", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Deployment.Replicas = ptr.To[int32](3)
			as.Spec.HorizontalPodAutoscaler = &v1alpha1.HorizontalPodAutoscalerSpec{
				Enabled:         false,
				MaxReplicas:     ptr.To[int32](6),
				ResourceMetrics: &v1alpha1.ResourceMetrics{CPUAverageUtilization: ptr.To[int32](75)},
			}
		})},

		// Only enabled: path /, pathType Prefix, service port http, all hosts,
		// the cluster's default IngressClass.
		{"ingress-defaults", server("ingress-defaults", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Ingress = &v1alpha1.IngressSpec{Enabled: true}
		})},

		{"pdb-max-unavailable-percent", server("pdb-percent", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Deployment.Replicas = ptr.To[int32](4)
			as.Spec.PodDisruptionBudget = &v1alpha1.PodDisruptionBudgetSpec{
				MaxUnavailable: ptr.To(intstr.FromString("25%")),
			}
		})},

		// Three MicroProfile Health probes over HTTPS on 9443.
		{"healthcheck-https", server("healthcheck-https", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Service.Ports = []v1alpha1.ServicePort{
				{Name: "http", Port: 8080},
				{Name: "https", Port: 9443},
			}
			as.Spec.Server.HealthCheck = &v1alpha1.HealthCheckSpec{Scheme: "https", Port: 9443}
		})},

		// Explicit readiness and liveness probes win over healthCheck; the
		// startup probe, not given, still comes from healthCheck.
		{"explicit-probes", server("explicit-probes", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.HealthCheck = &v1alpha1.HealthCheckSpec{Scheme: "http", Port: 8080}
			as.Spec.Deployment.ReadinessProbe = &v1alpha1.ContainerProbe{Server: &corev1.Probe{
				ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("http")}},
				PeriodSeconds: 5,
			}}
			as.Spec.Deployment.LivenessProbe = &v1alpha1.ContainerProbe{Server: &corev1.Probe{
				ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{
					Command: []string{"/opt/server/bin/check-alive"},
				}},
				InitialDelaySeconds: 60,
				TimeoutSeconds:      3,
			}}
		})},

		// The user's security contexts replace the restricted defaults as a
		// whole (no merging).
		{"security-context", server("security-context", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Deployment.SecurityContext = &v1alpha1.SecurityContextSpec{
				Pod: &corev1.PodSecurityContext{
					RunAsUser:  ptr.To[int64](1001),
					RunAsGroup: ptr.To[int64](1001),
					FSGroup:    ptr.To[int64](1001),
				},
				Server: &corev1.SecurityContext{
					ReadOnlyRootFilesystem: ptr.To(true),
					Capabilities: &corev1.Capabilities{
						Drop: []corev1.Capability{"ALL"},
						Add:  []corev1.Capability{"NET_BIND_SERVICE"},
					},
				},
			}
		})},

		// The user's TZ wins over deployment.timeZone; no second TZ.
		{"timezone-and-env-tz", server("timezone", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Deployment.TimeZone = "Asia/Tokyo"
			as.Spec.Server.Env = []corev1.EnvVar{
				{Name: "JAVA_OPTS", Value: "-Xmx512m"},
				{Name: "TZ", Value: "UTC"},
			}
		})},

		// Two service ports on one container port: one container port, named
		// after the first service port.
		{"shared-target-port", server("shared-port", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Service.Ports = []v1alpha1.ServicePort{
				{Name: "http", Port: 80, TargetPort: ptr.To(intstr.FromInt32(8080))},
				{Name: "http-alt", Port: 8080},
			}
		})},

		// Common labels may not replace the operator's app.kubernetes.io/*
		// labels: the selectors would stop matching.
		{"common-labels-override", server("labels", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Common.Labels = map[string]v1alpha1.LabelValue{
				v1alpha1.LabelInstance:  "someone-else",
				v1alpha1.LabelName:      "not-appserver",
				v1alpha1.LabelManagedBy: "helm",
				v1alpha1.LabelComponent: "database",
				"team":                  "web",
			}
			as.Spec.Common.Annotations = map[string]string{"example.com/owner": "team-web"}
		})},

		// A constraint without labelSelector spreads this server's pods; one
		// with a labelSelector keeps it.
		{"topology-spread", server("spread", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Deployment.Replicas = ptr.To[int32](3)
			as.Spec.Deployment.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{
				{
					MaxSkew:           1,
					TopologyKey:       "topology.kubernetes.io/zone",
					WhenUnsatisfiable: corev1.DoNotSchedule,
				},
				{
					MaxSkew:           2,
					TopologyKey:       "kubernetes.io/hostname",
					WhenUnsatisfiable: corev1.ScheduleAnyway,
					LabelSelector:     &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "web"}},
				},
			}
		})},

		// Overridden health paths; the startup probe asks the liveness path
		// with a 15-minute budget (90 x 10 s).
		{"healthcheck-paths", server("healthcheck-paths", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.HealthCheck = &v1alpha1.HealthCheckSpec{
				Scheme: "http", Port: 8080,
				ReadinessPath: "/q/health/ready", LivenessPath: "/q/health/live",
				StartupTimeoutSeconds: ptr.To[int32](900),
			}
		})},

		// A targetPort by name reuses the named port's container port; an
		// appProtocol is passed on; a nodePort below 30000 is the cluster's
		// to judge.
		{"ports-named-target", server("named-target", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Service.Type = corev1.ServiceTypeNodePort
			as.Spec.Service.Ports = []v1alpha1.ServicePort{
				{Name: "http", Port: 8080, AppProtocol: ptr.To("http"), NodePort: ptr.To[int32](8080)},
				{Name: "web", Port: 80, TargetPort: ptr.To(intstr.FromString("http"))},
				{Name: "https", Port: 443, TargetPort: ptr.To(intstr.FromInt32(8443)), AppProtocol: ptr.To("https")},
			}
		})},

		// Session replication with KUBE_PING: a peers Service, and a
		// ServiceAccount the pods run as, a Role to list pods and its
		// RoleBinding.
		{"session-replication", server("shop", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Deployment.Replicas = ptr.To[int32](3)
			as.Spec.Server.SessionReplication = &v1alpha1.SessionReplicationSpec{Enabled: true, UseJmxAgent: true}
		})},

		// The user's ServiceAccount: no ServiceAccount is made, the
		// RoleBinding binds theirs; another cluster port.
		{"session-replication-own-sa", server("shop", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Deployment.ServiceAccountName = "shop-runner"
			as.Spec.Server.SessionReplication = &v1alpha1.SessionReplicationSpec{
				Enabled: true, UseAllProcessGroups: true, Discovery: v1alpha1.DiscoveryKubernetes, Port: 7900,
			}
		})},

		// DNS_PING needs no API access: only the peers Service. The user's
		// JGROUPS_DNS_QUERY wins over the operator's.
		{"session-replication-dns", server("shop", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.SessionReplication = &v1alpha1.SessionReplicationSpec{Enabled: true, Discovery: v1alpha1.DiscoveryDNS}
			as.Spec.Server.Env = []corev1.EnvVar{{Name: "JGROUPS_DNS_QUERY", Value: "shop-peers.default.svc.example.org"}}
		})},

		// Disabled (WebOTX's CRs always carry the block): nothing at all.
		{"session-replication-disabled", server("shop", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.SessionReplication = &v1alpha1.SessionReplicationSpec{Enabled: false, UseJmxAgent: true}
		})},

		// One key per file, read-only through subPath; Secret files 0440;
		// WebOTX's replacement volume and a generic PVC.
		{"storage", server("storage", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.FileMounts = &v1alpha1.FileMountsSpec{
				ConfigMaps: []v1alpha1.FileMount{
					{Name: "shop-config", Key: "domain.xml", Path: "/opt/WebOTX/domains/domain1/config/domain.xml"},
					{Name: "shop-config", Key: "logging.properties", Path: "/opt/app/logging.properties"},
				},
				Secrets: []v1alpha1.FileMount{{Name: "shop-tls", Key: "keystore.p12", Path: "/opt/app/keystore.p12"}},
			}
			as.Spec.Server.Replacement = &v1alpha1.ReplacementSpec{PersistentVolumeClaimName: "shop-apps"}
			as.Spec.Server.Persistence = &v1alpha1.PersistenceSpec{ClaimName: "shop-data", MountPath: "/var/lib/shop", SubPath: "prod", ReadOnly: true}
		})},

		// WebOTX's 14 Jaeger keys as JAEGER_*, and OTLP as OTEL_* with the
		// pod's name and namespace in the resource attributes.
		{"tracing", server("tracing", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.Tracing = &v1alpha1.TracingSpec{
				Jaeger: &v1alpha1.JaegerSpec{
					ServiceName: "shop", AgentHost: "jaeger-agent", AgentPort: "6831",
					Endpoint: "http://jaeger-collector:14268/api/traces", AuthToken: "t0ken",
					AuthSecret: &v1alpha1.SecretName{Name: "jaeger-auth"}, Propagation: "jaeger,w3c",
					ReporterLogSpans: "true", ReporterMaxQueueSize: "100", ReporterFlushInterval: "1000",
					SamplerType: "probabilistic", SamplerParam: "0.5", SamplerManagerHostPort: "jaeger-agent:5778",
					Tags: "env=prod,team=web",
				},
				OTLP: &v1alpha1.TracingOTLPSpec{
					Endpoint: "http://collector:4318", Protocol: "http/protobuf",
					Sampler: "parentbased_traceidratio", SamplerArg: "0.25",
					HeadersSecret:      &v1alpha1.SecretKey{Name: "otlp-auth", Key: "headers"},
					ResourceAttributes: map[string]string{"deployment.environment": "prod", "service.version": "1.0"},
				},
			}
		})},

		// WebOTX's performance analyzer as OTX_* variables.
		{"performance-analyzer", server("perf", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.PerformanceAnalyzer = &v1alpha1.PerformanceAnalyzerSpec{
				FaultVerificationTime: ptr.To[int32](30),
				SlowDownMonitor:       ptr.To(true),
				MemoryMonitor:         ptr.To(false),
			}
		})},
	}, append(logShipperCases(), append(lifecycleGoldenCases(), optionalAPIGoldenCases()...)...)...)
}

// goldenOptions are the operator settings of every golden case: an operator
// image (for the wait-for init container), a log-shipper image, and the
// operator's namespace (for the NetworkPolicy's metering rule).
var goldenOptions = Options{
	OperatorImage:     "ghcr.io/appserver-operator/appserver-operator:v0.0.0-golden",
	LogShipperImage:   "ghcr.io/appserver-operator/appserver-log-shipper:v0.0.0-golden",
	OperatorNamespace: "appserver-system",
}

// children builds every child of as, in apply order, leaving out those the
// builders do not create.
func children(as *v1alpha1.ApplicationServer) []any {
	out := []any{Deployment(as, goldenOptions), Service(as)}
	if h := HorizontalPodAutoscaler(as); h != nil {
		out = append(out, h)
	}
	if i := Ingress(as); i != nil {
		out = append(out, i)
	}
	if p := PodDisruptionBudget(as); p != nil {
		out = append(out, p)
	}
	if c := LogShipperConfigMap(as); c != nil {
		out = append(out, c)
	}
	if n := NetworkPolicy(as, goldenOptions); n != nil {
		out = append(out, n)
	}
	for _, o := range []any{PeersService(as), ServiceAccount(as), PeersRole(as), PeersRoleBinding(as), ServiceMonitor(as), Route(as)} {
		if !isNil(o) {
			out = append(out, o)
		}
	}
	return out
}

// isNil reports whether a builder returned a typed nil pointer.
func isNil(o any) bool {
	v := reflect.ValueOf(o)
	return o == nil || (v.Kind() == reflect.Pointer && v.IsNil())
}

// render writes the children of as as one multi-document YAML stream.
func render(t *testing.T, as *v1alpha1.ApplicationServer) []byte {
	t.Helper()
	var b bytes.Buffer
	for i, obj := range children(as) {
		y, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatalf("marshalling %T: %v", obj, err)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	return b.Bytes()
}

func goldenPath(name string) string { return filepath.Join("testdata", name+".golden.yaml") }

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			got := render(t, tc.as)
			path := goldenPath(tc.name)
			if *update {
				if err := os.MkdirAll("testdata", 0o750); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o600); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("reading golden file (run go test ./internal/resources/ -run TestGolden -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("children of %s differ from %s (-want +got); if the change is intended, run\n"+
					"  go test ./internal/resources/ -run TestGolden -update\nand review the diff:\n%s",
					tc.name, path, lineDiff(string(want), string(got)))
			}
		})
	}
}

// TestGoldenFilesHaveCases catches golden files left behind by a renamed or
// removed case, which would otherwise look like coverage.
func TestGoldenFilesHaveCases(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tc := range goldenCases(t) {
		if slices.Contains(names, tc.name) {
			t.Errorf("two golden cases named %q", tc.name)
		}
		names = append(names, tc.name)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".golden.yaml")
		if !slices.Contains(names, name) {
			t.Errorf("%s has no golden case: delete it or add the case", f)
		}
	}
}

// TestGoldenCasesShape checks what the golden cases are meant to show, so
// that a golden file regenerated with -update cannot silently lose it.
func TestGoldenCasesShape(t *testing.T) {
	byName := map[string]*v1alpha1.ApplicationServer{}
	for _, tc := range goldenCases(t) {
		byName[tc.name] = tc.as
	}
	kinds := func(as *v1alpha1.ApplicationServer) []string {
		var out []string
		for _, c := range children(as) {
			out = append(out, fmt.Sprintf("%T", c))
		}
		return out
	}

	t.Run("minimal", func(t *testing.T) {
		as := byName["minimal"]
		dep, svc := Deployment(as, Options{}), Service(as)
		if got := ptr.Deref(dep.Spec.Replicas, -1); got != 1 {
			t.Errorf("replicas = %d, want 1", got)
		}
		want := []corev1.ContainerPort{
			{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
			{Name: "https", ContainerPort: 8443, Protocol: corev1.ProtocolTCP},
		}
		if got := dep.Spec.Template.Spec.Containers[0].Ports; !slices.Equal(got, want) {
			t.Errorf("container ports = %+v, want %+v", got, want)
		}
		if svc.Spec.Type != corev1.ServiceTypeClusterIP || len(svc.Spec.Ports) != 2 {
			t.Errorf("service = %s with %d ports, want ClusterIP with 2", svc.Spec.Type, len(svc.Spec.Ports))
		}
		if got := kinds(as); len(got) != 2 {
			t.Errorf("children = %v, want only Deployment and Service", got)
		}
		psc := dep.Spec.Template.Spec.SecurityContext
		csc := dep.Spec.Template.Spec.Containers[0].SecurityContext
		if !ptr.Deref(psc.RunAsNonRoot, false) || psc.SeccompProfile == nil ||
			psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("pod security context %+v is not restricted", psc)
		}
		if ptr.Deref(csc.AllowPrivilegeEscalation, true) || !ptr.Deref(csc.RunAsNonRoot, false) ||
			csc.Capabilities == nil || !slices.Equal(csc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
			t.Errorf("container security context %+v is not restricted", csc)
		}
	})
	t.Run("hpa-enabled", func(t *testing.T) {
		as := byName["hpa-enabled"]
		if r := Deployment(as, Options{}).Spec.Replicas; r != nil {
			t.Errorf("replicas = %d, want unset while the autoscaler is enabled", *r)
		}
		h := HorizontalPodAutoscaler(as)
		if h == nil {
			t.Fatal("no HorizontalPodAutoscaler")
		}
		if h.Spec.ScaleTargetRef != (autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: as.Name}) {
			t.Errorf("scaleTargetRef = %+v", h.Spec.ScaleTargetRef)
		}
	})
	t.Run("hpa-disabled", func(t *testing.T) {
		as := byName["hpa-disabled"]
		if HorizontalPodAutoscaler(as) != nil {
			t.Error("HorizontalPodAutoscaler built although disabled")
		}
		if got := ptr.Deref(Deployment(as, Options{}).Spec.Replicas, -1); got != 3 {
			t.Errorf("replicas = %d, want 3", got)
		}
	})
	t.Run("timezone-and-env-tz", func(t *testing.T) {
		var tz []string
		for _, e := range Deployment(byName["timezone-and-env-tz"], Options{}).Spec.Template.Spec.Containers[0].Env {
			if e.Name == "TZ" {
				tz = append(tz, e.Value)
			}
		}
		if !slices.Equal(tz, []string{"UTC"}) {
			t.Errorf("TZ values = %q, want only the user's [UTC]", tz)
		}
	})
	t.Run("shared-target-port", func(t *testing.T) {
		as := byName["shared-target-port"]
		want := []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}
		if got := Deployment(as, Options{}).Spec.Template.Spec.Containers[0].Ports; !slices.Equal(got, want) {
			t.Errorf("container ports = %+v, want %+v", got, want)
		}
		if got := len(Service(as).Spec.Ports); got != 2 {
			t.Errorf("service has %d ports, want 2", got)
		}
	})
	t.Run("session-replication-dns", func(t *testing.T) {
		var got []string
		for _, e := range Deployment(byName["session-replication-dns"], Options{}).Spec.Template.Spec.Containers[0].Env {
			if e.Name == EnvJGroupsDNSQuery {
				got = append(got, e.Value)
			}
		}
		if !slices.Equal(got, []string{"shop-peers.default.svc.example.org"}) {
			t.Errorf("JGROUPS_DNS_QUERY values = %q, want only the user's", got)
		}
		if kinds := kinds(byName["session-replication-dns"]); len(kinds) != 3 {
			t.Errorf("children = %v, want Deployment, Service and the peers Service", kinds)
		}
	})
	t.Run("topology-spread", func(t *testing.T) {
		c := Deployment(byName["topology-spread"], Options{}).Spec.Template.Spec.TopologySpreadConstraints
		if len(c) != 2 || c[0].LabelSelector == nil || c[1].LabelSelector == nil {
			t.Fatalf("constraints = %+v", c)
		}
		if got, want := c[0].LabelSelector.MatchLabels, SelectorLabels(byName["topology-spread"]); !maps.Equal(got, want) {
			t.Errorf("defaulted labelSelector = %v, want %v", got, want)
		}
		if got := c[1].LabelSelector.MatchLabels; !maps.Equal(got, map[string]string{"tier": "web"}) {
			t.Errorf("explicit labelSelector replaced: %v", got)
		}
	})
}

// lineDiff is a small unified-style line diff (the module does not depend on
// go-cmp): "-" lines are only in want, "+" lines only in got, with two lines
// of context around each change.
func lineDiff(want, got string) string {
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	// lcs[i][j] is the length of the longest common subsequence of a[i:], b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
		pos  int // 1-based line number in want
	}
	var lines []line
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			lines = append(lines, line{' ', a[i], i + 1})
			i++
			j++
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			lines = append(lines, line{'-', a[i], i + 1})
			i++
		default:
			lines = append(lines, line{'+', b[j], i + 1})
			j++
		}
	}
	const context = 2
	var out strings.Builder
	last := -1
	for k, l := range lines {
		near := false
		for d := max(0, k-context); d <= min(len(lines)-1, k+context); d++ {
			if lines[d].op != ' ' {
				near = true
				break
			}
		}
		if !near {
			continue
		}
		if last < 0 || k != last+1 {
			fmt.Fprintf(&out, "@@ want line %d\n", l.pos)
		}
		fmt.Fprintf(&out, "%c %s\n", l.op, l.text)
		last = k
	}
	return out.String()
}
