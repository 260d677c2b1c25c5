//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/internal/testutil"
)

// TestPrometheus runs a real Prometheus (upstream's, built from its Go module
// by make tools from hack/tools/prometheus) with the WebOTX guide's kubernetes_sd_configs example
// (testdata/prometheus.yml): it must discover the "operator pod" by its
// prometheus.io/* annotations and scrape our metering API at that pod's IP.
func TestPrometheus(t *testing.T) {
	promBin, promtoolBin := ensurePrometheus(t)
	ctx := context.Background()
	ns := newNamespace(t, "prometheus")
	sd := startStandin(t, ns)

	// The operator's pod, annotated as in the guide (2.1.6), on the loopback
	// node so that it has a 127.0.10.x IP; the operator process then serves
	// the metering API at that IP, where Prometheus will look for it.
	opPod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "appserver-operator", Namespace: ns,
			Labels: map[string]string{"app.kubernetes.io/name": "appserver-operator"},
			Annotations: map[string]string{
				"prometheus.io/scrape": "true",
				"prometheus.io/scheme": "https",
				"prometheus.io/path":   "/metrics",
				"prometheus.io/port":   "8989",
			},
		},
		Spec: corev1.PodSpec{
			Containers:   []corev1.Container{restrictedContainer("manager", "ghcr.io/appserver-operator/appserver-operator:dev")},
			NodeSelector: map[string]string{"appserver.dev/loopback": "true"},
			Tolerations:  []corev1.Toleration{{Key: "appserver.dev/loopback", Operator: corev1.TolerationOpExists}},
		},
	}
	if err := k8s.Create(ctx, opPod); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "the operator pod to run with a 127.0.10.x IP", func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(opPod), opPod); err != nil {
			return err
		}
		if opPod.Status.Phase != corev1.PodRunning || !strings.HasPrefix(opPod.Status.PodIP, "127.0.10.") {
			return fmt.Errorf("phase %s ip %q", opPod.Status.Phase, opPod.Status.PodIP)
		}
		return nil
	})
	meteringAddr := net.JoinHostPort(opPod.Status.PodIP, "8989")
	// Another local cluster's pods have the same 127.0.10.x IPs: say so
	// plainly when someone else holds the address.
	if l, err := net.Listen("tcp", meteringAddr); err != nil {
		t.Fatalf("%s is taken, the metering API cannot listen there (another cluster's operator on :8989?): %v", meteringAddr, err)
	} else {
		l.Close()
	}
	startOperator(t, append(slices.Clone(meteringEnv), "WATCH_NAMESPACE="+ns), "--metering-bind-address", meteringAddr)
	// The operator installs the CRD: the ApplicationServer comes after it.
	if err := k8s.Create(ctx, loopbackAppServer(ns, "web", 2, sd.port, "")); err != nil {
		t.Fatal(err)
	}
	api := newMeteringAPI(meteringAddr)
	eventually(t, 2*time.Minute, "the metering API to serve web's 2 pods", func() error {
		got, err := api.text("/metrics/web")
		if err != nil {
			return err
		}
		if pods := labelValues(got, "pod"); len(pods) != 2 {
			return fmt.Errorf("pods %v, want 2", pods)
		}
		return nil
	})
	webPods := podsOf(t, ns, "web")

	t.Run("promtool check metrics finds nothing in GET /metrics beyond the application's own naming", func(t *testing.T) {
		body, err := api.get("/metrics", "")
		if err != nil {
			t.Fatal(err)
		}
		ours, code := promtoolCheckMetrics(t, promtoolBin, body)
		// promtool exits 3 for naming advice (lint) and 1 when it cannot
		// parse the exposition. The stand-in's MicroProfile names draw
		// advice (camelCase, a counter without _total): the same advice on
		// the stand-in's own answer is expected; anything else is ours.
		direct, err := newMeteringAPI(net.JoinHostPort(mustPodIP(t, ns, webPods[0]), fmt.Sprint(sd.port))).get("/metrics", "")
		if err != nil {
			t.Fatal(err)
		}
		theirs, _ := promtoolCheckMetrics(t, promtoolBin, direct)
		if (code != 0 && code != 3) || !slices.Equal(ours, theirs) {
			t.Errorf("promtool check metrics on GET /metrics: exit %d, problems:\n%s\nwant exit 0 or 3 and only the problems it finds in the stand-in's own answer:\n%s\nthe answer:\n%s",
				code, strings.Join(ours, "\n"), strings.Join(theirs, "\n"), testutil.Tail(string(body), 2048))
		}
		t.Logf("promtool check metrics: exit %d, the stand-in's naming advice only: %q", code, ours)
	})

	prom := startPrometheus(t, promBin)

	var target promTarget
	eventually(t, time.Minute, "Prometheus to discover the operator pod and scrape it (up)", func() error {
		targets, err := prom.targets()
		if err != nil {
			return err
		}
		for _, tg := range targets {
			if tg.DiscoveredLabels["__meta_kubernetes_pod_name"] == opPod.Name && tg.DiscoveredLabels["__meta_kubernetes_namespace"] == ns {
				target = tg
				if tg.Health != "up" {
					return fmt.Errorf("target %s is %q: %s", tg.ScrapeURL, tg.Health, tg.LastError)
				}
				return nil
			}
		}
		return fmt.Errorf("the operator pod is not among Prometheus' %d active targets", len(targets))
	})
	if want := "https://" + meteringAddr + "/metrics"; target.ScrapeURL != want {
		t.Errorf("Prometheus scrapes %s, want %s", target.ScrapeURL, want)
	}
	if target.Labels["job"] != "kubernetes-pods" || target.Labels["instance"] != meteringAddr || target.Labels["app_kubernetes_io_name"] != "appserver-operator" {
		t.Errorf("target labels %v, want job kubernetes-pods, instance %s and the pod's labels", target.Labels, meteringAddr)
	}

	t.Logf("Prometheus target: %s %s, labels %v", target.ScrapeURL, target.Health, target.Labels)

	query := fmt.Sprintf(`application_requests_total{applicationserver="web",namespace=%q}`, ns)
	eventually(t, 30*time.Second, "PromQL "+query+" to return web's pods", func() error {
		res, err := prom.query(query)
		if err != nil {
			return err
		}
		var pods []string
		for _, r := range res {
			m := r.Metric
			if m["job"] != "kubernetes-pods" || m["instance"] != meteringAddr || m["server"] != m["pod"] {
				return fmt.Errorf("series %v: want job kubernetes-pods, instance %s, server = pod", m, meteringAddr)
			}
			pods = append(pods, m["pod"])
		}
		slices.Sort(pods)
		if !slices.Equal(pods, webPods) {
			return fmt.Errorf("pods %v, want %v", pods, webPods)
		}
		t.Logf("PromQL %s: %v", query, res)
		return nil
	})
}

