//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// Metering end to end: the operator process scrapes stand-in application
// servers (test/standin, a test double) that listen at the loopback IPs of
// pods on the kwok-loopback node, and serves what it scraped on its metering
// API. Scrapes run every 2s with a 1s timeout so that a round is quick.
var meteringEnv = []string{"METERING_ENABLED=TRUE", "METERING_INTERVAL=2s", "METERING_TIMEOUT_SCRAPE=1s"}

// scrapeSettle bounds how long a change (a new pod, a deleted server, a
// failing target) takes to show on the API: the next round starts within
// METERING_INTERVAL (2s) and lasts at most METERING_TIMEOUT_SCRAPE (1s), and
// the operator's cache sees the change a moment after the test does.
const scrapeSettle = 15 * time.Second

func TestMetering(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, "metering")
	sd := startStandin(t, ns)
	meteringAddr := freeAddr(t)
	op := startOperator(t, append(slices.Clone(meteringEnv), "WATCH_NAMESPACE="+ns), "--metering-bind-address", meteringAddr)
	api := newMeteringAPI(meteringAddr)

	// a and b are metered, c is not; slow, huge and garbage misbehave.
	servers := []*v1alpha1.ApplicationServer{
		loopbackAppServer(ns, "a", 2, sd.port, ""),
		loopbackAppServer(ns, "b", 2, sd.port, ""),
		loopbackAppServer(ns, "c", 2, sd.port, ""),
		loopbackAppServer(ns, "slow", 3, sd.port, "slow"),
		loopbackAppServer(ns, "huge", 1, sd.port, "huge"),
		loopbackAppServer(ns, "garbage", 1, sd.port, "garbage"),
	}
	servers[2].Spec.Server.Metering.Enabled = false
	for _, as := range servers {
		if err := k8s.Create(ctx, as); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 2*time.Minute, "every pod to be ready", func() error {
		for _, as := range servers {
			n, err := readyPods(t, ns, as.Name)
			if err != nil {
				return err
			}
			if n != int(*as.Spec.Deployment.Replicas) {
				return fmt.Errorf("%s: %d ready pods, want %d", as.Name, n, *as.Spec.Deployment.Replicas)
			}
		}
		return nil
	})
	for _, name := range []string{"a", "b"} {
		waitMeteringStatus(t, client.ObjectKey{Namespace: ns, Name: name}, scrapeSettle, func(m *v1alpha1.MeteringStatus) error {
			if m.Targets != 2 || m.HealthyTargets != 2 || m.LastError != "" || m.LastScrapeTime == nil {
				return errors.New("want 2 healthy targets, no error and a lastScrapeTime")
			}
			return nil
		})
	}

	t.Run("GET /metrics holds every series of the metered pods with their labels, and nothing else", func(t *testing.T) {
		want := map[string]bool{}
		for _, name := range []string{"a", "b"} {
			for _, pod := range podsOf(t, ns, name) {
				for key := range sd.seriesOf(t, ns, pod, name) {
					want[key] = true
				}
			}
		}
		eventually(t, scrapeSettle, "GET /metrics to hold the series of a's and b's pods", func() error {
			got, err := api.text("/metrics")
			if err != nil {
				return err
			}
			return sameKeys(got, want)
		})
		got, err := api.text("/metrics")
		if err != nil {
			t.Fatal(err)
		}
		pods := map[string]string{}
		for key, s := range got {
			if s.metric["server"] != s.metric["pod"] {
				t.Errorf("%s: server label %q is not the pod label %q: scraped the wrong pod", key, s.metric["server"], s.metric["pod"])
			}
			if s.metric["namespace"] != model.LabelValue(ns) {
				t.Errorf("%s: namespace label, want %q", key, ns)
			}
			pods[string(s.metric["pod"])] = string(s.metric["applicationserver"])
		}
		if len(pods) != 4 {
			t.Errorf("series from %d pods, want the 4 pods of a and b: %v", len(pods), pods)
		}
		t.Logf("GET /metrics: %d series from pods %v", len(got), pods)
		// status.metering is only there for metered servers.
		c := &v1alpha1.ApplicationServer{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "c"}, c); err != nil {
			t.Fatal(err)
		}
		if c.Status.Metering != nil {
			t.Errorf("c has metering disabled but status.metering %+v", *c.Status.Metering)
		}
	})

	t.Run("GET /metrics/<name> and /metrics/<namespace>/<name> hold that server's series only", func(t *testing.T) {
		aPods := podsOf(t, ns, "a")
		for _, path := range []string{"/metrics/a", "/metrics/" + ns + "/a"} {
			got, err := api.text(path)
			if err != nil {
				t.Fatal(err)
			}
			if servers := labelValues(got, "applicationserver"); !slices.Equal(servers, []string{"a"}) {
				t.Errorf("%s: applicationserver labels %v, want [a]", path, servers)
			}
			if pods := labelValues(got, "pod"); !slices.Equal(pods, aPods) {
				t.Errorf("%s: pods %v, want a's pods %v", path, pods, aPods)
			}
		}
		// A server whose pods all fail is known, without samples.
		got, err := api.text("/metrics/slow")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Errorf("/metrics/slow: %d series, want none (every scrape times out)", len(got))
		}
	})

	t.Run("JSON and text hold the same samples", func(t *testing.T) {
		for _, path := range []string{"/metrics", "/metrics/b"} {
			var text map[string]series
			var doc map[string][]jsonFamily
			var types map[string]*dto.MetricFamily
			// The store changes at every round: take a JSON answer between
			// two identical text answers, so that all three saw one state.
			eventually(t, 30*time.Second, path+": two identical text answers around a JSON one", func() error {
				before, err := api.get(path, "")
				if err != nil {
					return err
				}
				body, err := api.get(path, "application/json")
				if err != nil {
					return err
				}
				after, err := api.get(path, "")
				if err != nil {
					return err
				}
				if !bytes.Equal(before, after) {
					return errors.New("a scrape round ended in between")
				}
				if types, err = parseFamilies(before); err != nil {
					return err
				}
				if text, err = flatten(types); err != nil {
					return err
				}
				doc = nil
				return json.Unmarshal(body, &doc)
			})
			wantKeys := []string{"b"}
			if path == "/metrics" {
				wantKeys = []string{"a", "b", "garbage", "huge", "slow"}
			}
			if keys := slices.Sorted(maps.Keys(doc)); !slices.Equal(keys, wantKeys) {
				t.Errorf("%s: JSON keys %v, want %v", path, keys, wantKeys)
			}
			fromJSON := map[string]series{}
			for server, fams := range doc {
				if server != "a" && server != "b" && len(fams) != 0 {
					t.Errorf("%s: %s has no good scrape, but JSON has %d families for it", path, server, len(fams))
				}
				for _, f := range fams {
					tf, ok := types[f.Name]
					switch {
					case !ok:
						t.Errorf("%s: JSON family %s is not in the text answer", path, f.Name)
					case f.Type != strings.ToLower(tf.GetType().String()) || f.Help != tf.GetHelp():
						t.Errorf("%s: family %s: JSON type %q help %q, text %v %q", path, f.Name, f.Type, f.Help, tf.GetType(), tf.GetHelp())
					}
					for _, s := range f.Metrics {
						if s.Labels["applicationserver"] != server {
							t.Errorf("%s: sample of %s under JSON key %q", path, s.Labels["applicationserver"], server)
						}
						name := cmpOr(s.Name, f.Name)
						m := model.Metric{model.MetricNameLabel: model.LabelValue(name)}
						for k, v := range s.Labels {
							m[model.LabelName(k)] = model.LabelValue(v)
						}
						v, err := strconv.ParseFloat(s.Value, 64)
						if err != nil {
							t.Errorf("%s: %s: value %q: %v", path, m, s.Value, err)
						}
						if _, dup := fromJSON[m.String()]; dup {
							t.Errorf("%s: series %s twice in JSON", path, m)
						}
						fromJSON[m.String()] = series{metric: m, value: model.SampleValue(v).String()}
					}
				}
			}
			if len(text) == 0 {
				t.Fatalf("%s: no samples in the text answer", path)
			}
			for key, s := range text {
				switch j, ok := fromJSON[key]; {
				case !ok:
					t.Errorf("%s: %s in text, not in JSON", path, key)
				case j.value != s.value:
					t.Errorf("%s: %s is %s in text, %s in JSON", path, key, s.value, j.value)
				}
			}
			for key := range fromJSON {
				if _, ok := text[key]; !ok {
					t.Errorf("%s: %s in JSON, not in text", path, key)
				}
			}
		}
	})

	t.Run("misbehaving targets show in status and in the operator's metrics", func(t *testing.T) {
		for name, want := range map[string]struct {
			targets int32
			err     *regexp.Regexp
		}{
			"slow":    {3, regexp.MustCompile(`^slow-[a-z0-9]+-[a-z0-9]+: timeout \(and 2 more\)$`)},
			"huge":    {1, regexp.MustCompile(`^huge-[a-z0-9]+-[a-z0-9]+: body larger than 10 MiB$`)},
			"garbage": {1, regexp.MustCompile(`^garbage-[a-z0-9]+-[a-z0-9]+: parse error: .+`)},
		} {
			waitMeteringStatus(t, client.ObjectKey{Namespace: ns, Name: name}, scrapeSettle, func(m *v1alpha1.MeteringStatus) error {
				if m.Targets != want.targets || m.HealthyTargets != 0 || !want.err.MatchString(m.LastError) {
					return fmt.Errorf("want %d targets, 0 healthy, lastError matching %s", want.targets, want.err)
				}
				t.Logf("%s: status.metering.lastError %q", name, m.LastError)
				return nil
			})
		}
		for reason, atLeast := range map[string]float64{"timeout": 3, "too_large": 1, "parse": 1} {
			eventually(t, scrapeSettle, "appserver_metering_scrape_errors_total{reason="+reason+"}", func() error {
				v, err := op.selfMetric("appserver_metering_scrape_errors_total", map[string]string{"reason": reason})
				if err != nil {
					return err
				}
				if v < atLeast {
					return fmt.Errorf("%v, want at least %v", v, atLeast)
				}
				t.Logf("appserver_metering_scrape_errors_total{reason=%q} %v", reason, v)
				return nil
			})
		}
		// a 2, b 2, slow 3, huge 1, garbage 1; c is not metered.
		if v, err := op.selfMetric("appserver_metering_targets", nil); err != nil || v != 9 {
			t.Errorf("appserver_metering_targets %v (%v), want 9", v, err)
		}
		for _, m := range []string{"appserver_metering_scrape_duration_seconds_count", "appserver_metering_scrape_bytes_total"} {
			if v, err := op.selfMetric(m, nil); err != nil || v <= 0 {
				t.Errorf("%s %v (%v), want > 0", m, v, err)
			}
		}
	})

	t.Run("healthy servers keep fresh values while others misbehave", func(t *testing.T) {
		aPod := podsOf(t, ns, "a")[0]
		key := model.Metric{model.MetricNameLabel: "application_requests_total", "applicationserver": "a",
			"namespace": model.LabelValue(ns), "pod": model.LabelValue(aPod), "server": model.LabelValue(aPod)}.String()
		read := func() (string, error) {
			got, err := api.text("/metrics/a")
			if err != nil {
				return "", err
			}
			s, ok := got[key]
			if !ok {
				return "", fmt.Errorf("no series %s", key)
			}
			return s.value, nil
		}
		last, err := read()
		if err != nil {
			t.Fatal(err)
		}
		// Two rounds in a row bring a new value: each round lasts at least
		// the 1s timeout of the slow pods, and does not stall a's scrapes.
		for i := range 2 {
			eventually(t, 10*time.Second, fmt.Sprintf("new value %d of %s (was %s)", i+1, key, last), func() error {
				v, err := read()
				if err != nil {
					return err
				}
				if v == last {
					return errors.New("unchanged")
				}
				last = v
				return nil
			})
		}
		for _, name := range []string{"a", "b"} {
			as := &v1alpha1.ApplicationServer{}
			if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, as); err != nil {
				t.Fatal(err)
			}
			if m := as.Status.Metering; m == nil || m.Targets != 2 || m.HealthyTargets != 2 || m.LastError != "" {
				t.Errorf("%s: status.metering %+v, want 2 healthy targets and no error", name, m)
			}
		}
	})

	t.Run("an unknown server is 404 with a JSON error", func(t *testing.T) {
		for _, path := range []string{"/metrics/nope", "/metrics/" + ns + "/nope", "/metrics/other-namespace/a", "/metrics/c"} {
			code, ctype, body, err := api.do(path, "")
			if err != nil {
				t.Fatal(err)
			}
			var e struct {
				Error string `json:"error"`
			}
			if code != http.StatusNotFound || !strings.HasPrefix(ctype, "application/json") {
				t.Errorf("GET %s: %d %q, want 404 application/json", path, code, ctype)
			}
			if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Error, "not found") {
				t.Errorf("GET %s: body %q, want {\"error\": \"... not found\"} (%v)", path, body, err)
			}
		}
	})

	t.Run("scaling a server up adds its new pod's series by the next scrape", func(t *testing.T) {
		before := podsOf(t, ns, "a")
		kubectl(t, "scale", "-n", ns, "applicationserver/a", "--replicas=3")
		eventually(t, 2*time.Minute, "a 3rd ready pod of a", func() error {
			n, err := readyPods(t, ns, "a")
			if err != nil {
				return err
			}
			if n != 3 {
				return fmt.Errorf("%d ready", n)
			}
			return nil
		})
		after := podsOf(t, ns, "a")
		eventually(t, scrapeSettle, "the series of a's 3 pods", func() error {
			got, err := api.text("/metrics/a")
			if err != nil {
				return err
			}
			if pods := labelValues(got, "pod"); !slices.Equal(pods, after) {
				return fmt.Errorf("pods %v, want %v (before scaling: %v)", pods, after, before)
			}
			return nil
		})
		waitMeteringStatus(t, client.ObjectKey{Namespace: ns, Name: "a"}, scrapeSettle, func(m *v1alpha1.MeteringStatus) error {
			if m.Targets != 3 || m.HealthyTargets != 3 || m.LastError != "" {
				return errors.New("want 3 healthy targets")
			}
			return nil
		})
	})

	t.Run("deleting a server removes its series", func(t *testing.T) {
		if err := k8s.Delete(ctx, &v1alpha1.ApplicationServer{ObjectMeta: servers[1].ObjectMeta}); err != nil {
			t.Fatal(err)
		}
		eventually(t, scrapeSettle, "b to leave the metering API", func() error {
			code, _, _, err := api.do("/metrics/b", "")
			if err != nil {
				return err
			}
			if code != http.StatusNotFound {
				return fmt.Errorf("GET /metrics/b: %d, want 404", code)
			}
			got, err := api.text("/metrics")
			if err != nil {
				return err
			}
			if servers := labelValues(got, "applicationserver"); !slices.Equal(servers, []string{"a"}) {
				return fmt.Errorf("GET /metrics has series of %v, want only a", servers)
			}
			return nil
		})
	})
}

