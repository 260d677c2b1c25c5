//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// mainPanels are the dashboard panels that must show data for a cluster
// with a healthy and a Degraded server (the metering panels stay empty here:
// metering is off).
var mainPanels = []string{
	"Servers", "Available", "Degraded", "Servers by condition", "Server conditions", "Replicas", "Ready / desired",
	"Generations behind", "Reconciles", "Reconcile latency", "Workqueue depth", "Workqueue adds", "Replicas up",
	"Leader", "Memory", "CPU", "API requests", "Goroutines",
}

// TestMonitoring runs two operator replicas (leader and standby) and a real
// Prometheus that scrapes both with config/prometheus/alerts.yaml loaded:
// every expression of the rules and of the dashboard
// (config/grafana/appserver-operator.json) must run, the main panels show
// data, a Degraded server's alert goes pending while a healthy one's does
// not, and only the leader reports the per-server state metrics.
func TestMonitoring(t *testing.T) {
	promBin, _ := ensurePrometheus(t)
	ctx := context.Background()
	ns := newNamespace(t, "monitoring")
	rulesFile := filepath.Join(root, "config", "prometheus", "alerts.yaml")
	rules := loadRules(t, rulesFile)
	dash := loadDashboard(t, filepath.Join(root, "config", "grafana", "appserver-operator.json"))

	env := []string{"WATCH_NAMESPACE=" + ns}
	args := []string{"--leader-elect", "--leader-election-namespace", ns}
	first := startOperator(t, env, args...)
	leader, _, _ := electedOne(t, ns, time.Minute, first)
	standby := startOperator(t, env, args...)
	electedOne(t, ns, time.Minute, leader, standby)

	bad := newAppServer(ns, "no-sa", 1)
	bad.Spec.Deployment.ServiceAccountName = "does-not-exist"
	good := newAppServer(ns, "good", 1)
	for _, as := range []*v1alpha1.ApplicationServer{bad, good} {
		if err := k8s.Create(ctx, as); err != nil {
			t.Fatal(err)
		}
	}

	// Scraped as the ServiceMonitor does: job appserver-operator (the
	// Service's name), honoring the state metrics' namespace label.
	prom := runPrometheus(t, promBin, t.TempDir(), fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
- %q
scrape_configs:
- job_name: appserver-operator
  honor_labels: true
  static_configs:
  - targets: [%q, %q]
`, rulesFile, leader.metricsAddr, standby.metricsAddr))

	waitCondition(t, client.ObjectKeyFromObject(bad), v1alpha1.ConditionDegraded, metav1.ConditionTrue, time.Minute)
	waitCondition(t, client.ObjectKeyFromObject(good), v1alpha1.ConditionAvailable, metav1.ConditionTrue, time.Minute)

	eventually(t, 30*time.Second, "AppServerDegraded to go pending or firing for "+ns+"/no-sa", func() error {
		alerts, err := prom.alerts()
		if err != nil {
			return err
		}
		for _, a := range alerts {
			if a.Labels["alertname"] == "AppServerDegraded" && a.Labels["namespace"] == ns && a.Labels["name"] == "no-sa" {
				if a.State != "pending" && a.State != "firing" {
					return fmt.Errorf("state %q", a.State)
				}
				if !strings.Contains(a.Annotations["summary"], ns+"/no-sa") || a.Labels["severity"] == "" {
					t.Errorf("alert %+v: want a severity and a summary naming %s/no-sa", a, ns)
				}
				return nil
			}
		}
		return fmt.Errorf("not among the %d active alerts %v", len(alerts), alerts)
	})

	t.Run("the healthy server and the running operator raise no alert", func(t *testing.T) {
		// Once Prometheus has seen good Available and evaluated the rules
		// after that, no alert of good (nor of the operator) may be active.
		var seen time.Time
		eventually(t, 30*time.Second, "Prometheus to see good Available", func() error {
			res, err := prom.query(fmt.Sprintf(`appserver_applicationserver_condition{namespace=%q,name="good",type="Available",status="true"} == 1`, ns))
			if err != nil || len(res) == 0 {
				return fmt.Errorf("%v (%w)", res, err)
			}
			seen = time.Now()
			return nil
		})
		eventually(t, 30*time.Second, "a rule evaluation after that", func() error {
			groups, err := prom.ruleGroups()
			if err != nil {
				return err
			}
			for _, g := range groups {
				if !g.LastEvaluation.After(seen) {
					return fmt.Errorf("group %s last evaluated at %s", g.Name, g.LastEvaluation)
				}
			}
			return nil
		})
		alerts, err := prom.alerts()
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range alerts {
			if a.Labels["name"] == "good" || strings.HasPrefix(a.Labels["alertname"], "AppServerOperator") {
				t.Errorf("alert %s %s is %s: %v", a.Labels["alertname"], a.Labels["name"], a.State, a.Labels)
			}
		}
		t.Logf("active alerts: %v", alerts)
	})

	t.Run("every rule loads and evaluates without error", func(t *testing.T) {
		want := 0
		for _, g := range rules.Groups {
			want += len(g.Rules)
			for _, r := range g.Rules {
				if _, err := prom.query(r.Expr); err != nil {
					t.Errorf("%s: %s: %v", r.Alert, r.Expr, err)
				}
			}
		}
		groups, err := prom.ruleGroups()
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, g := range groups {
			for _, r := range g.Rules {
				got++
				if r.Health != "ok" {
					t.Errorf("rule %s: health %q, error %q", r.Name, r.Health, r.LastError)
				}
			}
		}
		if got != want {
			t.Errorf("Prometheus loaded %d rules, %s has %d", got, rulesFile, want)
		}
	})

	t.Run("every dashboard expression runs and the main panels show data", func(t *testing.T) {
		vars := map[string]string{"job": "appserver-operator", "namespace": ns, "name": ".*", "datasource": "prometheus",
			"__rate_interval": "1m", "__interval": "1s", "__range": "5m"}
		for _, v := range dash.Templating.List {
			if _, ok := vars[v.Name]; !ok {
				t.Errorf("dashboard variable %q: the test has no value for it", v.Name)
			}
		}
		panels := dash.allPanels()
		empty := map[string]string{}
		for _, p := range panels {
			for _, tg := range p.Targets {
				q, err := substitute(tg.Expr, vars)
				if err != nil {
					t.Errorf("panel %q: %v", p.Title, err)
					continue
				}
				res, err := prom.query(q)
				if err != nil {
					t.Errorf("panel %q: %s: %v", p.Title, q, err)
				} else if len(res) == 0 {
					empty[p.Title] = q
				}
			}
		}
		for _, title := range mainPanels {
			if !slices.ContainsFunc(panels, func(p dashPanel) bool { return p.Title == title }) {
				t.Errorf("main panel %q is not in the dashboard", title)
			}
		}
		// Rates need two samples in their window: give them a few scrapes.
		eventually(t, 30*time.Second, "the main panels to show data", func() error {
			var missing []string
			for _, p := range panels {
				if !slices.Contains(mainPanels, p.Title) {
					continue
				}
				for _, tg := range p.Targets {
					q, _ := substitute(tg.Expr, vars)
					if res, err := prom.query(q); err != nil || len(res) == 0 {
						missing = append(missing, fmt.Sprintf("%q: %s (%v)", p.Title, q, err))
					}
				}
			}
			if len(missing) > 0 {
				return fmt.Errorf("no data:\n%s", strings.Join(missing, "\n"))
			}
			return nil
		})
		t.Logf("panels without data here (metering is off): %v", keysOf(empty))

		// The variables' own queries (Grafana's label_values(selector, label)).
		want := map[string]string{"job": "appserver-operator", "namespace": ns, "name": "no-sa"}
		for _, v := range dash.Templating.List {
			if v.Type != "query" {
				continue
			}
			m := labelValuesQuery.FindStringSubmatch(v.query())
			if m == nil {
				t.Errorf("variable %s: query %q is not label_values(selector, label)", v.Name, v.query())
				continue
			}
			sel, _ := substitute(m[1], vars)
			var values []string
			if err := prom.api("/api/v1/label/"+m[2]+"/values?match[]="+url.QueryEscape(sel), &values); err != nil {
				t.Errorf("variable %s: %v", v.Name, err)
			} else if !slices.Contains(values, want[v.Name]) {
				t.Errorf("variable %s: values %v, want %q among them", v.Name, values, want[v.Name])
			}
		}
	})

	t.Run("the state metrics describe both servers", func(t *testing.T) {
		want := map[string]map[string]string{
			"good":  {"desired": "1", "ready": "1", "available": "1", "updated": "1"},
			"no-sa": {"desired": "1", "ready": "0", "available": "0", "updated": "0"},
		}
		eventually(t, 30*time.Second, "appserver_applicationserver_replicas of good and no-sa", func() error {
			res, err := prom.query(fmt.Sprintf(`appserver_applicationserver_replicas{namespace=%q}`, ns))
			if err != nil {
				return err
			}
			got := map[string]map[string]string{}
			for _, r := range res {
				if got[r.Metric["name"]] == nil {
					got[r.Metric["name"]] = map[string]string{}
				}
				got[r.Metric["name"]][r.Metric["state"]] = fmt.Sprint(r.Value[1])
			}
			if !reflect.DeepEqual(got, want) {
				return fmt.Errorf("got %v, want %v", got, want)
			}
			return nil
		})
		res, err := prom.query(fmt.Sprintf(`appserver_applicationserver_info{namespace=%q,name="good"}`, ns))
		if err != nil || len(res) != 1 || res[0].Metric["image"] != good.Spec.Deployment.Image {
			t.Errorf("info of good: %v (%v), want one series with image %s", res, err, good.Spec.Deployment.Image)
		}
	})

	t.Run("only the leader reports the state metrics", func(t *testing.T) {
		res, err := prom.query(fmt.Sprintf(`count by (instance) (appserver_applicationserver_info{namespace=%q})`, ns))
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].Metric["instance"] != leader.metricsAddr || fmt.Sprint(res[0].Value[1]) != "2" {
			t.Errorf("servers by instance: %v, want 2 from the leader %s only", res, leader.metricsAddr)
		}
	})
}

// TestMonitoringComponent renders config/default with the kustomize component
// config/prometheus: the ServiceMonitor must select the operator's metrics
// Service and port, keep the state metrics' namespace label, and the
// PrometheusRule must hold alerts.yaml unchanged.
func TestMonitoringComponent(t *testing.T) {
	dir := t.TempDir()
	// kustomize takes relative paths only.
	rel := func(p ...string) string {
		r, err := filepath.Rel(dir, filepath.Join(append([]string{root, "config"}, p...)...))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	overlay := fmt.Sprintf("namespace: team-a\nresources:\n- %s\ncomponents:\n- %s\n", rel("default"), rel("prometheus"))
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(overlay), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(root, "bin", "kubectl"), "kustomize", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v\n%s", err, out)
	}
	type object struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name      string            `json:"name"`
			Namespace string            `json:"namespace"`
			Labels    map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec json.RawMessage `json:"spec"`
	}
	objs := map[string]object{}
	for _, doc := range strings.Split(string(out), "\n---\n") {
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatal(err)
		}
		objs[o.Kind+"/"+o.Metadata.Name] = o
	}
	svc, sm, pr := objs["Service/appserver-operator"], objs["ServiceMonitor/appserver-operator"], objs["PrometheusRule/appserver-operator"]
	if svc.Kind == "" || sm.Kind == "" || pr.Kind == "" {
		t.Fatalf("want the Service, the ServiceMonitor and the PrometheusRule appserver-operator, got %v", keysOf(objs))
	}
	type servicePort struct {
		Name string `json:"name"`
		Port int    `json:"port"`
	}
	var svcSpec struct {
		Ports []servicePort `json:"ports"`
	}
	var smSpec struct {
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Endpoints []struct {
			Port        string `json:"port"`
			Path        string `json:"path"`
			HonorLabels bool   `json:"honorLabels"`
		} `json:"endpoints"`
	}
	if err := json.Unmarshal(svc.Spec, &svcSpec); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(sm.Spec, &smSpec); err != nil {
		t.Fatal(err)
	}
	for k, v := range smSpec.Selector.MatchLabels {
		if svc.Metadata.Labels[k] != v {
			t.Errorf("the ServiceMonitor selects %s=%s, the Service's labels are %v", k, v, svc.Metadata.Labels)
		}
	}
	if len(smSpec.Selector.MatchLabels) == 0 || len(smSpec.Endpoints) != 1 {
		t.Fatalf("ServiceMonitor spec %s", sm.Spec)
	}
	ep := smSpec.Endpoints[0]
	if !slices.ContainsFunc(svcSpec.Ports, func(p servicePort) bool { return p.Name == ep.Port && p.Port == 8383 }) || ep.Path != "/metrics" || !ep.HonorLabels {
		t.Errorf("ServiceMonitor endpoint %+v: want the Service's port %q (8383), /metrics, honorLabels", ep, ep.Port)
	}
	if sm.Metadata.Namespace != "team-a" || pr.Metadata.Namespace != "team-a" {
		t.Errorf("namespaces %q and %q, want the overlay's team-a", sm.Metadata.Namespace, pr.Metadata.Namespace)
	}
	src, err := os.ReadFile(filepath.Join(root, "config", "prometheus", "alerts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := yaml.Unmarshal(src, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(pr.Spec, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("the PrometheusRule's spec differs from alerts.yaml (run make manifests):\n%s", pr.Spec)
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var (
	variableRef      = regexp.MustCompile(`\$\{?(\w+)\}?`)
	labelValuesQuery = regexp.MustCompile(`^label_values\((.+),\s*(\w+)\)$`)
)

// substitute replaces Grafana's $var and ${var} with vars, and fails on a
// variable it does not know.
func substitute(expr string, vars map[string]string) (string, error) {
	var unknown []string
	out := variableRef.ReplaceAllStringFunc(expr, func(ref string) string {
		name := variableRef.FindStringSubmatch(ref)[1]
		v, ok := vars[name]
		if !ok {
			unknown = append(unknown, name)
		}
		return v
	})
	if len(unknown) > 0 {
		return "", fmt.Errorf("%s: unknown variables %v", expr, unknown)
	}
	return out, nil
}

type rulesFile struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Alert string `json:"alert"`
			Expr  string `json:"expr"`
		} `json:"rules"`
	} `json:"groups"`
}

func loadRules(t *testing.T, path string) rulesFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f rulesFile
	if err := yaml.Unmarshal(b, &f); err != nil || len(f.Groups) == 0 {
		t.Fatalf("%s: %v, %d groups", path, err, len(f.Groups))
	}
	return f
}

type dashPanel struct {
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []dashPanel `json:"panels"`
}

type dashboard struct {
	Panels     []dashPanel `json:"panels"`
	Templating struct {
		List []dashVariable `json:"list"`
	} `json:"templating"`
}

type dashVariable struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Query json.RawMessage `json:"query"`
}

// query is the variable's query, a string or {"query": "..."}.
func (v dashVariable) query() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(v.Query, &o)
	return o.Query
}

// allPanels lists the panels, those inside rows included.
func (d dashboard) allPanels() []dashPanel {
	var out []dashPanel
	var walk func([]dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

func loadDashboard(t *testing.T, path string) dashboard {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	n := 0
	for _, p := range d.allPanels() {
		n += len(p.Targets)
	}
	if n == 0 {
		t.Fatalf("%s: no panel has a target", path)
	}
	return d
}

// promAlert is one of /api/v1/alerts.
type promAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
}

func (p *prometheusProcess) alerts() ([]promAlert, error) {
	var data struct {
		Alerts []promAlert `json:"alerts"`
	}
	err := p.api("/api/v1/alerts", &data)
	return data.Alerts, err
}

// promRuleGroup is one of /api/v1/rules.
type promRuleGroup struct {
	Name           string    `json:"name"`
	LastEvaluation time.Time `json:"lastEvaluation"`
	Rules          []struct {
		Name      string `json:"name"`
		Health    string `json:"health"`
		LastError string `json:"lastError"`
	} `json:"rules"`
}

func (p *prometheusProcess) ruleGroups() ([]promRuleGroup, error) {
	var data struct {
		Groups []promRuleGroup `json:"groups"`
	}
	err := p.api("/api/v1/rules", &data)
	return data.Groups, err
}
