// Command bench measures the operator against the API server's own limit:
// it creates, updates and deletes N ApplicationServers through the operator
// (bin/appserver-operator as a local process) on one fresh local cluster, and
// the same N Deployments+Services directly on a second fresh cluster, with
// the same number of parallel clients, and prints a markdown table (make
// bench N=1000; docs/performance.md).
//
// Each side gets a cluster of its own, started fresh, rather than one cluster
// wiped in between: a wiped cluster still carries the first side's etcd
// history, compaction work and garbage-collector backlog, which would be
// billed to the second side.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/operator"

	"github.com/appserver-operator/appserver-operator/test/benchkit"
)

const (
	image1 = "ghcr.io/appserver-operator/sample-app:1.0"
	image2 = "ghcr.io/appserver-operator/sample-app:1.1"
	// perNamespace servers share a namespace; perNode pods share a kwok node.
	perNamespace = 100
	perNode      = 100
)

type config struct {
	n       int
	clients int
	idle    time.Duration
	timeout time.Duration
	cluster string
	out     string
	smoke   bool
	command string
	root    string
	// operatorArgs are more flags of bin/appserver-operator.
	operatorArgs string
	// direct: also run the direct side; createOnly: only the create wave
	// (and the idle window after it), for sizes where the rest would take
	// hours on this machine.
	direct, createOnly bool
	// loadStart is the machine's load average (1, 5, 15 min) when the run began.
	loadStart string
	// commit is the tree's commit when the run began (the operator was
	// built from it), with a note when its code was modified.
	commit string
	// started is when the run began.
	started time.Time
}

func main() {
	var c config
	flag.IntVar(&c.n, "n", 1000, "Number of servers (ApplicationServers on one side, Deployment+Service pairs on the other).")
	flag.IntVar(&c.clients, "clients", 16, "Parallel clients creating, updating and deleting, on each side.")
	flag.DurationVar(&c.idle, "idle", 60*time.Second, "Idle window after convergence in which the operator's writes are counted.")
	flag.DurationVar(&c.timeout, "timeout", 30*time.Minute, "Longest a wave may take to converge.")
	flag.StringVar(&c.cluster, "cluster", "appserver-bench", "Prefix of the local clusters' names (<prefix>-op, <prefix>-raw).")
	flag.StringVar(&c.out, "out", "", "Markdown file whose bench section gets the table (e.g. docs/performance.md); empty: print only.")
	flag.BoolVar(&c.smoke, "smoke", false, "Fail unless every figure is present and sane (CI's smoke run; no speed assertion).")
	flag.StringVar(&c.command, "command", "", "The command to print as the way to rerun (default: this program's arguments).")
	flag.StringVar(&c.operatorArgs, "operator-args", "", "More flags for bin/appserver-operator, space-separated (e.g. '--max-concurrent-reconciles=16').")
	flag.BoolVar(&c.direct, "direct", true, "Also run the direct side (false: the operator side only; no ratios).")
	waves := flag.String("waves", "all", "Waves to run: all (create, update, delete) or create (the create wave and the idle window only).")
	flag.Parse()
	switch *waves {
	case "all":
	case "create":
		c.createOnly = true
	default:
		fatal(fmt.Errorf("-waves must be all or create, got %q", *waves))
	}
	if c.smoke && (!c.direct || c.createOnly) {
		fatal(fmt.Errorf("-smoke checks every figure: it needs -direct=true and -waves=all"))
	}
	if c.n < 1 {
		fatal(fmt.Errorf("-n must be at least 1, got %d", c.n))
	}
	if c.clients < 1 {
		fatal(fmt.Errorf("-clients must be at least 1, got %d", c.clients))
	}
	if c.idle < 0 {
		fatal(fmt.Errorf("-idle must not be negative, got %s", c.idle))
	}
	if c.command == "" {
		c.command = "go run ./test/bench " + strings.Join(os.Args[1:], " ")
	}
	root, err := benchkit.RepoRoot()
	if err != nil {
		fatal(err)
	}
	c.root = root
	ctrllog.SetLogger(logr.Discard())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, c)
	stop()
	if err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s bench: %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// wave is what one side measured for one wave.
type wave struct {
	t          time.Duration
	requests   map[string]float64 // by "verb resource", from the proxy
	byMethod   map[string]float64 // from rest_client_requests_total
	events     int                // Events written in the servers' namespaces
	opEvents   int                // of them, by the operator
	cpu        time.Duration
	peakRSS    int64
	p50, p99   float64
	reconciles float64
}

type result struct {
	create, update, del wave
	idleWrites          float64
	idleRequests        map[string]float64
}

func run(ctx context.Context, c config) error {
	nodes := max(2, (c.n+perNode-1)/perNode)
	start := time.Now()
	c.started, c.commit = start, commit(c.root)
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			c.loadStart = strings.Join(f[:3], " ")
		}
	}
	logf("N=%d, %d clients per side, %d kwok nodes per cluster, idle window %s", c.n, c.clients, nodes, c.idle)
	op, tmpl, err := runSide(ctx, c, nodes, true, nil)
	if err != nil {
		return fmt.Errorf("operator side: %w", err)
	}
	var raw *result
	if c.direct {
		if raw, _, err = runSide(ctx, c, nodes, false, tmpl); err != nil {
			return fmt.Errorf("direct side: %w", err)
		}
	}
	table := render(c, op, raw)
	fmt.Println(table)
	logf("done in %s", time.Since(start).Round(time.Second))
	if c.out != "" {
		if err := writeDoc(filepath.Join(c.root, c.out), c, nodes, table); err != nil {
			return err
		}
		logf("wrote the table into %s", c.out)
	}
	if c.smoke {
		if err := sane(c, op, raw); err != nil {
			return fmt.Errorf("smoke: %w", err)
		}
		logf("smoke: every figure is present and sane")
	}
	return nil
}

