//go:build integration

// Tests of the real operator binary: bad settings, log rotation, periodic
// profiles, settings changes through the ConfigMap. The binary runs against
// envtest's kube-apiserver.
package main_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/operator"
	"github.com/appserver-operator/appserver-operator/internal/profiling"
	"github.com/appserver-operator/appserver-operator/internal/testutil"
)

var (
	binary     string
	kubeconfig string
	k8s        client.Client
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	root, _ := filepath.Abs("../..")
	tmp, err := os.MkdirTemp("", "operator-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	binary = filepath.Join(tmp, "appserver-operator")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the operator: %v\n%s", err, out)
		return 1
	}

	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: filepath.Join(root, "bin"),
	}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting envtest (run 'make tools' first):", err)
		_ = env.Stop()
		return 1
	}
	defer func() { _ = env.Stop() }()
	user, err := env.ControlPlane.AddUser(envtest.User{Name: "operator", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	kc, err := user.KubeConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	kubeconfig = filepath.Join(tmp, "kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if k8s, err = client.New(cfg, client.Options{Scheme: operator.Scheme()}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// proc is one run of the operator binary.
type proc struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
}

type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

// start runs the operator with env added to a clean environment; it is
// stopped with SIGTERM at the end of the test.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{out: &syncBuffer{mu: make(chan struct{}, 1)}, exited: make(chan struct{})}
	p.cmd = exec.Command(binary, append([]string{"--kubeconfig", kubeconfig,
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0"}, args...)...)
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LOG_DIR=", "METERING_ENABLED=FALSE"}, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("operator output (tail):\n%s", testutil.Tail(p.out.String(), 3000))
		}
	})
	return p
}

// stop sends SIGTERM and waits for the operator to exit (a no-op once it has).
func (p *proc) stop(t *testing.T) {
	t.Helper()
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Error("the operator did not stop within 30s of SIGTERM")
	}
}

// eventually waits for cond (testutil.Eventually, polling every 100ms).
func eventually(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	testutil.Eventually(t, timeout, 100*time.Millisecond, what, cond)
}