// ensurePrometheus returns the paths of bin/prometheus and bin/promtool,
// which make tools builds from upstream's module pinned in
// hack/tools/prometheus (Debian's prometheus has no Kubernetes discovery).
func ensurePrometheus(t *testing.T) (prom, promtool string) {
	t.Helper()
	prom, promtool = filepath.Join(root, "bin", "prometheus"), filepath.Join(root, "bin", "promtool")
	for _, p := range []string{prom, promtool} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s is missing: run 'make tools' (it builds Prometheus from hack/tools/prometheus): %v", p, err)
		}
	}
	return prom, promtool
}

// promtoolCheckMetrics runs `promtool check metrics` on an exposition and
// returns its output lines, sorted, and its exit code.
func promtoolCheckMetrics(t *testing.T, promtool string, exposition []byte) ([]string, int) {
	t.Helper()
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running promtool: %v", err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	slices.Sort(lines)
	return lines, cmd.ProcessState.ExitCode()
}

func mustPodIP(t *testing.T, ns, name string) string {
	t.Helper()
	pod := &corev1.Pod{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, pod); err != nil {
		t.Fatal(err)
	}
	if pod.Status.PodIP == "" {
		t.Fatalf("pod %s has no IP", name)
	}
	return pod.Status.PodIP
}

