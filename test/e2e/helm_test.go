//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
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
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/settings"
)

// chartDir is the chart under test.
var chartDir = filepath.Join("..", "..", "charts", "appserver-operator")

// helm runs bin/helm against the test cluster with its own, empty Helm
// home (nothing of the developer's is read or written).
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	home := filepath.Join(os.TempDir(), "appserver-e2e-helm-"+clusterName)
	cmd := exec.Command(filepath.Join(root, "bin", "helm"), append(args, "--kubeconfig", kubeconfig)...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("helm %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), err
}

func mustHelm(t *testing.T, args ...string) string {
	t.Helper()
	out, err := helm(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// namespacedValues are the values of a namespaced install watching ns. The
// operator runs as a local process here: metering (a fixed HTTPS port) and
// the log file (under /var/log) are off.
func namespacedValues(ns string) []string {
	return []string{"--set", "rbac.scope=namespaced", "--set", "watchNamespaces={" + ns + "}",
		"--set-string", "settings.METERING_ENABLED=FALSE", "--set-string", "settings.LOG_DIR="}
}

// rendered is `helm template` output, split into objects.
type rendered []map[string]any

func helmTemplate(t *testing.T, ns string, args ...string) rendered {
	t.Helper()
	out := mustHelm(t, append([]string{"template", "appserver-operator", chartDir, "-n", ns}, args...)...)
	var objs rendered
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(out), 4096)
	for {
		var o map[string]any
		if err := dec.Decode(&o); err != nil {
			break
		}
		if o != nil {
			objs = append(objs, o)
		}
	}
	if len(objs) == 0 {
		t.Fatalf("helm template rendered nothing:\n%s", out)
	}
	return objs
}

// get converts the rendered object of kind and name into out.
func (r rendered) get(t *testing.T, kind, name string, out any) {
	t.Helper()
	for _, o := range r {
		md, _ := o["metadata"].(map[string]any)
		if o["kind"] == kind && md["name"] == name {
			b, err := yaml.Marshal(o)
			if err == nil {
				err = yaml.UnmarshalStrict(b, out)
			}
			if err != nil {
				t.Fatalf("%s %s: %v", kind, name, err)
			}
			return
		}
	}
	t.Fatalf("no %s %s rendered", kind, name)
}

// manifestObject reads a multi-document file of manifest/ into typed
// objects by kind/name.
func manifestObject(t *testing.T, file, kind, name string, out any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "manifest", file))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(b), "\n---\n") {
		var meta struct {
			Kind     string            `json:"kind"`
			Metadata metav1.ObjectMeta `json:"metadata"`
		}
		if yaml.Unmarshal([]byte(doc), &meta) == nil && meta.Kind == kind && meta.Metadata.Name == name {
			if err := yaml.Unmarshal([]byte(doc), out); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("manifest/%s has no %s %s", file, kind, name)
}

// TestHelmChartLintAndSchema lints the chart strictly and checks that bad
// values are refused with a message naming them.
func TestHelmChartLintAndSchema(t *testing.T) {
	for _, values := range [][]string{nil, namespacedValues("team-a"),
		{"--set", "serviceMonitor.enabled=true", "--set", "prometheusRule.enabled=true", "--set", "metering.tls.secretName=tls"}} {
		if out, err := helm(t, append([]string{"lint", "--strict", chartDir}, values...)...); err != nil {
			t.Errorf("helm lint --strict %v: %v\n%s", values, err, out)
		}
	}
	for _, c := range []struct{ set, want string }{
		{"rbac.scope=everything", "rbac"},
		{"settings.LOG_LEVEL=LOUD", "LOG_LEVEL"},
		{"settings.METERING_INTERVAL=soon", "METERING_INTERVAL"},
		{"settings.WATCH_NAMESPACE=team-a", "WATCH_NAMESPACE"},
		{"settings.LOG_LEVL=INFO", "LOG_LEVL"},
		{"watchNamespaces={Team_A}", "watchNamespaces"},
		{"image.tag=latest", "tag"},
		{"replicas=0", "replicas"},
	} {
		_, err := helm(t, "template", "x", chartDir, "--set", c.set)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("helm template --set %s: %v, want an error naming %s", c.set, err, c.want)
		}
	}
}