// loopbackAppServer is an ApplicationServer whose pods land on the
// kwok-loopback node (so the stand-in serves them), with metering on at
// port and the stand-in mode annotation on its pod template when set.
func loopbackAppServer(ns, name string, replicas, port int32, mode string) *v1alpha1.ApplicationServer {
	as := newAppServer(ns, name, replicas)
	as.Spec.Deployment.NodeSelector = map[string]string{"appserver.dev/loopback": "true"}
	as.Spec.Deployment.Tolerations = []corev1.Toleration{{Key: "appserver.dev/loopback", Operator: corev1.TolerationOpExists}}
	as.Spec.Server.Metering = &v1alpha1.MeteringSpec{Enabled: true, Port: port} // scheme and path: the defaults, https and /metrics
	if mode != "" {
		as.Spec.Deployment.Annotations = map[string]string{"standin.appserver.dev/mode": mode}
	}
	return as
}

// podsOf returns the sorted names of the ready pods of one server.
func podsOf(t *testing.T, ns, name string) []string {
	t.Helper()
	pods := &corev1.PodList{}
	if err := k8s.List(context.Background(), pods, client.InNamespace(ns), client.MatchingLabels{v1alpha1.LabelInstance: name}); err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := range pods.Items {
		if pods.Items[i].DeletionTimestamp == nil && podReady(&pods.Items[i]) {
			out = append(out, pods.Items[i].Name)
		}
	}
	slices.Sort(out)
	return out
}

