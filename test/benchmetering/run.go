package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/operator"

	"github.com/appserver-operator/appserver-operator/test/benchkit"
)

const namespace = "bench-metering"

// round is one full scrape round measured.
type round struct {
	duration time.Duration // from appserver_metering_round_duration_seconds
	ended    time.Time     // when the harness saw it end
}

// result is everything the table shows.
type result struct {
	loopbackNodes int
	servers       int
	interval      time.Duration
	scrapeTimeout time.Duration
	warmup        round
	rounds        []round
	targets       float64 // appserver_metering_targets after the last round
	scrapes       float64 // scrapes in the measured rounds
	failed        float64 // of them, failed
	cpuWindow     time.Duration
	cpuAPI        time.Duration // the API requests' share of cpuWindow
	cpuAPIAll     time.Duration // all the API requests' CPU
	rss, hwm      int64
	memoryLimit   string // the operator container's memory limit
	api           []*apiSeries
	loadStart     string
	loadEnd       string
}

func run(ctx context.Context, c config) error {
	start := time.Now()
	loopbackNodes := (c.pods + c.perNode - 1) / c.perNode
	res := &result{loopbackNodes: loopbackNodes, servers: (c.pods + c.replicas - 1) / c.replicas, loadStart: loadavg()}
	var err error
	if res.interval, res.scrapeTimeout, err = meteringTiming(c); err != nil {
		return err
	}
	if res.memoryLimit, err = memoryLimit(c.root); err != nil {
		return err
	}
	logf("%d pods in %d ApplicationServers on %d loopback nodes; metering every %s, scrape timeout %s; %d rounds measured",
		c.pods, res.servers, loopbackNodes, res.interval, res.scrapeTimeout, c.rounds)

	// The cluster, torn down on every way out of run (a signal cancels ctx).
	logf("starting a fresh local cluster %s (delete it by hand, if this process is killed, with: hack/cluster.sh down %s)", c.cluster, c.cluster)
	_ = benchkit.Cluster(c.root, "down", c.cluster, clusterEnv(loopbackNodes)...)
	defer func() {
		logf("deleting cluster %s", c.cluster)
		_ = benchkit.Cluster(c.root, "down", c.cluster, clusterEnv(loopbackNodes)...)
	}()
	if err := benchkit.Cluster(c.root, "up", c.cluster, clusterEnv(loopbackNodes)...); err != nil {
		return fmt.Errorf("starting cluster %s: %w", c.cluster, err)
	}
	kubeconfig := filepath.Join(c.root, ".cluster", c.cluster+".kubeconfig")
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = -1, 0
	k8s, err := client.New(cfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		return err
	}
	if err := benchkit.Kubectl(c.root, kubeconfig, "apply", "--server-side", "-f", filepath.Join(c.root, "config", "crd", "bases")); err != nil {
		return err
	}
	if err := benchkit.Poll(ctx, time.Minute, 200*time.Millisecond, "the ApplicationServer CRD to be Established", func() (bool, error) {
		out, err := exec.CommandContext(ctx, filepath.Join(c.root, "bin", "kubectl"), "--kubeconfig", kubeconfig, "get", "crd", "applicationservers.appserver.dev",
			"-o", `jsonpath={.status.conditions[?(@.type=="Established")].status}`).Output()
		return err == nil && string(out) == "True", nil
	}); err != nil {
		return err
	}
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", namespace, err)
	}
	if err := benchkit.Poll(ctx, time.Minute, 200*time.Millisecond, "the default ServiceAccount in "+namespace, func() (bool, error) {
		err := k8s.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "default"}, &corev1.ServiceAccount{})
		return err == nil, client.IgnoreNotFound(err)
	}); err != nil {
		return err
	}

	work, err := os.MkdirTemp("", "bench-metering-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	// The stand-in serves every pod of the namespace on the loopback nodes,
	// on a free port: other local clusters give their loopback pods the
	// same 127.0.10.x addresses.
	standinPort, err := freePort()
	if err != nil {
		return err
	}
	nodes := []string{"kwok-loopback"}
	for i := 1; i < loopbackNodes; i++ {
		nodes = append(nodes, fmt.Sprintf("kwok-loopback-%d", i))
	}
	logf("building and starting the stand-in (test/standin) on port %d", standinPort)
	standinBin := filepath.Join(work, "standin")
	build := exec.CommandContext(ctx, "go", "build", "-o", standinBin, "./test/standin")
	build.Dir = c.root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building the stand-in: %w\n%s", err, out)
	}
	standin, err := startProcess("the stand-in", standinBin, filepath.Join(c.root, ".cluster", c.cluster+".standin.log"), []string{
		"--kubeconfig", kubeconfig, "--namespace", namespace, "--node", strings.Join(nodes, ","), "--port", strconv.Itoa(standinPort),
	}, nil)
	if err != nil {
		return err
	}
	defer standin.stop()

	var token string
	if c.auth == "kubernetes" {
		if token, err = meteringReader(ctx, cfg, k8s); err != nil {
			return err
		}
	}
	op, err := startOperator(ctx, c, kubeconfig)
	if err != nil {
		return err
	}
	defer op.stop()

	// The servers; the operator makes their Deployments, kwok their pods.
	logf("creating %d ApplicationServers (%d pods)", res.servers, c.pods)
	for i := range res.servers {
		replicas := int32(min(c.replicas, c.pods-i*c.replicas))
		if err := k8s.Create(ctx, appServer(serverName(i), replicas, int32(standinPort))); err != nil {
			return fmt.Errorf("creating ApplicationServer %s: %w", serverName(i), err)
		}
	}
	var ips []string
	if err := benchkit.Poll(ctx, 15*time.Minute, 2*time.Second, fmt.Sprintf("%d ready pods with a loopback IP", c.pods), func() (bool, error) {
		var err error
		ips, err = readyPodIPs(ctx, k8s)
		return err == nil && len(ips) == c.pods, err
	}); err != nil {
		return err
	}
	logf("%d pods ready; waiting for the stand-in to serve each", len(ips))
	if err := benchkit.Poll(ctx, 5*time.Minute, time.Second, "the stand-in to listen at every pod IP", func() (bool, error) {
		return dialAll(ctx, ips, standinPort) == 0, nil
	}); err != nil {
		return err
	}

	// A first round over every pod warms up (the store fills, the statuses
	// get their metering summaries); then the measured rounds.
	logf("waiting for a full round over %d pods (rounds start every %s)", c.pods, res.interval)
	waitRound := 2*res.interval + 2*time.Duration(math.Ceil(float64(c.pods)/16))*res.scrapeTimeout + time.Minute
	before, err := op.metrics()
	if err != nil {
		return err
	}
	for {
		r, m, err := op.nextRound(ctx, before, time.Time{}, waitRound)
		if err != nil {
			return err
		}
		before = m
		if m.targets == float64(c.pods) {
			res.warmup = r
			logf("first full round: %s", r.duration.Round(time.Millisecond))
			break
		}
		logf("a round over %v of %d pods: not yet full", m.targets, c.pods)
	}
	// The CPU window runs from settle after the warm-up round to settle
	// after the last measured one: whole intervals, each with one round and
	// the status updates that follow it.
	settle := min(5*time.Second, res.interval/4)
	if err := sleep(ctx, settle); err != nil {
		return err
	}
	cpu0, err := op.cpu()
	if err != nil {
		return err
	}
	var cpu1 time.Duration
	api, err := newAPIClient(op.meteringAddr, token)
	if err != nil {
		return err
	}
	res.api = []*apiSeries{
		{path: "/metrics", what: "every server", accept: ""},
		{path: "/metrics", what: "every server", accept: "application/json"},
		{path: "/metrics/" + serverName(0), what: "one server", accept: ""},
		{path: "/metrics/" + serverName(0), what: "one server", accept: "application/json"},
	}
	last := res.warmup
	for i := range c.rounds {
		// The next round starts an interval after the last one started.
		nextStart := last.ended.Add(-last.duration).Add(res.interval).Add(-time.Second)
		r, m, err := op.nextRound(ctx, before, nextStart, waitRound)
		if err != nil {
			return err
		}
		res.rounds = append(res.rounds, r)
		last = r
		res.scrapes += m.scrapes - before.scrapes
		res.failed += m.errors - before.errors
		res.targets = m.targets
		logf("round %d of %d: %s over %v pods", i+1, c.rounds, r.duration.Round(time.Millisecond), m.targets)
		// The API between rounds, once the statuses' updates are done; its
		// CPU is taken out of the rounds'.
		if err := sleep(ctx, settle); err != nil {
			return err
		}
		a0, err := op.cpu()
		if err != nil {
			return err
		}
		if i == c.rounds-1 {
			cpu1 = a0
		}
		for _, s := range res.api {
			if err := api.measure(ctx, s, c.apiRequests); err != nil {
				return err
			}
		}
		a1, err := op.cpu()
		if err != nil {
			return err
		}
		res.cpuAPIAll += a1 - a0
		if i < c.rounds-1 {
			res.cpuAPI += a1 - a0 // inside the CPU window
		}
		if before, err = op.metrics(); err != nil {
			return err
		}
		if before.rounds != m.rounds {
			return errors.New("a round ended while the API was measured: use a longer -interval or fewer -api-requests")
		}
	}
	res.cpuWindow = cpu1 - cpu0
	if res.rss, res.hwm, err = procMemory(op.pid()); err != nil {
		return err
	}
	res.loadEnd = loadavg()
	fmt.Println(render(c, res))
	logf("done in %s", time.Since(start).Round(time.Second))
	if c.keep {
		logf("-keep: the cluster (KUBECONFIG=%s), the operator (metering API https://%s) and the stand-in keep running until Ctrl-C", kubeconfig, op.meteringAddr)
		<-ctx.Done()
	}
	return nil
}

