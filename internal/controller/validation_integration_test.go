//go:build integration

package controller_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// base is a valid minimal object; each case below breaks one thing.
func base(name string) map[string]any {
	return map[string]any{
		"apiVersion": "appserver.dev/v1alpha1",
		"kind":       "ApplicationServer",
		"metadata":   map[string]any{"name": name},
		"spec": map[string]any{
			"deployment": map[string]any{"image": "example.com/app:1"},
		},
	}
}

// set puts value at a dotted path, creating maps on the way.
func set(obj map[string]any, path string, value any) {
	parts := strings.Split(path, ".")
	m := obj
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = value
}

func del(obj map[string]any, path string) {
	parts := strings.Split(path, ".")
	m := obj
	for _, p := range parts[:len(parts)-1] {
		m = m[p].(map[string]any)
	}
	delete(m, parts[len(parts)-1])
}

func port(name string, p int, extra ...any) map[string]any {
	m := map[string]any{"name": name, "port": p}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return m
}

// admissionCase is one object changed from base, and the substrings the API
// server's error must contain, the field's name among them (none: it must
// be admitted).
type admissionCase struct {
	name   string
	mutate func(o map[string]any)
	want   []string
}

// runAdmissionCases dry-run creates each case's object: the API server must
// reject it with an error holding every wanted substring, or admit it when
// none is wanted. Every admission table runs through it.
func runAdmissionCases(t *testing.T, cases []admissionCase) {
	t.Helper()
	ns := newNamespace(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := base("v")
			tc.mutate(o)
			u := &unstructured.Unstructured{Object: o}
			u.SetNamespace(ns)
			err := k8s.Create(context.Background(), u, client.DryRunAll)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("valid object rejected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("the API server accepted an invalid object: %v", o["spec"])
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not name %q:\n%v", w, err)
				}
			}
		})
	}
}

func invalid(cases []admissionCase) int {
	n := 0
	for _, c := range cases {
		if len(c.want) > 0 {
			n++
		}
	}
	return n
}