// TestHelmChartMatchesManifests: the chart and manifest/ are one source of
// truth. RBAC rules and the CRD are copies (make manifests); the settings
// and the Deployment's essentials are compared here.
func TestHelmChartMatchesManifests(t *testing.T) {
	const ns = "appserver-operator"
	r := helmTemplate(t, ns)

	var chartCM, manCM corev1.ConfigMap
	r.get(t, "ConfigMap", "appserver-operator-config", &chartCM)
	manifestObject(t, "install.yaml", "ConfigMap", "appserver-operator-config", &manCM)
	for k, v := range manCM.Data {
		if got, ok := chartCM.Data[k]; !ok || got != v {
			t.Errorf("setting %s: chart %q, manifest/ %q", k, got, v)
		}
	}
	defaults := settings.Defaults()
	for _, name := range settings.Names() {
		got, ok := chartCM.Data[name]
		if !ok {
			t.Errorf("the chart's ConfigMap has no %s (every setting of docs/operator-settings.md belongs there)", name)
			continue
		}
		if _, inManifest := manCM.Data[name]; !inManifest {
			if want, _ := defaults.Value(name); got != want {
				t.Errorf("setting %s: chart default %q, the operator's default %q", name, got, want)
			}
		}
	}
	if unknown := settings.UnknownKeys(chartCM.Data); len(unknown) > 0 {
		t.Errorf("the chart's ConfigMap has keys that are not settings: %v", unknown)
	}

	var chartRole, manRole rbacv1.ClusterRole
	r.get(t, "ClusterRole", ns+"-appserver-operator", &chartRole)
	manifestObject(t, "install.yaml", "ClusterRole", "appserver-operator", &manRole)
	if !reflect.DeepEqual(chartRole.Rules, manRole.Rules) {
		t.Errorf("ClusterRole rules differ:\nchart    %+v\nmanifest %+v", chartRole.Rules, manRole.Rules)
	}
	var chartLE, manLE rbacv1.Role
	r.get(t, "Role", "appserver-operator-leader-election", &chartLE)
	manifestObject(t, "install.yaml", "Role", "appserver-operator-leader-election", &manLE)
	if !reflect.DeepEqual(chartLE.Rules, manLE.Rules) {
		t.Errorf("leader-election Role rules differ:\nchart    %+v\nmanifest %+v", chartLE.Rules, manLE.Rules)
	}

	var chartD, manD appsv1.Deployment
	r.get(t, "Deployment", "appserver-operator", &chartD)
	manifestObject(t, "install.yaml", "Deployment", "appserver-operator", &manD)
	cp, mp := chartD.Spec.Template.Spec, manD.Spec.Template.Spec
	cc, mc := cp.Containers[0], mp.Containers[0]
	for _, c := range []struct {
		what        string
		chart, want any
	}{
		{"image", cc.Image, mc.Image},
		{"ports", cc.Ports, mc.Ports},
		{"liveness probe", cc.LivenessProbe, mc.LivenessProbe},
		{"readiness probe", cc.ReadinessProbe, mc.ReadinessProbe},
		{"resources", cc.Resources, mc.Resources},
		{"container security context", cc.SecurityContext, mc.SecurityContext},
		{"pod security context", cp.SecurityContext, mp.SecurityContext},
		{"volume mounts", cc.VolumeMounts, mc.VolumeMounts},
		{"volumes", cp.Volumes, mp.Volumes},
		{"env", cc.Env, mc.Env},
		{"termination grace period", cp.TerminationGracePeriodSeconds, mp.TerminationGracePeriodSeconds},
		{"metrics annotations", chartD.Spec.Template.Annotations, manD.Spec.Template.Annotations},
	} {
		if !reflect.DeepEqual(c.chart, c.want) {
			t.Errorf("Deployment %s: chart %+v, manifest/ %+v", c.what, c.chart, c.want)
		}
	}
	for _, a := range mc.Args {
		if !slices.Contains(cc.Args, a) {
			t.Errorf("the chart's operator args %v lack %s", cc.Args, a)
		}
	}
	if strings.HasSuffix(cc.Image, ":latest") || !strings.HasSuffix(cc.Image, ":"+strings.TrimSpace(readFile(t, "VERSION"))) {
		t.Errorf("the chart's image %s is not the release's", cc.Image)
	}
}

func readFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHelmValuesAreDocumented: every value of values.yaml is in the values
// table of docs/install.md, and the table has no value the chart lacks.
func TestHelmValuesAreDocumented(t *testing.T) {
	var values map[string]any
	if err := yaml.Unmarshal([]byte(readFile(t, "charts/appserver-operator/values.yaml")), &values); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		m, ok := v.(map[string]any)
		// settings, resources and the security contexts are documented as a whole.
		if !ok || len(m) == 0 || slices.Contains([]string{"settings", "resources", "podSecurityContext", "securityContext"}, prefix) {
			keys = append(keys, prefix)
			return
		}
		for k, sub := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			walk(p, sub)
		}
	}
	walk("", values)
	documented := map[string]bool{}
	doc := readFile(t, "docs/install.md")
	start := strings.Index(doc, "\n### Values\n")
	if start < 0 {
		t.Fatal("docs/install.md has no section \"### Values\"")
	}
	section := doc[start+1:]
	if end := strings.Index(section[1:], "\n#"); end >= 0 {
		section = section[:end+1]
	}
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Za-z.]+)` \\|").FindAllStringSubmatch(section, -1) {
		documented[m[1]] = true
	}
	for _, k := range keys {
		if !documented[k] {
			t.Errorf("value %s is not in the values table of docs/install.md", k)
		}
		delete(documented, k)
	}
	for k := range documented {
		t.Errorf("docs/install.md documents value %s, which values.yaml does not have", k)
	}
}

// TestHelmTemplateAppliesServerSide renders both RBAC scopes and has the
// API server validate every object (a dry run: nothing is stored), in a
// namespace that enforces Pod Security "restricted": the API server warns
// about a Deployment whose pods that level would refuse, so the chart's
// defaults must draw no warning (and, as a control, a chart without its pod
// security context must).
func TestHelmTemplateAppliesServerSide(t *testing.T) {
	ns := newNamespace(t, "helm-dry")
	kubectl(t, "label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted", "pod-security.kubernetes.io/warn=restricted")
	dryRun := func(values []string) (string, error) {
		out := mustHelm(t, append([]string{"template", "appserver-operator", chartDir, "-n", ns, "--include-crds"}, values...)...)
		cmd := exec.Command(filepath.Join(root, "bin", "kubectl"), "--kubeconfig", kubeconfig, "apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", "-")
		cmd.Stdin = strings.NewReader(out)
		res, err := cmd.CombinedOutput()
		return string(res), err
	}
	for _, values := range [][]string{nil, namespacedValues(ns)} {
		res, err := dryRun(values)
		if err != nil {
			t.Errorf("kubectl apply --dry-run=server of helm template %v: %v\n%s", values, err, res)
			continue
		}
		if n := strings.Count(res, "(server dry run)"); n < 8 {
			t.Errorf("the dry run applied only %d objects:\n%s", n, res)
		}
		if strings.Contains(res, "PodSecurity") {
			t.Errorf("the chart's pods break Pod Security \"restricted\":\n%s", res)
		}
	}
	if res, err := dryRun([]string{"--set", "podSecurityContext=null"}); err != nil || !strings.Contains(res, `violate PodSecurity "restricted`) {
		t.Errorf("without its pod security context the chart drew no Pod Security warning (%v):\n%s", err, res)
	}
}