func serverName(i int) string { return fmt.Sprintf("as-%04d", i) }

// appServer is one metered server whose pods land on the loopback nodes and
// are scraped at the stand-in's port (scheme and path: the defaults, https
// and /metrics), as the e2e's loopbackAppServer.
func appServer(name string, replicas, port int32) *v1alpha1.ApplicationServer {
	return &v1alpha1.ApplicationServer{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: v1alpha1.ApplicationServerSpec{
			Deployment: v1alpha1.DeploymentSpec{
				Image:        "ghcr.io/appserver-operator/sample-app:1.0",
				Replicas:     &replicas,
				NodeSelector: map[string]string{"appserver.dev/loopback": "true"},
				Tolerations:  []corev1.Toleration{{Key: "appserver.dev/loopback", Operator: corev1.TolerationOpExists}},
			},
			Server: v1alpha1.ServerSpec{Metering: &v1alpha1.MeteringSpec{Enabled: true, Port: port}},
		},
	}
}

// readyPodIPs lists the IPs of the namespace's ready pods on loopback IPs.
func readyPodIPs(ctx context.Context, k8s client.Client) ([]string, error) {
	pods := &corev1.PodList{}
	if err := k8s.List(ctx, pods, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	var ips []string
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.DeletionTimestamp != nil || p.Status.PodIP == "" || !strings.HasPrefix(p.Status.PodIP, "127.") {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				ips = append(ips, p.Status.PodIP)
			}
		}
	}
	return ips, nil
}

// dialAll connects to port at every IP, 16 at a time, and returns how many
// refused.
func dialAll(ctx context.Context, ips []string, port int) int {
	var (
		mu      sync.Mutex
		refused int
		wg      sync.WaitGroup
	)
	sem := make(chan struct{}, 16)
	d := net.Dialer{Timeout: 5 * time.Second}
	for _, ip := range ips {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
			if err != nil {
				mu.Lock()
				refused++
				mu.Unlock()
				return
			}
			_ = conn.Close()
		})
	}
	wg.Wait()
	return refused
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(d):
		return nil
	}
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// clusterEnv is the environment of hack/cluster.sh: one ordinary node, as
// every pod of the run is on a loopback node.
func clusterEnv(loopbackNodes int) []string {
	return []string{"KWOK_NODES=1", "LOOPBACK_NODES=" + strconv.Itoa(loopbackNodes)}
}