func TestAdmissionRejectsInvalidObjects(t *testing.T) {
	cases := []admissionCase{
		{"image missing", func(o map[string]any) { del(o, "spec.deployment.image") }, []string{"spec.deployment.image", "Required"}},
		{"image empty", func(o map[string]any) { set(o, "spec.deployment.image", "") }, []string{"spec.deployment.image"}},
		{"deployment missing", func(o map[string]any) { del(o, "spec.deployment") }, []string{"spec.deployment", "Required"}},
		{"replicas negative", func(o map[string]any) { set(o, "spec.deployment.replicas", -1) }, []string{"spec.deployment.replicas", "greater than or equal to 0"}},
		{"port zero", func(o map[string]any) { set(o, "spec.service.ports", []any{port("http", 0)}) }, []string{"spec.service.ports[0].port", "greater than or equal to 1"}},
		{"port too high", func(o map[string]any) { set(o, "spec.service.ports", []any{port("http", 70000)}) }, []string{"spec.service.ports[0].port", "less than or equal to 65535"}},
		{"targetPort too high", func(o map[string]any) {
			set(o, "spec.service.ports", []any{port("http", 80, "targetPort", 65536)})
		}, []string{"spec.service.ports[0].targetPort"}},
		{"duplicate port names", func(o map[string]any) {
			set(o, "spec.service.ports", []any{port("http", 8080), port("http", 8081)})
		}, []string{"spec.service.ports", "name"}},
		{"port name invalid", func(o map[string]any) { set(o, "spec.service.ports", []any{port("HTTP_1", 8080)}) }, []string{"spec.service.ports[0].name"}},
		{"no ports", func(o map[string]any) { set(o, "spec.service.ports", []any{}) }, []string{"spec.service.ports"}},
		{"nodePort with ClusterIP", func(o map[string]any) {
			set(o, "spec.service.ports", []any{port("http", 8080, "nodePort", 30080)})
		}, []string{"spec.service.ports[].nodePort is only allowed when spec.service.type is NodePort or LoadBalancer"}},
		{"nodePort out of range", func(o map[string]any) {
			set(o, "spec.service.type", "NodePort")
			set(o, "spec.service.ports", []any{port("http", 8080, "nodePort", 70000)})
		}, []string{"spec.service.ports[0].nodePort", "less than or equal to 65535"}},
		{"externalTrafficPolicy with ClusterIP", func(o map[string]any) {
			set(o, "spec.service.externalTrafficPolicy", "Local")
		}, []string{"spec.service.externalTrafficPolicy is only allowed when spec.service.type is NodePort or LoadBalancer"}},
		{"loadBalancerIP with NodePort", func(o map[string]any) {
			set(o, "spec.service.type", "NodePort")
			set(o, "spec.service.loadBalancerIP", "192.0.2.1")
		}, []string{"spec.service.loadBalancerIP"}},
		{"unknown service type", func(o map[string]any) { set(o, "spec.service.type", "ExternalName") }, []string{"spec.service.type", "Unsupported value"}},
		{"sessionAffinityConfig without ClientIP", func(o map[string]any) {
			set(o, "spec.service.sessionAffinityConfig", map[string]any{"clientIP": map[string]any{"timeoutSeconds": 10}})
		}, []string{"spec.service.sessionAffinityConfig is only allowed when spec.service.sessionAffinity is ClientIP"}},
		{"minReplicas greater than maxReplicas", func(o map[string]any) {
			set(o, "spec.horizontalPodAutoscaler", map[string]any{"enabled": true, "minReplicas": 5, "maxReplicas": 2,
				"resourceMetrics": map[string]any{"cpuAverageUtilization": 50}})
		}, []string{"spec.horizontalPodAutoscaler.minReplicas must be less than or equal to maxReplicas"}},
		{"minReplicas zero", func(o map[string]any) {
			set(o, "spec.horizontalPodAutoscaler", map[string]any{"enabled": true, "minReplicas": 0, "maxReplicas": 2,
				"resourceMetrics": map[string]any{"cpuAverageUtilization": 50}})
		}, []string{"spec.horizontalPodAutoscaler.minReplicas", "greater than or equal to 1"}},
		{"hpa without metric", func(o map[string]any) {
			set(o, "spec.horizontalPodAutoscaler", map[string]any{"enabled": true, "maxReplicas": 2})
		}, []string{"spec.horizontalPodAutoscaler needs at least one metric"}},
		{"hpa without maxReplicas", func(o map[string]any) {
			set(o, "spec.horizontalPodAutoscaler", map[string]any{"enabled": true, "resourceMetrics": map[string]any{"cpuAverageUtilization": 50}})
		}, []string{"spec.horizontalPodAutoscaler.maxReplicas is required"}},
		{"hpa cpu utilization and value", func(o map[string]any) {
			set(o, "spec.horizontalPodAutoscaler", map[string]any{"enabled": true, "maxReplicas": 2,
				"resourceMetrics": map[string]any{"cpuAverageUtilization": 50, "cpuAverageValue": "200m"}})
		}, []string{"spec.horizontalPodAutoscaler.resourceMetrics", "cpuAverageUtilization or cpuAverageValue"}},
		{"pdb with both", func(o map[string]any) {
			set(o, "spec.podDisruptionBudget", map[string]any{"minAvailable": 1, "maxUnavailable": 1})
		}, []string{"spec.podDisruptionBudget: set exactly one of minAvailable and maxUnavailable"}},
		{"pdb with neither", func(o map[string]any) {
			set(o, "spec.podDisruptionBudget", map[string]any{"enabled": true})
		}, []string{"spec.podDisruptionBudget: set exactly one of minAvailable and maxUnavailable"}},
		{"pdb bad percentage", func(o map[string]any) {
			set(o, "spec.podDisruptionBudget", map[string]any{"minAvailable": "half"})
		}, []string{"spec.podDisruptionBudget.minAvailable"}},
		{"ingress host not a DNS name", func(o map[string]any) {
			set(o, "spec.ingress", map[string]any{"enabled": true, "host": "Shop_Example.com"})
		}, []string{"spec.ingress.host must be a DNS name"}},
		{"ingress relative path", func(o map[string]any) {
			set(o, "spec.ingress", map[string]any{"enabled": true, "path": "shop"})
		}, []string{"spec.ingress.path must be an absolute path"}},
		{"ingress port unknown", func(o map[string]any) {
			set(o, "spec.ingress", map[string]any{"enabled": true, "port": "admin"})
		}, []string{"spec.ingress.port must name one of spec.service.ports"}},
		{"ingress bad pathType", func(o map[string]any) {
			set(o, "spec.ingress", map[string]any{"enabled": true, "pathType": "Regex"})
		}, []string{"spec.ingress.pathType", "Unsupported value"}},
		{"metering relative path", func(o map[string]any) {
			set(o, "spec.server.metering", map[string]any{"enabled": true, "path": "metrics"})
		}, []string{"spec.server.metering.path must be an absolute path"}},
		{"metering bad scheme", func(o map[string]any) {
			set(o, "spec.server.metering", map[string]any{"enabled": true, "scheme": "ftp"})
		}, []string{"spec.server.metering.scheme", "Unsupported value"}},
		{"healthCheck port zero", func(o map[string]any) {
			set(o, "spec.server.healthCheck", map[string]any{"port": 0})
		}, []string{"spec.server.healthCheck.port"}},
		{"label key invalid", func(o map[string]any) {
			set(o, "spec.common.labels", map[string]any{"bad key!": "x"})
		}, []string{"spec.common.labels: every key must be a valid label key"}},
		{"label value invalid", func(o map[string]any) {
			set(o, "spec.common.labels", map[string]any{"tier": "not valid!"})
		}, []string{"spec.common.labels.tier", "should match"}},
		{"label value too long", func(o map[string]any) {
			set(o, "spec.common.labels", map[string]any{"tier": strings.Repeat("a", 64)})
		}, []string{"spec.common.labels.tier", "may not be more than 63"}},
		{"imagePullPolicy unknown", func(o map[string]any) { set(o, "spec.deployment.imagePullPolicy", "Sometimes") }, []string{"spec.deployment.imagePullPolicy", "Unsupported value"}},
		{"timeZone with spaces", func(o map[string]any) { set(o, "spec.deployment.timeZone", "Asia Tokyo") }, []string{"spec.deployment.timeZone"}},
		{"name not a DNS-1035 label", func(o map[string]any) { set(o, "metadata.name", "1-starts-with-digit") }, []string{"metadata.name must be a DNS-1035 label"}},
		// Log shipper (docs/logging.md).
		{"log path relative", func(o map[string]any) { set(o, "spec.server.application.logs", []any{"logs/server.log"}) }, []string{"spec.server.application.logs[0]", "must be an absolute path"}},
		{"log path /", func(o map[string]any) { set(o, "spec.server.application.logs", []any{"/"}) }, []string{"spec.server.application.logs[0]"}},
		{"log path a directory", func(o map[string]any) { set(o, "spec.server.application.logs", []any{"/var/log/"}) }, []string{"spec.server.application.logs[0]", "must name a file"}},
		{"log path with ..", func(o map[string]any) { set(o, "spec.server.application.logs", []any{"/opt/app/../etc/passwd"}) }, []string{"spec.server.application.logs[0]", "segments"}},
		{"log path in /", func(o map[string]any) { set(o, "spec.server.application.logs", []any{"/server.log"}) }, []string{"spec.server.application.logs[0]", "directory other than /"}},
		{"log glob in a directory", func(o map[string]any) { set(o, "spec.server.application.logs", []any{"/opt/*/logs/a.log"}) }, []string{"spec.server.application.logs[0]", "only in the file name"}},
		{"log paths duplicate", func(o map[string]any) { set(o, "spec.server.application.logs", []any{"/l/a.log", "/l/a.log"}) }, []string{"spec.server.application.logs[1]", "Duplicate value"}},
		{"elasticsearch port out of range", func(o map[string]any) {
			set(o, "spec.deployment.logShipper.elasticsearch", map[string]any{"host": "es", "port": 70000})
		}, []string{"spec.deployment.logShipper.elasticsearch.port", "less than or equal to 65535"}},
		{"elasticsearch host missing", func(o map[string]any) {
			set(o, "spec.deployment.logShipper.elasticsearch", map[string]any{"port": 9200})
		}, []string{"spec.deployment.logShipper.elasticsearch.host", "Required"}},
		{"elasticsearch auth without secretName", func(o map[string]any) {
			set(o, "spec.deployment.logShipper.elasticsearch", map[string]any{"host": "es", "auth": map[string]any{"enabled": true}})
		}, []string{"spec.deployment.logShipper.elasticsearch.auth.secretName is required"}},
		{"elasticsearch cacert without tls", func(o map[string]any) {
			set(o, "spec.deployment.logShipper.elasticsearch", map[string]any{"host": "es", "tls": map[string]any{
				"enabled": false, "cacert": map[string]any{"secret": map[string]any{"name": "ca", "key": "ca.crt"}}}})
		}, []string{"spec.deployment.logShipper.elasticsearch.tls.cacert requires tls.enabled"}},
		{"elasticsearch cacert secret name missing", func(o map[string]any) {
			set(o, "spec.deployment.logShipper.elasticsearch", map[string]any{"host": "es", "tls": map[string]any{
				"cacert": map[string]any{"secret": map[string]any{"key": "ca.crt"}}}})
		}, []string{"spec.deployment.logShipper.elasticsearch.tls.cacert.secret.name", "Required"}},
		{"elasticsearch index upper case", func(o map[string]any) {
			set(o, "spec.deployment.logShipper.elasticsearch", map[string]any{"host": "es", "index": "WebOTX"})
		}, []string{"spec.deployment.logShipper.elasticsearch.index"}},
		{"elasticsearch and otlp", func(o map[string]any) {
			set(o, "spec.deployment.logShipper.elasticsearch", map[string]any{"host": "es"})
			set(o, "spec.deployment.logShipper.otlp", map[string]any{"endpoint": "http://loki:3100/otlp"})
		}, []string{"spec.deployment.logShipper: set elasticsearch or otlp, not both"}},
		{"otlp endpoint not a URL", func(o map[string]any) {
			set(o, "spec.deployment.logShipper.otlp", map[string]any{"endpoint": "loki:3100"})
		}, []string{"spec.deployment.logShipper.otlp.endpoint"}},
		// Found by FuzzLogShipperConfig: admitted, yet no URL the collector parses.
		{"elasticsearch path with a bad escape", func(o map[string]any) {
			set(o, "spec.deployment.logShipper.elasticsearch", map[string]any{"host": "es", "path": "/logs/%zz"})
		}, []string{"spec.deployment.logShipper.elasticsearch.path"}},
		{"elasticsearch host with a colon not an IP", func(o map[string]any) {
			set(o, "spec.deployment.logShipper.elasticsearch", map[string]any{"host": "es:9200"})
		}, []string{"spec.deployment.logShipper.elasticsearch.host", "must be a host name or an IP address"}},
		{"otlp endpoint with an unclosed IPv6 bracket", func(o map[string]any) {
			set(o, "spec.deployment.logShipper.otlp", map[string]any{"endpoint": "http://[::1"})
		}, []string{"spec.deployment.logShipper.otlp.endpoint", "must be a URL"}},
		{"otlp endpoint with a bad escape", func(o map[string]any) {
			set(o, "spec.deployment.logShipper.otlp", map[string]any{"endpoint": "http://loki:3100/%zz"})
		}, []string{"spec.deployment.logShipper.otlp.endpoint", "must be a URL"}},
		{"otlp protocol unknown", func(o map[string]any) {
			set(o, "spec.deployment.logShipper.otlp", map[string]any{"endpoint": "http://loki:3100/otlp", "protocol": "http/json"})
		}, []string{"spec.deployment.logShipper.otlp.protocol", "Unsupported value"}},
		{"multiline pattern empty", func(o map[string]any) {
			set(o, "spec.deployment.logShipper.multiline", map[string]any{"lineStartPattern": ""})
		}, []string{"spec.deployment.logShipper.multiline.lineStartPattern"}},
	}
	cases = append(cases, lifecycleAdmissionCases...)
	cases = append(cases, childAdmissionCases...)
	// Issue 13: at least 60 invalid objects across the admission tables,
	// each error naming its field.
	if n := invalid(cases) + invalid(webotxAdmissionCases); n < 60 {
		t.Fatalf("want at least 60 invalid objects in the admission tables, have %d", n)
	}
	runAdmissionCases(t, cases)
}