// waitMeteringStatus waits until the server's status.metering satisfies ok.
func waitMeteringStatus(t *testing.T, key client.ObjectKey, timeout time.Duration, ok func(*v1alpha1.MeteringStatus) error) {
	t.Helper()
	eventually(t, timeout, key.String()+" status.metering", func() error {
		as := &v1alpha1.ApplicationServer{}
		if err := k8s.Get(context.Background(), key, as); err != nil {
			return err
		}
		if as.Status.Metering == nil {
			return errors.New("no status.metering")
		}
		if err := ok(as.Status.Metering); err != nil {
			return fmt.Errorf("%w; have %+v", err, *as.Status.Metering)
		}
		return nil
	})
}

// standinProcess is the stand-in application server (test/standin, a test
// double) serving the pods of one namespace on the kwok-loopback node.
type standinProcess struct {
	*localProcess
	port int32
}

// startStandin builds and runs the stand-in until the test ends. It listens
// on a free port rather than 8443: other local clusters give their loopback
// pods the same 127.0.10.x addresses.
func startStandin(t *testing.T, ns string, args ...string) *standinProcess {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "standin")
	build := exec.Command("go", "build", "-o", bin, "./test/standin")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the stand-in: %v\n%s", err, out)
	}
	_, port, err := net.SplitHostPort(freeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(port)
	p := &standinProcess{port: int32(n)}
	p.localProcess = newLocalProcess(t, "stand-in", bin, filepath.Join(dir, "standin.log"),
		append([]string{"--kubeconfig", kubeconfig, "--namespace", ns, "--port", port, "--slow-for", "30s"}, args...),
		nil, 10*time.Second, 4096)
	p.start(t)
	return p
}

