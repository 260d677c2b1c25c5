package resources

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// logShipperCases are the golden cases of the log shipper. Each one's
// collector config is also written to testdata/logshipper/<name>.config.yaml,
// which the shipper's own tests (cmd/appserver-log-shipper) validate with the
// real collector: a config the operator generates always loads.
func logShipperCases() []goldenCase {
	logs := func(paths ...string) *v1alpha1.ApplicationSpec {
		a := &v1alpha1.ApplicationSpec{}
		for _, p := range paths {
			a.Logs = append(a.Logs, v1alpha1.LogPath(p))
		}
		return a
	}
	return []goldenCase{
		// No destination: the records go to the sidecar's stdout.
		{"logshipper-stdout", server("stdout", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.Application = logs("/opt/WebOTX/domains/domain1/logs/server.log")
		})},
		// Plain http, no auth, WebOTX's index, an ${env:...} in an attribute
		// value that must stay literal.
		{"logshipper-es-plain", server("es-plain", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.Application = logs("/var/log/app/app.log")
			as.Spec.Deployment.LogShipper = &v1alpha1.LogShipperSpec{
				Elasticsearch: &v1alpha1.ElasticsearchSpec{
					Host: "elasticsearch.logging", Port: 9200, Index: "webotx",
					TLS: &v1alpha1.ElasticsearchTLS{Enabled: ptr.To(false)},
				},
				ExtraAttributes: map[string]string{"team": "web", "literal": "${env:NOT_EXPANDED}"},
			}
		})},
		// https with a CA from a Secret, basic auth from a Secret, a path
		// prefix (VictoriaLogs), the user's image and resources.
		{"logshipper-es-tls-auth", server("es-tls", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.Application = logs("/opt/WebOTX/domains/domain1/logs/server.log",
				"/opt/WebOTX/domains/domain1/logs/access*.log")
			as.Spec.Deployment.LogShipper = &v1alpha1.LogShipperSpec{
				Image: "registry.example.com/log-shipper:custom",
				Elasticsearch: &v1alpha1.ElasticsearchSpec{
					Host: "logs.example.com", Port: 9428, Path: "/insert/elasticsearch/",
					TLS: &v1alpha1.ElasticsearchTLS{
						Enabled: ptr.To(true), Verification: ptr.To(true),
						CACert: &v1alpha1.CACertSpec{Secret: v1alpha1.SecretKey{Name: "logs-ca", Key: "ca.crt"}},
					},
					Auth: &v1alpha1.ElasticsearchAuth{Enabled: ptr.To(true), SecretName: "logs-auth"},
				},
			}
			as.Spec.Deployment.Resources = &v1alpha1.ContainerResources{LogShipper: &corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("48Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
			}}
		})},
		// Loki ≥ 3's OTLP endpoint with headers from a Secret.
		{"logshipper-otlp-loki", server("otlp-loki", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.Application = logs("/logs/server.log")
			as.Spec.Deployment.LogShipper = &v1alpha1.LogShipperSpec{
				OTLP: &v1alpha1.OTLPSpec{Endpoint: "http://loki.logging:3100/otlp", Protocol: "http/protobuf", HeadersSecret: "loki-headers"},
			}
		})},
		{"logshipper-otlp-grpc", server("otlp-grpc", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.Application = logs("/logs/server.log")
			as.Spec.Deployment.LogShipper = &v1alpha1.LogShipperSpec{
				OTLP: &v1alpha1.OTLPSpec{Endpoint: "https://collector.observability:4317", Protocol: "grpc"},
			}
			as.Spec.Deployment.ReadinessProbe = &v1alpha1.ContainerProbe{LogShipper: &corev1.Probe{
				ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/true"}}},
			}}
		})},
		// The user's multi-line rule; three files in two directories.
		{"logshipper-multiline-dirs", server("multiline", func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.Application = logs("/opt/app/logs/a.log", "/opt/app/logs/b.log", "/var/log/audit/*.log")
			as.Spec.Deployment.LogShipper = &v1alpha1.LogShipperSpec{
				Multiline: &v1alpha1.MultilineSpec{LineStartPattern: `^\d{2}:\d{2}:\d{2} `},
			}
		})},
	}
}

const logShipperConfigDir = "testdata/logshipper"

func TestLogShipperGoldenConfigs(t *testing.T) {
	for _, c := range logShipperCases() {
		t.Run(c.name, func(t *testing.T) {
			got := LogShipperConfig(c.as)
			file := filepath.Join(logShipperConfigDir, strings.TrimPrefix(c.name, "logshipper-")+".config.yaml")
			if *update {
				if err := os.MkdirAll(logShipperConfigDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o600); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("reading golden config (run go test -update): %v", err)
			}
			if string(want) != got {
				t.Errorf("config differs from %s (-want +got); run go test -update if intended:\n%s", file, lineDiff(string(want), got))
			}
		})
	}
}