func TestAdmissionAcceptsSamples(t *testing.T) {
	ns := newNamespace(t)
	files, err := filepath.Glob("../../config/samples/appserver_*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("samples: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			u := readYAML(t, f)
			u.SetNamespace(ns)
			if err := k8s.Create(context.Background(), u, client.DryRunAll); err != nil {
				t.Fatalf("valid sample rejected: %v", err)
			}
		})
	}
	t.Run("minimal object gets the schema defaults", func(t *testing.T) {
		u := &unstructured.Unstructured{Object: base("minimal")}
		u.SetNamespace(ns)
		if err := k8s.Create(context.Background(), u, client.DryRunAll); err != nil {
			t.Fatal(err)
		}
		replicas, _, _ := unstructured.NestedInt64(u.Object, "spec", "deployment", "replicas")
		typ, _, _ := unstructured.NestedString(u.Object, "spec", "service", "type")
		ports, _, _ := unstructured.NestedSlice(u.Object, "spec", "service", "ports")
		if replicas != 1 || typ != "ClusterIP" || len(ports) != 2 {
			t.Fatalf("defaults not applied: replicas=%d type=%q ports=%v", replicas, typ, ports)
		}
		if p := ports[0].(map[string]any); p["name"] != "http" || p["port"] != int64(8080) || p["protocol"] != "TCP" {
			t.Fatalf("default port: %v", p)
		}
	})
}

func readYAML(t *testing.T, path string) *unstructured.Unstructured {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(raw, &u.Object); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return u
}
