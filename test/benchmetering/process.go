package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/appserver-operator/appserver-operator/internal/settings"

	"github.com/appserver-operator/appserver-operator/test/benchkit"
)

// process is a program the harness runs (the operator, the stand-in), its
// output in a log file. It dies with the harness (Pdeathsig).
type process struct {
	what string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
}

func startProcess(what, bin, logPath string, args, env []string) (*process, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s (%s): %w", what, bin, err)
	}
	p := &process{what: what, cmd: cmd, log: f, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, then SIGKILL after 30 seconds.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.log.Close()
}

// operatorProcess is bin/appserver-operator run as a local process with
// metering on, watching the harness's namespace.
type operatorProcess struct {
	*process
	metricsAddr, meteringAddr string
}

func startOperator(ctx context.Context, c config, kubeconfig string) (*operatorProcess, error) {
	var addrs [4]string
	for i := range addrs {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		addrs[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	metricsAddr, healthAddr, meteringAddr, customMetricsAddr := addrs[0], addrs[1], addrs[2], addrs[3]
	// The operator's own settings, except the ones this run sets: metering
	// at its defaults unless -interval or -scrape-timeout say otherwise.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "METERING_") && !strings.HasPrefix(kv, "WATCH_NAMESPACE=") && !strings.HasPrefix(kv, "LOG_DIR=") {
			env = append(env, kv)
		}
	}
	env = append(env, "LOG_DIR=", "METERING_ENABLED=TRUE", "WATCH_NAMESPACE="+namespace)
	if c.interval != "" {
		env = append(env, "METERING_INTERVAL="+c.interval)
	}
	if c.timeout != "" {
		env = append(env, "METERING_TIMEOUT_SCRAPE="+c.timeout)
	}
	if c.auth != "" {
		env = append(env, "METERING_AUTH="+c.auth)
	}
	logPath := filepath.Join(c.root, ".cluster", c.cluster+".operator.log")
	logf("starting bin/appserver-operator (log: %s)", logPath)
	p, err := startProcess("the operator", filepath.Join(c.root, "bin", "appserver-operator"), logPath, []string{
		"--kubeconfig", kubeconfig,
		"--metrics-bind-address", metricsAddr,
		"--health-probe-bind-address", healthAddr,
		"--metering-bind-address", meteringAddr,
		"--custom-metrics-bind-address", customMetricsAddr,
	}, env)
	if err != nil {
		return nil, fmt.Errorf("%w (run 'make build')", err)
	}
	op := &operatorProcess{process: p, metricsAddr: metricsAddr, meteringAddr: meteringAddr}
	hc := http.Client{Timeout: 2 * time.Second}
	if err := benchkit.Poll(ctx, 2*time.Minute, 200*time.Millisecond, "the operator to be ready", func() (bool, error) {
		if op.exited() {
			return false, fmt.Errorf("the operator exited; its log is %s", logPath)
		}
		resp, err := hc.Get("http://" + healthAddr + "/readyz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	}); err != nil {
		op.stop()
		return nil, err
	}
	return op, nil
}

// opMetrics is what the harness reads from the operator's metrics endpoint.
type opMetrics struct {
	rounds   float64 // appserver_metering_round_duration_seconds_count
	roundSum float64 // appserver_metering_round_duration_seconds_sum
	targets  float64 // appserver_metering_targets
	scrapes  float64 // appserver_metering_scrape_duration_seconds_count
	errors   float64 // appserver_metering_scrape_errors_total, every reason
}

func (p *operatorProcess) metrics() (opMetrics, error) {
	var m opMetrics
	fams, err := benchkit.MetricFamilies(p.metricsAddr)
	if err != nil {
		return m, err
	}
	f, ok := fams["appserver_metering_round_duration_seconds"]
	if !ok || len(f.GetMetric()) != 1 {
		return m, fmt.Errorf("the operator has no appserver_metering_round_duration_seconds (metering off, or a build older than this harness: run 'make build')")
	}
	h := f.GetMetric()[0].GetHistogram()
	m.rounds, m.roundSum = float64(h.GetSampleCount()), h.GetSampleSum()
	if f, ok := fams["appserver_metering_targets"]; ok && len(f.GetMetric()) == 1 {
		m.targets = f.GetMetric()[0].GetGauge().GetValue()
	}
	if f, ok := fams["appserver_metering_scrape_duration_seconds"]; ok && len(f.GetMetric()) == 1 {
		m.scrapes = float64(f.GetMetric()[0].GetHistogram().GetSampleCount())
	}
	if f, ok := fams["appserver_metering_scrape_errors_total"]; ok {
		for _, s := range f.GetMetric() {
			m.errors += s.GetCounter().GetValue()
		}
	}
	return m, nil
}

// nextRound waits until a round after before has ended and returns its
// duration: the growth of the histogram's sum, exact whatever the poll's
// timing as long as one round ended between two polls. It reads the
// operator's metrics every second from notBefore on (the next round's start,
// when known), so that its reads cost the operator little CPU between rounds.
func (p *operatorProcess) nextRound(ctx context.Context, before opMetrics, notBefore time.Time, timeout time.Duration) (round, opMetrics, error) {
	var m opMetrics
	if err := sleep(ctx, time.Until(notBefore)); err != nil {
		return round{}, m, err
	}
	err := benchkit.Poll(ctx, timeout, time.Second, "the next metering round to end", func() (bool, error) {
		if p.exited() {
			return false, fmt.Errorf("the operator exited; its log is %s", p.log.Name())
		}
		var err error
		m, err = p.metrics()
		return err == nil && m.rounds > before.rounds, err
	})
	if err != nil {
		return round{}, m, err
	}
	if n := m.rounds - before.rounds; n != 1 {
		return round{}, m, fmt.Errorf("%v rounds ended within a second: use a longer -interval", n)
	}
	return round{duration: time.Duration((m.roundSum - before.roundSum) * float64(time.Second)), ended: time.Now()}, m, nil
}

func (p *operatorProcess) cpu() (time.Duration, error) { return benchkit.ProcCPU(p.pid()) }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// meteringTiming is the interval and scrape timeout the operator runs with,
// read as the operator reads them (internal/settings), defaults included.
func meteringTiming(c config) (interval, timeout time.Duration, err error) {
	env := map[string]string{}
	if c.interval != "" {
		env[settings.EnvMeteringInterval] = c.interval
	}
	if c.timeout != "" {
		env[settings.EnvMeteringTimeoutScrape] = c.timeout
	}
	s, err := settings.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		return 0, 0, err
	}
	return s.MeteringInterval, s.MeteringTimeoutScrape, nil
}

// memoryLimit is the memory limit of the operator's container in the
// install manifests (config/manager/manager.yaml).
func memoryLimit(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "config", "manager", "manager.yaml"))
	if err != nil {
		return "", err
	}
	var d appsv1.Deployment
	if err := yaml.Unmarshal(b, &d); err != nil {
		return "", fmt.Errorf("reading config/manager/manager.yaml: %w", err)
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		if q, ok := c.Resources.Limits["memory"]; ok {
			return q.String(), nil
		}
	}
	return "", fmt.Errorf("config/manager/manager.yaml: no container with a memory limit")
}

// procMemory reads a process's resident set (VmRSS) and its peak (VmHWM),
// in bytes.
func procMemory(pid int) (rss, hwm int64, err error) {
	mem, err := benchkit.ProcMemory(pid, "VmRSS", "VmHWM")
	return mem["VmRSS"], mem["VmHWM"], err
}