func TestBadSettingsStopTheOperator(t *testing.T) {
	cases := []struct {
		env  []string
		want []string
	}{
		{[]string{"LOG_LEVEL=LOUD"}, []string{`LOG_LEVEL="LOUD"`, "ERROR, WARN, INFO, DEBUG"}},
		{[]string{"LOG_ROTATION=-1"}, []string{`LOG_ROTATION="-1"`}},
		{[]string{"LOG_FILESIZE=0"}, []string{`LOG_FILESIZE="0"`}},
		{[]string{"PPROF_ENABLED=maybe"}, []string{`PPROF_ENABLED="maybe"`, "TRUE", "FALSE"}},
		{[]string{"PPROF_INTERVAL=soon"}, []string{`PPROF_INTERVAL="soon"`, "minutes"}},
		{[]string{"METERING_TIMEOUT_SCRAPE=0"}, []string{`METERING_TIMEOUT_SCRAPE="0"`, "seconds"}},
		{[]string{"WATCH_NAMESPACE=Not_A_Namespace"}, []string{`WATCH_NAMESPACE="Not_A_Namespace"`}},
		{[]string{"METERING_AUTH=basic"}, []string{`METERING_AUTH="basic"`, "kubernetes"}},
		// every bad value is reported, one line each
		{[]string{"LOG_LEVEL=x", "METERING_INTERVAL=y"}, []string{`LOG_LEVEL="x"`, `METERING_INTERVAL="y"`}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.env, ","), func(t *testing.T) {
			cmd := exec.Command(binary, "--kubeconfig", kubeconfig)
			cmd.Env = append([]string{"LOG_DIR="}, tc.env...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 {
				t.Fatalf("exit: %v, want exit code 2\n%s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != len(tc.env) {
				t.Errorf("%d lines, want one per bad variable:\n%s", len(lines), out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output does not say %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestSettingsBlockAtStartUp(t *testing.T) {
	p := start(t, []string{"LOG_FILESIZE=1", "PPROF_INTERVAL=30s"})
	eventually(t, 30*time.Second, "the settings block", func() error {
		out := p.out.String()
		for _, w := range []string{"LOG:\n  LOG_LEVEL: INFO", `  LOG_FILESIZE: "1"`, "PPROF:\n", `  PPROF_INTERVAL: "30s"`, "METERING:\n", "    METERING_TIMEOUT_SCRAPE:"} {
			if !strings.Contains(out, w) {
				return fmt.Errorf("no %q yet", w)
			}
		}
		return nil
	})
}

// busy makes the operator log: every update of an ApplicationServer is a
// reconcile with several DEBUG lines. Bounded in count.
func busy(t *testing.T, ns string, until func() bool) {
	t.Helper()
	ctx := context.Background()
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	const servers = 10
	for i := range servers {
		as := &v1alpha1.ApplicationServer{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("busy-%d", i), Namespace: ns},
			Spec: v1alpha1.ApplicationServerSpec{Deployment: v1alpha1.DeploymentSpec{Image: "example.com/app:1"}}}
		if err := k8s.Create(ctx, as); err != nil {
			t.Fatal(err)
		}
	}
	for round := 0; round < 1500 && !until(); round++ {
		as := &v1alpha1.ApplicationServer{}
		key := client.ObjectKey{Namespace: ns, Name: fmt.Sprintf("busy-%d", round%servers)}
		if err := k8s.Get(ctx, key, as); err != nil {
			t.Fatal(err)
		}
		// A merge patch without a resourceVersion: the operator writes the
		// status at the same time, which would make an Update conflict.
		patch := client.MergeFrom(as.DeepCopy())
		as.Spec.Server.Env = []corev1.EnvVar{{Name: "ROUND", Value: fmt.Sprint(round)}}
		if err := k8s.Patch(ctx, as, patch); err != nil {
			t.Fatal(err)
		}
		if round%servers == servers-1 {
			time.Sleep(20 * time.Millisecond) // let the operator keep up
		}
	}
}

func TestLogFileRotates(t *testing.T) {
	dir := t.TempDir()
	start(t, []string{"LOG_DIR=" + dir, "LOG_FILESIZE=1", "LOG_ROTATION=2", "LOG_LEVEL=DEBUG"})
	seen := map[string]bool{}
	tooMany := ""
	check := func() bool {
		entries, _ := os.ReadDir(dir)
		var backups []string
		for _, e := range entries {
			if e.Name() != "operator.log" && strings.HasPrefix(e.Name(), "operator-") {
				backups = append(backups, e.Name())
				seen[e.Name()] = true
			}
		}
		// lumberjack prunes right after it rotates: a third backup may exist
		// for an instant, but never stays.
		if len(backups) > 2 {
			tooMany = strings.Join(backups, ", ")
		} else {
			tooMany = ""
		}
		return len(seen) >= 4
	}
	busy(t, "rotation", check)
	if len(seen) < 4 {
		t.Fatalf("only %d rotations happened", len(seen))
	}
	eventually(t, 10*time.Second, "at most 2 old log files", func() error {
		check()
		if tooMany != "" {
			return errors.New(tooMany)
		}
		return nil
	})
	info, err := os.Stat(filepath.Join(dir, "operator.log"))
	if err != nil || info.Size() > 1<<20 {
		t.Errorf("current log file: %v %v, want at most 1 MB", info, err)
	}
}

func TestProfilesAreWrittenAndRotated(t *testing.T) {
	dir := t.TempDir()
	p := start(t, []string{"PPROF_ENABLED=TRUE", "PPROF_INTERVAL=1s", "PPROF_ROTATION=3", "PPROF_DIR=" + dir})
	seen := map[string]bool{}
	eventually(t, time.Minute, "5 profile sets", func() error {
		sets, err := profiling.Sets(dir)
		if err != nil {
			return err
		}
		if len(sets) > 3 {
			t.Fatalf("%d sets on disk, want at most 3: %v", len(sets), sets)
		}
		for _, s := range sets {
			seen[s] = true
		}
		if len(seen) < 5 {
			return fmt.Errorf("%d sets so far", len(seen))
		}
		return nil
	})
	// Stop the operator before reading the files: while it runs it rotates
	// them away every second, so a globbed file may be gone when it is read.
	p.stop(t)
	sets, err := profiling.Sets(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) == 0 || len(sets) > 3 {
		t.Fatalf("%d sets on disk after stop, want 1 to 3: %v", len(sets), sets)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.pprof"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, f := range files {
		kinds[strings.SplitN(filepath.Base(f), "-", 2)[0]] = true
		out, err := exec.Command("go", "tool", "pprof", "-top", f).CombinedOutput()
		if err != nil {
			t.Errorf("go tool pprof -top %s: %v\n%s", f, err, out)
		}
	}
	for _, k := range []string{"heap", "cpu", "goroutine"} {
		if !kinds[k] {
			t.Errorf("no %s profile among %v", k, files)
		}
	}
}

func settingsConfigMap(ns string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "appserver-operator-config", Namespace: ns}, Data: data}
}

func TestSettingsConfigMapChangesApply(t *testing.T) {
	ctx := context.Background()
	ns := "operator-settings"
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	cm := settingsConfigMap(ns, map[string]string{"LOG_LEVEL": "INFO", "METERING_ENABLED": "FALSE", "LOG_DIR": ""})
	if err := k8s.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	p := start(t, nil, "--settings-namespace", ns, "--restart-on-settings-change=true")
	eventually(t, 30*time.Second, "the operator to start", func() error {
		if !strings.Contains(p.out.String(), "Starting workers") {
			return errors.New("not yet")
		}
		return nil
	})
	if strings.Contains(p.out.String(), `"level":"DEBUG"`) {
		t.Fatal("DEBUG entries at INFO level")
	}

	t.Run("LOG_LEVEL applies live", func(t *testing.T) {
		cm.Data["LOG_LEVEL"] = "DEBUG"
		if err := k8s.Update(ctx, cm); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "the change to be applied", func() error {
			if !strings.Contains(p.out.String(), `"msg":"Applied a setting change","setting":"LOG_LEVEL","value":"DEBUG"`) {
				return errors.New("not applied yet")
			}
			return nil
		})
		// and DEBUG entries now appear
		as := &v1alpha1.ApplicationServer{ObjectMeta: metav1.ObjectMeta{Name: "debug", Namespace: ns},
			Spec: v1alpha1.ApplicationServerSpec{Deployment: v1alpha1.DeploymentSpec{Image: "example.com/app:1"}}}
		if err := k8s.Create(ctx, as); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "DEBUG entries", func() error {
			if !strings.Contains(p.out.String(), `"level":"DEBUG"`) {
				return errors.New("none yet")
			}
			return nil
		})
	})

	t.Run("an invalid value is ignored and the operator keeps running", func(t *testing.T) {
		cm.Data["METERING_INTERVAL"] = "never"
		if err := k8s.Update(ctx, cm); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "the error to be logged", func() error {
			if !strings.Contains(p.out.String(), `METERING_INTERVAL=\"never\"`) {
				return errors.New("not logged yet")
			}
			return nil
		})
		select {
		case <-p.exited:
			t.Fatal("the operator exited on an invalid ConfigMap")
		default:
		}
		delete(cm.Data, "METERING_INTERVAL")
	})

	t.Run("WATCH_NAMESPACE needs a restart: the operator exits cleanly", func(t *testing.T) {
		cm.Data["WATCH_NAMESPACE"] = ns
		if err := k8s.Update(ctx, cm); err != nil {
			t.Fatal(err)
		}
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			t.Fatal("the operator did not exit")
		}
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("exit code %d, want 0 (a clean exit; the pod restarts)", code)
		}
		if !strings.Contains(p.out.String(), "Exiting so that the pod restarts with the new settings") {
			t.Error("no log line says why it exited")
		}
	})
}