// TestHelmInstallUpgradeUninstall installs the chart as a team would, runs
// the operator as its pod would, upgrades, installs a neighbour, uninstalls,
// and installs cluster-wide.
func TestHelmInstallUpgradeUninstall(t *testing.T) {
	ctx := context.Background()
	claimNamespace(t, "team-a")
	claimNamespace(t, "team-b")
	outside := newNamespace(t, "helm-outside")
	const rel = "appserver-operator"
	t.Cleanup(func() {
		for _, ns := range []string{"team-a", "team-b"} {
			_, _ = helm(t, "uninstall", rel, "-n", ns, "--ignore-not-found")
		}
	})

	clusterRBACBefore := clusterRBACNames(t)
	out := mustHelm(t, append([]string{"install", rel, chartDir, "-n", "team-a"}, namespacedValues("team-a")...)...)
	if !strings.Contains(out, "Watches:          team-a") || !strings.Contains(out, "no ClusterRole") {
		t.Errorf("NOTES do not say what was installed:\n%s", out)
	}
	kubectl(t, "rollout", "status", "deployment/"+rel, "-n", "team-a", "--timeout=90s")
	if added := newNames(clusterRBACBefore, clusterRBACNames(t)); len(added) > 0 {
		t.Errorf("the namespaced install created cluster-wide RBAC: %v", added)
	}
	if out, err := kubectlErr("get", "crd", "applicationservers.appserver.dev"); err != nil {
		t.Fatalf("the CRD after helm install: %v\n%s", err, out)
	}

	op := runInstalledOperator(t, "team-a", rel)
	other := newAppServer(outside, "outside", 1)
	if err := k8s.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	mine := newAppServer("team-a", "inside", 1)
	if err := k8s.Create(ctx, mine); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, client.ObjectKeyFromObject(mine), v1alpha1.ConditionAvailable, metav1.ConditionTrue, 2*time.Minute)
	stayUntouched(t, client.ObjectKeyFromObject(other), outsideWindow)
	assertNamespacedGrant(t, op.kubeconfig, "system:serviceaccount:team-a:"+rel, "team-a", []string{"team-b", outside})
	if lines := op.logLines(t, regexp.MustCompile(`(?i)forbidden`)); len(lines) > 0 {
		t.Errorf("the operator was refused by RBAC %d times; first:\n%s", len(lines), strings.Join(lines[:min(len(lines), 5)], "\n"))
	}

	t.Run("helm upgrade with a changed setting updates the ConfigMap, and the operator applies it", func(t *testing.T) {
		mustHelm(t, "upgrade", rel, chartDir, "-n", "team-a", "--reuse-values", "--set-string", "settings.LOG_LEVEL=DEBUG")
		cm := &corev1.ConfigMap{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: rel + "-config"}, cm); err != nil {
			t.Fatal(err)
		}
		if cm.Data["LOG_LEVEL"] != "DEBUG" || cm.Data["WATCH_NAMESPACE"] != "team-a" {
			t.Errorf("after the upgrade LOG_LEVEL=%q WATCH_NAMESPACE=%q, want DEBUG, team-a", cm.Data["LOG_LEVEL"], cm.Data["WATCH_NAMESPACE"])
		}
		eventually(t, time.Minute, "the operator to apply LOG_LEVEL=DEBUG live", func() error {
			if len(op.logLines(t, regexp.MustCompile(`"msg":"Applied a setting change","setting":"LOG_LEVEL","value":"DEBUG"`))) == 0 {
				return fmt.Errorf("not applied yet")
			}
			return nil
		})
	})

	t.Run("a second install in team-b does not collide", func(t *testing.T) {
		mustHelm(t, append([]string{"install", rel, chartDir, "-n", "team-b"}, namespacedValues("team-b")...)...)
		kubectl(t, "rollout", "status", "deployment/"+rel, "-n", "team-b", "--timeout=90s")
		for _, ns := range []string{"team-a", "team-b"} {
			rb := &rbacv1.RoleBinding{}
			if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: rel}, rb); err != nil {
				t.Fatalf("%s: RoleBinding: %v", ns, err)
			}
			if len(rb.Subjects) != 1 || rb.Subjects[0].Namespace != ns {
				t.Errorf("%s: RoleBinding subjects %+v, want the ServiceAccount of %s only", ns, rb.Subjects, ns)
			}
		}
		if added := newNames(clusterRBACBefore, clusterRBACNames(t)); len(added) > 0 {
			t.Errorf("cluster-wide RBAC appeared: %v", added)
		}
	})

	t.Run("helm uninstall leaves the CRD and nothing else", func(t *testing.T) {
		if out := kubectl(t, "get", "secrets,configmaps", "-n", "team-a", "-l", "owner=helm", "-o", "name"); !strings.Contains(out, "/") {
			t.Fatalf("no Helm release records in team-a before the uninstall (the check below would prove nothing): %s", out)
		}
		op.stop(time.Minute)
		mustHelm(t, "uninstall", rel, "-n", "team-a", "--wait", "--timeout=90s")
		if left := chartObjects(t, "team-a", rel); len(left) > 0 {
			t.Errorf("left in team-a after helm uninstall: %v", left)
		}
		if out := kubectl(t, "get", "secrets,configmaps", "-n", "team-a", "-l", "owner=helm", "-o", "name"); strings.Contains(out, "/") {
			t.Errorf("Helm's release records left in team-a: %s", out)
		}
		if out, err := kubectlErr("get", "crd", "applicationservers.appserver.dev"); err != nil {
			t.Errorf("the CRD after helm uninstall: %v\n%s", err, out)
		}
		if left := chartObjects(t, "team-b", rel); len(left) < 7 {
			t.Errorf("team-b's install was touched: %v", left)
		}
	})

	t.Run("cluster-wide", func(t *testing.T) {
		ns := newNamespace(t, "helm-cluster")
		target := newNamespace(t, "helm-target")
		t.Cleanup(func() { _, _ = helm(t, "uninstall", rel, "-n", ns, "--ignore-not-found") })
		mustHelm(t, "install", rel, chartDir, "-n", ns, "--set-string", "settings.METERING_ENABLED=FALSE", "--set-string", "settings.LOG_DIR=")
		kubectl(t, "rollout", "status", "deployment/"+rel, "-n", ns, "--timeout=90s")
		crb := &rbacv1.ClusterRoleBinding{}
		if err := k8s.Get(ctx, client.ObjectKey{Name: ns + "-" + rel}, crb); err != nil {
			t.Fatalf("ClusterRoleBinding: %v", err)
		}
		cop := runInstalledOperator(t, ns, rel)
		as := newAppServer(target, "cluster-wide", 1)
		if err := k8s.Create(ctx, as); err != nil {
			t.Fatal(err)
		}
		waitCondition(t, client.ObjectKeyFromObject(as), v1alpha1.ConditionAvailable, metav1.ConditionTrue, 2*time.Minute)
		if out, _ := kubectlAs(cop.kubeconfig, "auth", "can-i", "list", "applicationservers.appserver.dev", "--all-namespaces"); out != "yes" {
			t.Errorf("the cluster-wide ServiceAccount may not list ApplicationServers everywhere: %q", out)
		}
		cop.stop(time.Minute)
		mustHelm(t, "uninstall", rel, "-n", ns, "--wait", "--timeout=90s")
		if err := k8s.Get(ctx, client.ObjectKey{Name: ns + "-" + rel}, &rbacv1.ClusterRole{}); !apierrors.IsNotFound(err) {
			t.Errorf("the ClusterRole after helm uninstall: %v, want not found", err)
		}
	})
}