// side is one cluster and what runs against it.
type side struct {
	c       config
	name    string
	client  client.Client
	cache   cache.Cache
	ns      []string
	op      *operatorProcess
	proxy   *countingProxy
	withOp  bool
	timeout time.Duration
	// tmpl is the operator side's first ApplicationServer as the API server
	// stored it (defaults applied): the direct side builds its Deployments
	// and Services from it with the operator's own builders.
	tmpl *v1alpha1.ApplicationServer
}

func serverName(i int) (ns, name string) {
	return fmt.Sprintf("bench-%03d", i/perNamespace), fmt.Sprintf("as-%05d", i)
}

func runSide(ctx context.Context, c config, nodes int, withOp bool, tmpl *v1alpha1.ApplicationServer) (res *result, tmplOut *v1alpha1.ApplicationServer, err error) {
	s := &side{c: c, withOp: withOp, name: "direct", timeout: c.timeout, tmpl: tmpl}
	cluster := c.cluster + "-raw"
	if withOp {
		s.name, cluster = "operator", c.cluster+"-op"
	}
	logf("%s side: starting a fresh local cluster %s", s.name, cluster)
	_ = benchkit.Cluster(c.root, "down", cluster, kwokNodes(nodes))
	if err := benchkit.Cluster(c.root, "up", cluster, kwokNodes(nodes)); err != nil {
		_ = benchkit.Cluster(c.root, "down", cluster, kwokNodes(nodes))
		return nil, nil, err
	}
	defer func() {
		logf("%s side: deleting cluster %s", s.name, cluster)
		_ = benchkit.Cluster(c.root, "down", cluster, kwokNodes(nodes))
	}()
	kubeconfig := filepath.Join(c.root, ".cluster", cluster+".kubeconfig")
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, nil, err
	}
	cfg.QPS, cfg.Burst = -1, 0 // no client-side limit: the API server is what is measured
	if s.client, err = client.New(cfg, client.Options{Scheme: operator.Scheme()}); err != nil {
		return nil, nil, err
	}
	if withOp {
		if err := benchkit.Kubectl(c.root, kubeconfig, "apply", "--server-side", "-f", filepath.Join(c.root, "config", "crd", "bases")); err != nil {
			return nil, nil, err
		}
		if err := poll(ctx, time.Minute, "the ApplicationServer CRD to be Established", func() (bool, error) {
			out, err := exec.Command(filepath.Join(c.root, "bin", "kubectl"), "--kubeconfig", kubeconfig, "get", "crd", "applicationservers.appserver.dev",
				"-o", `jsonpath={.status.conditions[?(@.type=="Established")].status}`).Output()
			return err == nil && string(out) == "True", nil
		}); err != nil {
			return nil, nil, err
		}
	}
	var gcProbe *corev1.ConfigMap
	if withOp {
		if gcProbe, err = s.startGCProbe(ctx); err != nil {
			return nil, nil, err
		}
	}
	if err := s.namespaces(ctx); err != nil {
		return nil, nil, err
	}
	if err := s.startCache(ctx, cfg); err != nil {
		return nil, nil, err
	}
	if withOp {
		if s.proxy, err = startProxy(cfg); err != nil {
			return nil, nil, err
		}
		defer s.proxy.close()
		dir, err := os.MkdirTemp("", "appserver-bench-")
		if err != nil {
			return nil, nil, err
		}
		defer os.RemoveAll(dir)
		pk := filepath.Join(dir, "proxy.kubeconfig")
		if err := s.proxy.writeKubeconfig(pk); err != nil {
			return nil, nil, err
		}
		logPath := filepath.Join(c.root, ".cluster", cluster+".operator.log")
		logf("operator side: starting bin/appserver-operator (log: %s)", logPath)
		if s.op, err = startOperator(c.root, pk, logPath, strings.Fields(c.operatorArgs)); err != nil {
			return nil, nil, err
		}
		defer s.op.stop()
	}

	res = &result{}
	// Create.
	if res.create, err = s.measure(ctx, "create", s.createOne, func() (int, string) { return s.converged(image1) }); err != nil {
		return nil, nil, err
	}
	if withOp {
		ns, name := serverName(0)
		tmplOut = &v1alpha1.ApplicationServer{}
		if err := s.client.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, tmplOut); err != nil {
			return nil, nil, err
		}
		if err := s.idleWindow(ctx, res); err != nil {
			return nil, nil, err
		}
	}
	if c.createOnly {
		return res, tmplOut, nil
	}
	// Update.
	if res.update, err = s.measure(ctx, "update", s.updateOne, func() (int, string) { return s.converged(image2) }); err != nil {
		return nil, nil, err
	}
	// Delete.
	if gcProbe != nil {
		if err := s.waitGCProbe(ctx, gcProbe); err != nil {
			return nil, nil, err
		}
	}
	if res.del, err = s.measure(ctx, "delete", s.deleteOne, s.gone); err != nil {
		return nil, nil, err
	}
	return res, tmplOut, nil
}
