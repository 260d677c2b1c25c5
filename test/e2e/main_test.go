//go:build e2e

// Package e2e holds end-to-end tests on a throwaway local kwok cluster
// (hack/cluster.sh): a real etcd, kube-apiserver, kube-controller-manager and
// kube-scheduler, with kwok playing the kubelets.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/appserver-operator/appserver-operator/internal/operator"
	"github.com/appserver-operator/appserver-operator/internal/testutil"
)

// clusterName is distinct from a developer's cluster (appserver-dev);
// E2E_CLUSTER overrides it so that two runs on one machine do not collide.
var clusterName = envOr("E2E_CLUSTER", "appserver-e2e")

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

var (
	root       string
	kubeconfig string
	k8s        client.Client
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, _ = filepath.Abs("../..")
	// The tests' own client logs what the API server warns about (a
	// deprecated field, a Pod Security warning) to stderr, not a stack trace
	// about an unset logger.
	ctrllog.SetLogger(funcr.New(func(prefix, args string) {
		fmt.Fprintln(os.Stderr, "e2e client:", prefix, args)
	}, funcr.Options{}))
	// A cluster left behind by an interrupted run is removed first.
	_ = clusterCmd("down")
	if err := clusterCmd("up"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: starting the local cluster:", err)
		_ = clusterCmd("down")
		return 1
	}
	// Tear down on every exit path: normal return, and Ctrl-C / SIGTERM.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "e2e: %v: tearing down the local cluster\n", s)
		_ = clusterCmd("down")
		os.Exit(1)
	}()
	defer func() { _ = clusterCmd("down") }()

	kubeconfig = filepath.Join(root, ".cluster", clusterName+".kubeconfig")
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	cfg.QPS, cfg.Burst = 200, 400
	if k8s, err = client.New(cfg, client.Options{Scheme: operator.Scheme()}); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}

// The e2e cluster gives Services ClusterIPs on loopback (127.96.0.0/16), so
// that the API server's aggregator reaches an operator running as a local
// process on a Service's ClusterIP (custom.metrics.k8s.io), and runs the HPA
// controller every 2s instead of 15s.
var clusterEnv = []string{"SERVICE_CIDR=127.96.0.0/16", "HPA_SYNC_PERIOD=2s"}

func clusterCmd(verb string) error {
	cmd := exec.Command(filepath.Join(root, "hack", "cluster.sh"), verb, clusterName)
	cmd.Env = append(os.Environ(), clusterEnv...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// kubectl runs bin/kubectl against the test cluster and returns its output.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := kubectlErr(args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func kubectlErr(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(root, "bin", "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// restricted are the labels that make the API server's PodSecurity admission
// enforce the "restricted" profile in a namespace. Every e2e namespace has
// them, so any pod the operator makes that breaks the profile is rejected
// by the real admission and its test fails.
var restricted = map[string]string{
	"pod-security.kubernetes.io/enforce": "restricted",
	"pod-security.kubernetes.io/warn":    "restricted",
}

// restrictedContainer is what a test's own bare container needs to pass the
// "restricted" profile.
func restrictedContainer(name, image string) corev1.Container {
	return corev1.Container{Name: name, Image: image, SecurityContext: &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		RunAsNonRoot:             ptr.To(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}}
}

// newNamespace creates a namespace where Pod Security "restricted" is
// enforced and waits for its default ServiceAccount, without which no pod
// can be created.
func newNamespace(t *testing.T, prefix string) string {
	t.Helper()
	return newNamespaceLabeled(t, prefix, restricted)
}

// newNamespaceLabeled is newNamespace with the given labels instead; nil
// leaves Pod Security unenforced (for a test of a deliberate override).
func newNamespaceLabeled(t *testing.T, prefix string, labels map[string]string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-", Labels: labels}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), ns) })
	eventually(t, time.Minute, "the default ServiceAccount in "+ns.Name, func() error {
		return k8s.Get(context.Background(), client.ObjectKey{Namespace: ns.Name, Name: "default"}, &corev1.ServiceAccount{})
	})
	return ns.Name
}

// eventually waits for cond (testutil.Eventually, polling every 200ms).
func eventually(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	testutil.Eventually(t, timeout, 200*time.Millisecond, what, cond)
}

// freeAddr returns a loopback address with a free port.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