// chartObjects lists what carries the chart's instance label in ns.
func chartObjects(t *testing.T, ns, rel string) []string {
	t.Helper()
	out := kubectl(t, "get", "deployments,replicasets,pods,services,configmaps,serviceaccounts,roles,rolebindings,secrets",
		"-n", ns, "-l", "app.kubernetes.io/instance="+rel, "-o", "name")
	var names []string
	for _, f := range strings.Fields(out) {
		if strings.Contains(f, "/") { // not "No resources found in ..."
			names = append(names, f)
		}
	}
	return names
}

// TestHelmMonitoringObjects: the ServiceMonitor scrapes the operator's
// metrics port through its Service, and the PrometheusRule carries exactly
// the groups of config/prometheus/alerts.yaml. (The local cluster has no
// Prometheus Operator CRDs, so these two are checked as rendered.)
func TestHelmMonitoringObjects(t *testing.T) {
	const ns = "monitoring-check"
	r := helmTemplate(t, ns, "--set", "serviceMonitor.enabled=true", "--set", "serviceMonitor.interval=30s",
		"--set", "serviceMonitor.labels.release=prom", "--set", "prometheusRule.enabled=true")

	var svc corev1.Service
	r.get(t, "Service", "appserver-operator", &svc)
	var sm struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        metav1.ObjectMeta `json:"metadata"`
		Spec            struct {
			JobLabel          string               `json:"jobLabel"`
			Selector          metav1.LabelSelector `json:"selector"`
			NamespaceSelector struct {
				MatchNames []string `json:"matchNames"`
			} `json:"namespaceSelector"`
			Endpoints []struct {
				Port        string `json:"port"`
				Path        string `json:"path"`
				Scheme      string `json:"scheme"`
				Interval    string `json:"interval"`
				HonorLabels bool   `json:"honorLabels"`
			} `json:"endpoints"`
		} `json:"spec"`
	}
	r.get(t, "ServiceMonitor", "appserver-operator", &sm)
	for k, v := range sm.Spec.Selector.MatchLabels {
		if svc.Labels[k] != v {
			t.Errorf("the ServiceMonitor selects %s=%s, which the Service's labels %v lack", k, v, svc.Labels)
		}
	}
	if len(sm.Spec.Selector.MatchLabels) == 0 || !reflect.DeepEqual(sm.Spec.NamespaceSelector.MatchNames, []string{ns}) {
		t.Errorf("the ServiceMonitor's selectors: %+v, %v", sm.Spec.Selector, sm.Spec.NamespaceSelector.MatchNames)
	}
	metricsPort := false
	for _, p := range svc.Spec.Ports {
		metricsPort = metricsPort || (p.Name == "metrics" && p.Port == 8383)
	}
	if !metricsPort || len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "metrics" ||
		sm.Spec.Endpoints[0].Path != "/metrics" || sm.Spec.Endpoints[0].Interval != "30s" {
		t.Errorf("the ServiceMonitor's endpoints %+v do not scrape the Service's metrics port 8383 (%+v)", sm.Spec.Endpoints, svc.Spec.Ports)
	}
	// The alert rules name job="appserver-operator", whatever the release is called.
	if sm.Spec.JobLabel == "" || svc.Labels[sm.Spec.JobLabel] != "appserver-operator" {
		t.Errorf("the ServiceMonitor's jobLabel %q gives job %q, want appserver-operator (the alert rules' job)", sm.Spec.JobLabel, svc.Labels[sm.Spec.JobLabel])
	}
	// The state metrics' namespace label is the server's, not the Service's.
	if len(sm.Spec.Endpoints) == 1 && !sm.Spec.Endpoints[0].HonorLabels {
		t.Error("the ServiceMonitor does not honour the metrics' labels: the servers' namespace label would become exported_namespace")
	}
	if sm.Metadata.Labels["release"] != "prom" {
		t.Errorf("serviceMonitor.labels not applied: %v", sm.Metadata.Labels)
	}

	var rule struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        metav1.ObjectMeta `json:"metadata"`
		Spec            struct {
			Groups []any `json:"groups"`
		} `json:"spec"`
	}
	r.get(t, "PrometheusRule", "appserver-operator", &rule)
	var alerts struct {
		Groups []any `json:"groups"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, "config/prometheus/alerts.yaml")), &alerts); err != nil {
		t.Fatal(err)
	}
	if len(alerts.Groups) == 0 || !reflect.DeepEqual(rule.Spec.Groups, alerts.Groups) {
		t.Errorf("the PrometheusRule's groups differ from config/prometheus/alerts.yaml:\nchart %v\nfile  %v", rule.Spec.Groups, alerts.Groups)
	}
}
