package resources

import (
	"os"
	"slices"
	"strings"
	"testing"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// TestReservedEnvNames keeps three things in step: the names each feature
// adds to the server container (the builders), the Reserved* lists, and the
// CEL rules on ServerSpec that reject them in spec.server.env.
func TestReservedEnvNames(t *testing.T) {
	features := []struct {
		name     string
		reserved []string
		on       func(as *v1alpha1.ApplicationServer)
	}{
		{"sessionReplication", ReservedEnvSessionReplication, func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.SessionReplication = &v1alpha1.SessionReplicationSpec{Enabled: true}
		}},
		{"tracing.jaeger", ReservedEnvJaeger, func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.Tracing = &v1alpha1.TracingSpec{Jaeger: &v1alpha1.JaegerSpec{
				ServiceName: "s", AgentHost: "h", AgentPort: "6831", Endpoint: "http://j", AuthToken: "t",
				AuthSecret: &v1alpha1.SecretName{Name: "auth"}, Propagation: "b3", ReporterLogSpans: "true",
				ReporterMaxQueueSize: "1", ReporterFlushInterval: "1", SamplerType: "const", SamplerParam: "1",
				SamplerManagerHostPort: "h:1", Tags: "a=b"}}
		}},
		{"tracing.otlp", ReservedEnvOTLP, func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.Tracing = &v1alpha1.TracingSpec{OTLP: &v1alpha1.TracingOTLPSpec{
				Endpoint: "http://c:4318", Protocol: "grpc", Sampler: "always_on", SamplerArg: "1",
				HeadersSecret: &v1alpha1.SecretKey{Name: "h", Key: "k"}}}
		}},
		{"performanceAnalyzer", ReservedEnvPerformanceAnalyzer, func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.PerformanceAnalyzer = &v1alpha1.PerformanceAnalyzerSpec{
				FaultVerificationTime: ptr.To[int32](1), SlowDownMonitor: ptr.To(true), MemoryMonitor: ptr.To(true)}
		}},
	}
	base := envNames(server("env", nil))
	rules := crdRules(t)
	for _, f := range features {
		t.Run(f.name, func(t *testing.T) {
			var added []string
			for _, n := range envNames(server("env", f.on)) {
				if !slices.Contains(base, n) {
					added = append(added, n)
				}
			}
			slices.Sort(added)
			want := slices.Sorted(slices.Values(f.reserved))
			if !slices.Equal(added, want) {
				t.Errorf("the builders add %v, the reserved list has %v", added, want)
			}
			var rule string
			for _, r := range rules {
				if strings.Contains(r, "spec.server."+f.name) {
					rule = r
				}
			}
			if rule == "" {
				t.Fatalf("no CEL rule on spec.server names spec.server.%s", f.name)
			}
			for _, n := range f.reserved {
				if !strings.Contains(rule, "'"+n+"'") {
					t.Errorf("the CEL rule for spec.server.%s does not reject %s", f.name, n)
				}
			}
		})
	}
}

func envNames(as *v1alpha1.ApplicationServer) []string {
	var out []string
	for _, e := range Deployment(as, Options{}).Spec.Template.Spec.Containers[0].Env {
		out = append(out, e.Name)
	}
	return out
}

// crdRules returns "rule message" of each x-kubernetes-validations
// entry of spec.server in the generated CRD.
func crdRules(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../config/crd/bases/appserver.dev_applicationservers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Schema struct {
					OpenAPIV3Schema struct {
						Properties map[string]struct {
							Properties map[string]struct {
								Validations []struct {
									Rule    string `json:"rule"`
									Message string `json:"message"`
								} `json:"x-kubernetes-validations"`
							} `json:"properties"`
						} `json:"properties"`
					} `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["server"].Validations {
		out = append(out, v.Rule+" "+v.Message)
	}
	return out
}