func TestLogShipperPod(t *testing.T) {
	byName := map[string]*v1alpha1.ApplicationServer{}
	for _, c := range logShipperCases() {
		byName[c.name] = c.as
	}

	t.Run("native sidecar, restricted, read-only mounts", func(t *testing.T) {
		tpl := Deployment(byName["logshipper-multiline-dirs"], goldenOptions).Spec.Template
		if len(tpl.Spec.InitContainers) != 1 {
			t.Fatalf("init containers = %d, want the log shipper", len(tpl.Spec.InitContainers))
		}
		c := tpl.Spec.InitContainers[0]
		if c.Name != LogShipperContainerName || ptr.Deref(c.RestartPolicy, "") != corev1.ContainerRestartPolicyAlways {
			t.Errorf("shipper = %s restartPolicy %v, want %s Always", c.Name, c.RestartPolicy, LogShipperContainerName)
		}
		if c.Image != goldenOptions.LogShipperImage {
			t.Errorf("image = %q, want the LOG_SHIPPER_IMAGE setting %q", c.Image, goldenOptions.LogShipperImage)
		}
		sc := c.SecurityContext
		if !ptr.Deref(sc.ReadOnlyRootFilesystem, false) || !ptr.Deref(sc.RunAsNonRoot, false) ||
			ptr.Deref(sc.AllowPrivilegeEscalation, true) || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
			t.Errorf("security context %+v is not restricted", sc)
		}
		server := tpl.Spec.Containers[0]
		for _, dir := range []string{"/opt/app/logs", "/var/log/audit"} {
			sm := mountAt(server.VolumeMounts, dir)
			lm := mountAt(c.VolumeMounts, dir)
			if sm == nil || lm == nil || sm.Name != lm.Name {
				t.Fatalf("%s: server mount %v, shipper mount %v: want one shared volume", dir, sm, lm)
			}
			if sm.ReadOnly || !lm.ReadOnly {
				t.Errorf("%s: server read-only=%v, shipper read-only=%v; want rw, ro", dir, sm.ReadOnly, lm.ReadOnly)
			}
		}
		if n := len(tpl.Spec.Volumes); n != 4 { // config, offsets, two log directories
			t.Errorf("volumes = %d, want 4", n)
		}
	})

	t.Run("secrets only by reference", func(t *testing.T) {
		as := byName["logshipper-es-tls-auth"]
		cfg := LogShipperConfig(as)
		for _, s := range []string{"${env:ES_USERNAME}", "${env:ES_PASSWORD}", "ca_file: /etc/log-shipper/ca/ca.crt", "https://logs.example.com:9428/insert/elasticsearch"} {
			if !strings.Contains(cfg, s) {
				t.Errorf("config lacks %q:\n%s", s, cfg)
			}
		}
		c := Deployment(as, goldenOptions).Spec.Template.Spec.InitContainers[0]
		refs := map[string]string{}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				refs[e.Name] = e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
			}
		}
		if refs[LogShipperEnvESUser] != "logs-auth/username" || refs[LogShipperEnvESPassword] != "logs-auth/password" {
			t.Errorf("secret env = %v", refs)
		}
		if c.Image != "registry.example.com/log-shipper:custom" {
			t.Errorf("image = %q, want the spec's", c.Image)
		}
	})

	t.Run("literal values are not expanded", func(t *testing.T) {
		cfg := LogShipperConfig(byName["logshipper-es-plain"])
		if !strings.Contains(cfg, "$${env:NOT_EXPANDED}") {
			t.Errorf("the attribute value is not escaped:\n%s", cfg)
		}
	})

	t.Run("a config change changes the pod template", func(t *testing.T) {
		as := byName["logshipper-stdout"].DeepCopy()
		before := Deployment(as, goldenOptions).Spec.Template.Annotations[LogShipperConfigHashAnnotation]
		as.Spec.Deployment.LogShipper = &v1alpha1.LogShipperSpec{ExtraAttributes: map[string]string{"a": "b"}}
		after := Deployment(as, goldenOptions).Spec.Template.Annotations[LogShipperConfigHashAnnotation]
		if before == "" || before == after {
			t.Errorf("config hash %q → %q, want a different non-empty hash", before, after)
		}
	})

	t.Run("no logs, no shipper", func(t *testing.T) {
		as := byName["logshipper-stdout"].DeepCopy()
		as.Spec.Server.Application.Logs = nil
		tpl := Deployment(as, goldenOptions).Spec.Template
		if len(tpl.Spec.InitContainers)+len(tpl.Spec.Volumes)+len(tpl.Spec.Containers[0].VolumeMounts) != 0 || LogShipperConfigMap(as) != nil {
			t.Errorf("turning logs off left %v, %v, %v", tpl.Spec.InitContainers, tpl.Spec.Volumes, tpl.Spec.Containers[0].VolumeMounts)
		}
		if _, ok := tpl.Annotations[LogShipperConfigHashAnnotation]; ok {
			t.Error("the config hash annotation stayed")
		}
	})
}

func mountAt(ms []corev1.VolumeMount, path string) *corev1.VolumeMount {
	for i := range ms {
		if ms[i].MountPath == path {
			return &ms[i]
		}
	}
	return nil
}