// seriesOf scrapes the stand-in of one pod directly and returns the series
// the operator should serve for it: the same, with the applicationserver,
// namespace and pod labels.
func (p *standinProcess) seriesOf(t *testing.T, ns, podName, server string) map[string]bool {
	t.Helper()
	pod := &corev1.Pod{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: podName}, pod); err != nil {
		t.Fatal(err)
	}
	if pod.Status.PodIP == "" {
		t.Fatalf("pod %s of %s has no IP", podName, server)
	}
	direct := newMeteringAPI(net.JoinHostPort(pod.Status.PodIP, strconv.Itoa(int(p.port))))
	got, err := direct.text("/metrics")
	if err != nil {
		t.Fatalf("scraping the stand-in of %s directly: %v", podName, err)
	}
	if len(got) == 0 {
		t.Fatalf("the stand-in of %s serves no series", podName)
	}
	out := map[string]bool{}
	for _, s := range got {
		m := s.metric.Clone()
		m["applicationserver"], m["namespace"], m["pod"] = model.LabelValue(server), model.LabelValue(ns), model.LabelValue(podName)
		out[m.String()] = true
	}
	return out
}

// meteringAPI is an HTTPS client of the metering API (or of any metrics
// endpoint with a self-signed certificate).
type meteringAPI struct {
	base string
	hc   *http.Client
}

