// Command standin is a TEST DOUBLE, not part of the operator: it stands in
// for the application servers of pods on the local kwok cluster, where pods
// have no containers.
//
// It watches the pods Running on one node (by default kwok-loopback, whose
// pods get IPs in 127.0.10.0/24), or on several (--node a,b,c: the loopback
// nodes hack/cluster.sh adds with LOOPBACK_NODES), and serves, at <podIP>:<port> for each, the
// metrics and health endpoints an application server would: GET /metrics
// (MicroProfile-style Prometheus text, with server="<pod>" on every sample)
// and GET /health/live|ready|started. The pod annotation
// standin.appserver.dev/mode makes a pod misbehave (slow, huge, garbage, 500,
// tls-error) and standin.appserver.dev/port overrides the port. It only ever
// listens on 127.0.0.0/8.
//
// Usage:
//
//	go run ./test/standin --kubeconfig ~/.kube/config [--namespace ns] [--node kwok-loopback[,kwok-loopback-1,...]] [--port 8443] [--http] [--slow-for 2m] [--load-file f]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/appserver-operator/appserver-operator/test/standin/standin"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "path to the kubeconfig of the cluster to watch")
	namespace := flag.String("namespace", "", "namespace to watch (default: all namespaces)")
	node := flag.String("node", "kwok-loopback", "serve the pods scheduled on this node (a comma-separated list: on any of these nodes)")
	port := flag.Int("port", 8443, "port to serve on at each pod IP (pod annotation "+standin.AnnotationPort+" overrides it)")
	plain := flag.Bool("http", false, "serve plain HTTP instead of HTTPS")
	slowFor := flag.Duration("slow-for", standin.MaxSlow, "how long the slow mode waits before answering (at most 2m)")
	loadFile := flag.String("load-file", "", "file holding a number every pod serves as the gauge "+standin.LoadMetric+", read at every scrape")
	verbose := flag.Bool("v", false, "log debug messages")
	flag.Parse()

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("component", "standin")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, logger, config{
		kubeconfig: *kubeconfig, namespace: *namespace, nodes: strings.Split(*node, ","),
		manager: standin.ManagerOptions{Port: *port, PlainHTTP: *plain, SlowFor: *slowFor, LoadFile: *loadFile, Logger: logger},
	})
	if err != nil {
		logger.Error("Stand-in failed", "error", err)
		os.Exit(1)
	}
}

type config struct {
	kubeconfig, namespace string
	nodes                 []string
	manager               standin.ManagerOptions
}

func run(ctx context.Context, logger *slog.Logger, cfg config) error {
	if cfg.kubeconfig == "" {
		return errors.New("--kubeconfig (or KUBECONFIG) is required")
	}
	for _, n := range cfg.nodes {
		if n == "" {
			return errors.New("--node: want node names separated by commas, without empty ones")
		}
	}
	if cfg.manager.Port < 1 || cfg.manager.Port > 65535 {
		return fmt.Errorf("--port %d: want 1-65535", cfg.manager.Port)
	}
	restConfig, err := clientcmd.BuildConfigFromFlags("", cfg.kubeconfig)
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	client, err := corev1client.NewForConfig(restConfig)
	if err != nil {
		return fmt.Errorf("creating the pod client: %w", err)
	}

	mgr := standin.NewManager(cfg.manager)
	defer mgr.Close()

	// One watch per node: a field selector cannot say "any of these nodes".
	// A pod never moves between nodes, so the watches never disagree.
	var synced []cache.InformerSynced
	for _, node := range cfg.nodes {
		lw := cache.NewListWatchFromClient(client.RESTClient(), "pods", cfg.namespace,
			fields.OneTermEqualSelector("spec.nodeName", node))
		informer := cache.NewSharedIndexInformer(lw, &corev1.Pod{}, 0, cache.Indexers{})
		_, err = informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { syncPod(mgr, obj) },
			UpdateFunc: func(_, obj any) { syncPod(mgr, obj) },
			DeleteFunc: func(obj any) {
				if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
					obj = tomb.Obj
				}
				if pod, ok := obj.(*corev1.Pod); ok {
					mgr.Remove(pod.Namespace, pod.Name)
				}
			},
		})
		if err != nil {
			return fmt.Errorf("watching pods on %s: %w", node, err)
		}
		go informer.Run(ctx.Done())
		synced = append(synced, informer.HasSynced)
	}
	where := cfg.namespace
	if where == "" {
		where = "(all)"
	}
	logger.Info("Watching pods (this is a test double, not the operator)", "node", strings.Join(cfg.nodes, ","), "namespace", where,
		"port", cfg.manager.Port, "http", cfg.manager.PlainHTTP)

	syncCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if !cache.WaitForCacheSync(syncCtx.Done(), synced...) {
		if ctx.Err() != nil {
			return nil
		}
		return errors.New("pod list did not sync within a minute")
	}
	logger.Info("Pod list synced", "serving", mgr.Len())
	<-ctx.Done()
	logger.Info("Shutting down")
	return nil
}

func syncPod(mgr *standin.Manager, obj any) {
	if pod, ok := obj.(*corev1.Pod); ok {
		mgr.Sync(pod)
	}
}
