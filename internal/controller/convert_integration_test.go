//go:build integration

package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/convert"
	"github.com/appserver-operator/appserver-operator/internal/resources"
)

// TestConvertedWebOTXServersPassAdmission converts every WebOTX input of
// internal/convert/testdata (WebOTX's public CR shapes and the guide's
// examples), has the API server admit the result (dry run: defaults and
// validation, nothing stored), has it admit the Deployment and Service the
// builders make from the admitted object, and checks that they carry the
// WebOTX fields' values.
func TestConvertedWebOTXServersPassAdmission(t *testing.T) {
	ns := newNamespace(t)
	files, err := filepath.Glob("../convert/testdata/*.webotx.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no WebOTX inputs: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".webotx.yaml"), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var in map[string]any
			if err := yaml.Unmarshal(raw, &in); err != nil {
				t.Fatal(err)
			}
			res, err := convert.Convert(raw)
			if err != nil {
				t.Fatal(err)
			}
			if res.Losses() > 0 {
				t.Fatalf("losses: %v", res.Findings)
			}
			as := &v1alpha1.ApplicationServer{}
			if err := yaml.UnmarshalStrict(res.Output, as); err != nil {
				t.Fatalf("decoding the result: %v", err)
			}
			as.Namespace = ns

			ctx := context.Background()
			if err := k8s.Create(ctx, as, client.DryRunAll); err != nil {
				t.Fatalf("the API server refuses the converted object: %v\n%s", err, res.Output)
			}
			dep := resources.Deployment(as, resources.Options{OperatorImage: testOperatorImage})
			svc := resources.Service(as)
			if err := k8s.Create(ctx, dep.DeepCopy(), client.DryRunAll); err != nil {
				t.Errorf("the API server refuses the Deployment: %v", err)
			}
			if err := k8s.Create(ctx, svc.DeepCopy(), client.DryRunAll); err != nil {
				t.Errorf("the API server refuses the Service: %v", err)
			}
			carriesWebOTXValues(t, webotx(in), dep, svc)
		})
	}
}

// webotx reads a WebOTX object by dotted path.
type webotx map[string]any