func newMeteringAPI(addr string) *meteringAPI {
	return &meteringAPI{base: "https://" + addr, hc: &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			Proxy:             nil,
			DisableKeepAlives: true,
			// The metering API's certificate is self-signed.
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		},
	}}
}

// do GETs path with an Accept header (none when empty).
func (a *meteringAPI) do(path, accept string) (code int, contentType string, body []byte, err error) {
	req, err := http.NewRequest(http.MethodGet, a.base+path, nil)
	if err != nil {
		return 0, "", nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body, err
}

// get GETs path and fails unless the answer is 200 in the format asked for.
func (a *meteringAPI) get(path, accept string) ([]byte, error) {
	code, ctype, body, err := a.do(path, accept)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", path, code, bytes.TrimSpace(body))
	}
	want := "text/plain; version=0.0.4"
	if accept == "application/json" {
		want = "application/json"
	}
	if !strings.HasPrefix(ctype, want) {
		return nil, fmt.Errorf("GET %s: Content-Type %q, want %s", path, ctype, want)
	}
	return body, nil
}

// series is one sample of a flattened exposition: histograms and summaries
// are expanded into their _bucket, _sum and _count series as Prometheus
// stores them. Its value is written as model.SampleValue does.
type series struct {
	metric model.Metric
	value  string
}