// A variable set on the container itself wins over the ConfigMap's envFrom
// in Kubernetes: the namespaced install sets WATCH_NAMESPACE from the
// downward API. The operator lays the ConfigMap over its environment at
// start as the live watch does, so the two cannot disagree into a restart at
// every start (the watch would see a change at once, the restarted process
// the same environment again).
func TestContainerEnvironmentAndConfigMapAgreeAtStart(t *testing.T) {
	ctx := context.Background()
	ns, other := "operator-startup", "operator-startup-other"
	for _, n := range []string{ns, other} {
		if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name      string
		configMap map[string]string // beside LOG_LEVEL, METERING_ENABLED, LOG_DIR
		env       string            // WATCH_NAMESPACE on the container
		want      string            // WATCH_NAMESPACE in effect
	}{
		{"the ConfigMap names WATCH_NAMESPACE: it wins", map[string]string{"WATCH_NAMESPACE": ns}, other, ns},
		{"the ConfigMap has no WATCH_NAMESPACE: the container's stays", nil, ns, ns},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := map[string]string{"LOG_LEVEL": "INFO", "METERING_ENABLED": "FALSE", "LOG_DIR": ""}
			for k, v := range c.configMap {
				data[k] = v
			}
			cm := settingsConfigMap(ns, data)
			if err := k8s.Create(ctx, cm); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = k8s.Delete(ctx, cm) })
			p := start(t, []string{"WATCH_NAMESPACE=" + c.env}, "--settings-namespace", ns, "--restart-on-settings-change=true")
			eventually(t, 30*time.Second, "the operator to start", func() error {
				if !strings.Contains(p.out.String(), "Starting workers") {
					return errors.New("not yet")
				}
				return nil
			})
			if want := `WATCH_NAMESPACE: "` + c.want + `"`; !strings.Contains(p.out.String(), want) {
				t.Errorf("the settings block at start has no %s", want)
			}
			// The watch has handled the ConfigMap's first version when it
			// applies a later one: a restart would have come before.
			cm.Data["LOG_LEVEL"] = "DEBUG"
			if err := k8s.Update(ctx, cm); err != nil {
				t.Fatal(err)
			}
			eventually(t, 30*time.Second, "the LOG_LEVEL change to be applied", func() error {
				if !strings.Contains(p.out.String(), `"msg":"Applied a setting change","setting":"LOG_LEVEL","value":"DEBUG"`) {
					return errors.New("not applied yet")
				}
				return nil
			})
			select {
			case <-p.exited:
				t.Fatal("the operator exited")
			default:
			}
			if strings.Contains(p.out.String(), "Exiting so that the pod restarts") {
				t.Error("the operator restarted although nothing changed")
			}
		})
	}
}

// TestConvertSubcommand: the operator binary runs `convert` (the subcommand
// of internal/convert), reading stdin and writing stdout, and exits 1 on a
// loss.
func TestConvertSubcommand(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("..", "..", "internal", "convert", "testdata", "simple-v4.webotx.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "convert", "-f", "-")
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), "apiVersion: appserver.dev/v1alpha1") {
		t.Fatalf("convert: %v\n%s", err, out)
	}
	cmd = exec.Command(binary, "convert", "-f", "-")
	cmd.Stdin = strings.NewReader(strings.Replace(string(in), "replicas: 1", "replicas: 1\n    restartPolicy: Never", 1))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || len(out) != 0 || !strings.Contains(stderr.String(), "spec.deployment.restartPolicy: not carried") {
		t.Errorf("a loss: err %v, stdout %q, stderr %q", err, out, stderr.String())
	}
}