// prometheusProcess is a Prometheus server run by the test.
type prometheusProcess struct {
	base string
	hc   *http.Client
}

// startPrometheus writes testdata/prometheus.yml with the test cluster's API
// server and client certificate and runs Prometheus with it, on a free
// loopback port with its storage in a temporary directory, until the test
// ends.
func startPrometheus(t *testing.T, promBin string) *prometheusProcess {
	t.Helper()
	dir := t.TempDir()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := rest.LoadTLSFiles(cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.CertData) == 0 || len(cfg.KeyData) == 0 {
		t.Fatalf("the kubeconfig %s has no client certificate for Prometheus to use", kubeconfig)
	}
	vars := struct{ APIServer, CertFile, KeyFile string }{cfg.Host, filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key")}
	if err := os.WriteFile(vars.CertFile, cfg.CertData, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vars.KeyFile, cfg.KeyData, 0o600); err != nil {
		t.Fatal(err)
	}
	tmpl, err := template.ParseFiles(filepath.Join("testdata", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var config bytes.Buffer
	if err := tmpl.Execute(&config, vars); err != nil {
		t.Fatal(err)
	}
	return runPrometheus(t, promBin, dir, config.String())
}

// runPrometheus runs Prometheus with config (written to dir/prometheus.yml;
// relative paths in it are relative to dir) on a free loopback port with its
// storage in dir, until the test ends, and waits until it is ready.
func runPrometheus(t *testing.T, promBin, dir, config string) *prometheusProcess {
	t.Helper()
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}

	addr := freeAddr(t)
	proc := newLocalProcess(t, "Prometheus", promBin, filepath.Join(dir, "prometheus.log"), []string{
		"--config.file=" + configFile,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr,
	}, nil, 15*time.Second, 4096)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Prometheus configuration:\n%s", config)
		}
	})
	proc.start(t)
	p := &prometheusProcess{base: "http://" + addr, hc: &http.Client{Timeout: 10 * time.Second}}
	eventually(t, time.Minute, "Prometheus to be ready", func() error {
		select {
		case <-proc.exited: // read before any restart: nothing else starts it
			t.Fatalf("Prometheus exited: %v", proc.cmd.ProcessState)
		default:
		}
		resp, err := p.hc.Get(p.base + "/-/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/-/ready: %s", resp.Status)
		}
		return nil
	})
	return p
}

// promTarget is an active target of /api/v1/targets.
type promTarget struct {
	DiscoveredLabels map[string]string `json:"discoveredLabels"`
	Labels           map[string]string `json:"labels"`
	ScrapeURL        string            `json:"scrapeUrl"`
	Health           string            `json:"health"`
	LastError        string            `json:"lastError"`
}

func (p *prometheusProcess) targets() ([]promTarget, error) {
	var data struct {
		ActiveTargets []promTarget `json:"activeTargets"`
	}
	err := p.api("/api/v1/targets?state=active", &data)
	return data.ActiveTargets, err
}

// promSeries is one series of an instant query's vector result.
type promSeries struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"`
}

func (p *prometheusProcess) query(q string) ([]promSeries, error) {
	var data struct {
		ResultType string       `json:"resultType"`
		Result     []promSeries `json:"result"`
	}
	if err := p.api("/api/v1/query?query="+url.QueryEscape(q), &data); err != nil {
		return nil, err
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("result type %q, want vector", data.ResultType)
	}
	return data.Result, nil
}

// api GETs a Prometheus HTTP API path and decodes its data.
func (p *prometheusProcess) api(path string, data any) error {
	resp, err := p.hc.Get(p.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var envelope struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return fmt.Errorf("GET %s: %s: %w", path, resp.Status, err)
	}
	if envelope.Status != "success" {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, envelope.Error)
	}
	return json.Unmarshal(envelope.Data, data)
}