// text GETs path as Prometheus text and returns its series by their
// canonical name (model.Metric.String).
func (a *meteringAPI) text(path string) (map[string]series, error) {
	body, err := a.get(path, "")
	if err != nil {
		return nil, err
	}
	fams, err := parseFamilies(body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	return flatten(fams)
}

func parseFamilies(body []byte) (map[string]*dto.MetricFamily, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parsing Prometheus text: %w", err)
	}
	return fams, nil
}

func flatten(fams map[string]*dto.MetricFamily) (map[string]series, error) {
	vec, err := expfmt.ExtractSamples(&expfmt.DecodeOptions{Timestamp: model.Now()}, slices.Collect(maps.Values(fams))...)
	if err != nil {
		return nil, fmt.Errorf("flattening samples: %w", err)
	}
	out := make(map[string]series, len(vec))
	for _, s := range vec {
		key := s.Metric.String()
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("series %s appears twice", key)
		}
		out[key] = series{metric: s.Metric, value: s.Value.String()}
	}
	return out, nil
}

// sameKeys compares the series names of got with want.
func sameKeys(got map[string]series, want map[string]bool) error {
	var missing, extra []string
	for k := range want {
		if _, ok := got[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	if len(missing)+len(extra) == 0 {
		return nil
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return fmt.Errorf("%d series missing (first ones: %v), %d unexpected (first ones: %v)",
		len(missing), missing[:min(3, len(missing))], len(extra), extra[:min(3, len(extra))])
}

// labelValues returns the sorted distinct values of one label.
func labelValues(got map[string]series, label model.LabelName) []string {
	seen := map[string]bool{}
	for _, s := range got {
		seen[string(s.metric[label])] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// jsonFamily is one family of the metering API's JSON answer.
type jsonFamily struct {
	Name    string `json:"name"`
	Help    string `json:"help"`
	Type    string `json:"type"`
	Metrics []struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
		Value  string            `json:"value"`
	} `json:"metrics"`
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// selfMetric reads the operator's own metrics endpoint and sums the samples
// of one series name (histograms flattened: x_count, x_sum, x_bucket) whose
// labels include match.
func (p *operatorProcess) selfMetric(name string, match map[string]string) (float64, error) {
	hc := http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get("http://" + p.metricsAddr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	fams, err := parseFamilies(body)
	if err != nil {
		return 0, err
	}
	all, err := flatten(fams)
	if err != nil {
		return 0, err
	}
	sum, found := 0.0, false
next:
	for _, s := range all {
		if string(s.metric[model.MetricNameLabel]) != name {
			continue
		}
		for k, v := range match {
			if string(s.metric[model.LabelName(k)]) != v {
				continue next
			}
		}
		v, err := strconv.ParseFloat(s.value, 64)
		if err != nil {
			return 0, err
		}
		sum, found = sum+v, true
	}
	if !found {
		return 0, fmt.Errorf("no sample %s%v", name, match)
	}
	return sum, nil
}