func (w webotx) get(path string) any {
	var v any = map[string]any(w)
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func (w webotx) str(path string) string { s, _ := w.get(path).(string); return s }

// decodeInto turns a WebOTX value into a Kubernetes type.
func decodeInto[T any](t *testing.T, v any) *T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func container(dep *appsv1.Deployment, name string) *corev1.Container {
	for i, c := range dep.Spec.Template.Spec.Containers {
		if c.Name == name {
			return &dep.Spec.Template.Spec.Containers[i]
		}
	}
	for i, c := range dep.Spec.Template.Spec.InitContainers {
		if c.Name == name {
			return &dep.Spec.Template.Spec.InitContainers[i]
		}
	}
	return nil
}

func envValue(c *corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

// carriesWebOTXValues checks the children against the WebOTX fields set in w.
func carriesWebOTXValues(t *testing.T, w webotx, dep *appsv1.Deployment, svc *corev1.Service) {
	t.Helper()
	pod := dep.Spec.Template.Spec
	server := container(dep, resources.ServerContainerName)
	if server == nil {
		t.Fatal("no server container")
	}
	check := func(field string, got, want any) {
		t.Helper()
		if !equality.Semantic.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v (WebOTX's)", field, got, want)
		}
	}

	// Deployment and pod.
	check("image", server.Image, w.str("spec.deployment.image"))
	if hpa, _ := w.get("spec.horizontalPodAutoscaler.enabled").(bool); !hpa {
		check("replicas", fmt.Sprint(*dep.Spec.Replicas), fmt.Sprint(w.get("spec.deployment.replicas")))
	}
	if v := w.str("spec.deployment.imagePullPolicy"); v != "" {
		check("imagePullPolicy", string(server.ImagePullPolicy), v)
	}
	if v := w.get("spec.deployment.imagePullSecrets"); v != nil {
		check("imagePullSecrets", pod.ImagePullSecrets, *decodeInto[[]corev1.LocalObjectReference](t, v))
	}
	for _, spelling := range []string{"hostname", "hostName"} {
		if v := w.str("spec.deployment." + spelling); v != "" {
			check("hostname", pod.Hostname, v)
		}
	}
	for _, spelling := range []string{"subdomain", "subDomain"} {
		if v := w.str("spec.deployment." + spelling); v != "" {
			check("subdomain", pod.Subdomain, v)
		}
	}
	if v := w.get("spec.deployment.terminationGracePeriodSeconds"); v != nil {
		check("terminationGracePeriodSeconds", fmt.Sprint(*pod.TerminationGracePeriodSeconds), fmt.Sprint(v))
	}
	if v := w.str("spec.deployment.serviceAccountName"); v != "" {
		check("serviceAccountName", pod.ServiceAccountName, v)
	}
	if v, ok := w.get("spec.deployment.automountServiceAccountToken").(bool); ok {
		check("automountServiceAccountToken", *pod.AutomountServiceAccountToken, v)
	}
	if v := w.str("spec.deployment.dns.dnsPolicy"); v != "" {
		check("dnsPolicy", string(pod.DNSPolicy), v)
	}
	if v := w.get("spec.deployment.dns.dnsConfig"); v != nil {
		check("dnsConfig", pod.DNSConfig, decodeInto[corev1.PodDNSConfig](t, v))
	}
	if v := w.get("spec.deployment.hostAliases"); v != nil {
		check("hostAliases", pod.HostAliases, *decodeInto[[]corev1.HostAlias](t, v))
	}
	if v := w.get("spec.deployment.nodeSelector"); v != nil {
		check("nodeSelector", pod.NodeSelector, *decodeInto[map[string]string](t, v))
	}
	if v := w.str("spec.deployment.strategy.type"); v != "" {
		check("strategy", string(dep.Spec.Strategy.Type), v)
	}
	if v := w.get("spec.deployment.progressDeadlineSeconds"); v != nil {
		check("progressDeadlineSeconds", fmt.Sprint(*dep.Spec.ProgressDeadlineSeconds), fmt.Sprint(v))
	}
	if v := w.str("spec.deployment.timeZone"); v != "" {
		tz, _ := envValue(server, "TZ")
		check("TZ", tz, v)
	}
	for k, v := range *decodeInto[map[string]string](t, w.get("spec.deployment.annotations")) {
		check("pod annotation "+k, dep.Spec.Template.Annotations[k], v)
	}
	for k, v := range *decodeInto[map[string]string](t, w.get("spec.common.labels")) {
		check("Deployment label "+k, dep.Labels[k], v)
		check("pod label "+k, dep.Spec.Template.Labels[k], v)
		check("Service label "+k, svc.Labels[k], v)
	}
	for _, c := range []string{"deployment.resources", "webotx.resources"} {
		if v := w.get("spec." + c + ".webotx"); v != nil {
			check("server resources", server.Resources, *decodeInto[corev1.ResourceRequirements](t, v))
		}
		if v := w.get("spec." + c + ".logstash"); v != nil && w.get("spec.webotx.application.logs") != nil {
			if shipper := container(dep, resources.LogShipperContainerName); shipper == nil {
				t.Error("no log-shipper container")
			} else {
				check("log-shipper resources", shipper.Resources, *decodeInto[corev1.ResourceRequirements](t, v))
			}
		}
	}
	if v := w.get("spec.deployment.readinessProbe.webotx"); v != nil {
		check("readinessProbe", server.ReadinessProbe, decodeInto[corev1.Probe](t, v))
	}
	if v := w.get("spec.deployment.livenessProbe.webotx"); v != nil {
		check("livenessProbe", server.LivenessProbe, decodeInto[corev1.Probe](t, v))
	}

	// The server block: environment and volumes.
	var envFrom []string
	for _, e := range server.EnvFrom {
		if e.ConfigMapRef != nil {
			envFrom = append(envFrom, "configMap "+e.ConfigMapRef.Name)
		}
		if e.SecretRef != nil {
			envFrom = append(envFrom, "secret "+e.SecretRef.Name)
		}
	}
	for _, kind := range []string{"configMap", "secret"} {
		l, _ := w.get("spec.webotx.envFrom." + kind + "s").([]any)
		for _, name := range l {
			if !slices.Contains(envFrom, fmt.Sprint(kind, " ", name)) {
				t.Errorf("envFrom lacks %s %v: %v", kind, name, envFrom)
			}
		}
	}
	envs := map[string]string{
		"spec.webotx.jaeger.serviceName":                        "JAEGER_SERVICE_NAME",
		"spec.webotx.jaeger.agentHost":                          "JAEGER_AGENT_HOST",
		"spec.webotx.jaeger.endpoint":                           "JAEGER_ENDPOINT",
		"spec.webotx.jaeger.samplerType":                        "JAEGER_SAMPLER_TYPE",
		"spec.webotx.jaeger.tags":                               "JAEGER_TAGS",
		"spec.webotx.performanceAnalyzer.faultVerificationTime": resources.EnvFaultVerificationTime,
		"spec.webotx.performanceAnalyzer.memoryMonitor":         resources.EnvMemoryMonitor,
	}
	if on, _ := w.get("spec.webotx.sessionReplication.enabled").(bool); on {
		envs["spec.webotx.sessionReplication.useJmxAgent"] = resources.EnvUseJmxAgent
		envs["spec.webotx.sessionReplication.useAllProcessGroups"] = resources.EnvUseAllProcessGroups
	}
	for path, name := range envs {
		if v := w.get(path); v != nil {
			got, _ := envValue(server, name)
			check(name, got, fmt.Sprint(v))
		}
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range server.VolumeMounts {
		mounts[m.MountPath] = m
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	for _, kind := range []string{"configMaps", "secrets"} {
		l, _ := w.get("spec.webotx.fileMounts." + kind).([]any)
		for _, item := range l {
			fm := item.(map[string]any)
			m, ok := mounts[fm["path"].(string)]
			if !ok {
				t.Errorf("no mount at %v", fm["path"])
				continue
			}
			vol := volumes[m.Name]
			var source string
			if vol.ConfigMap != nil {
				source = vol.ConfigMap.Name
			}
			if vol.Secret != nil {
				source = vol.Secret.SecretName
			}
			check("volume of "+m.MountPath, source, fm["name"])
			check("key mounted at "+m.MountPath, m.SubPath != "", true)
		}
	}
	if pvc := w.str("spec.webotx.replacement.persistentVolumeClaimName"); pvc != "" {
		m, ok := mounts[resources.ReplacementMountPath]
		if !ok || volumes[m.Name].PersistentVolumeClaim == nil {
			t.Errorf("no claim mounted at %s", resources.ReplacementMountPath)
		} else {
			check("replacement claim", volumes[m.Name].PersistentVolumeClaim.ClaimName, pvc)
		}
	}
	logs, _ := w.get("spec.webotx.application.logs").([]any)
	for _, l := range logs {
		if _, ok := mounts[filepath.Dir(l.(string))]; !ok {
			t.Errorf("log directory of %v not shared with the log shipper", l)
		}
	}

	// Service.
	check("Service type", string(svc.Spec.Type), w.str("spec.service.type"))
	if v := w.str("spec.service.sessionAffinity"); v != "" {
		check("sessionAffinity", string(svc.Spec.SessionAffinity), v)
	}
	ports, _ := w.get("spec.service.ports").([]any)
	check("number of Service ports", len(svc.Spec.Ports), len(ports))
	for i, p := range ports {
		want := decodeInto[corev1.ServicePort](t, p)
		if i >= len(svc.Spec.Ports) {
			break
		}
		got := svc.Spec.Ports[i]
		check("port name", got.Name, want.Name)
		check("port "+want.Name, got.Port, want.Port)
		check("targetPort of "+want.Name, got.TargetPort.String(), want.TargetPort.String())
		if svc.Spec.Type != corev1.ServiceTypeClusterIP {
			check("nodePort of "+want.Name, got.NodePort, want.NodePort)
		}
		if !slices.ContainsFunc(server.Ports, func(c corev1.ContainerPort) bool { return c.ContainerPort == want.TargetPort.IntVal }) {
			t.Errorf("the server container does not expose %d: %v", want.TargetPort.IntVal, server.Ports)
		}
	}
	if v := w.get("spec.service.loadBalancerSourceRanges"); v != nil && svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		check("loadBalancerSourceRanges", svc.Spec.LoadBalancerSourceRanges, *decodeInto[[]string](t, v))
	}
	if v := w.get("spec.service.externalIPs"); v != nil {
		check("externalIPs", svc.Spec.ExternalIPs, *decodeInto[[]string](t, v))
	}
}
