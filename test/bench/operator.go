package main

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/appserver-operator/appserver-operator/test/benchkit"
)

// operatorProcess is bin/appserver-operator run as a local process, metering off.
type operatorProcess struct {
	cmd         *exec.Cmd
	metricsAddr string
	logPath     string
	logFile     *os.File
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func startOperator(root, kubeconfig, logPath string, extraArgs []string) (*operatorProcess, error) {
	metricsAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	healthAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	p := &operatorProcess{metricsAddr: metricsAddr, logPath: logPath, logFile: logFile}
	args := append([]string{"--kubeconfig", kubeconfig,
		"--metrics-bind-address", metricsAddr,
		"--health-probe-bind-address", healthAddr}, extraArgs...)
	p.cmd = exec.Command(filepath.Join(root, "bin", "appserver-operator"), args...)
	p.cmd.Env = append(os.Environ(), "LOG_DIR=", "METERING_ENABLED=FALSE")
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting bin/appserver-operator (run 'make build'): %w", err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	hc := http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := hc.Get("http://" + healthAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("the operator was not ready within 2m; its log is %s", logPath)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (p *operatorProcess) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	p.logFile.Close()
}

// opMetrics is one scrape of the operator's metrics endpoint.
type opMetrics struct {
	byMethod   map[string]float64 // rest_client_requests_total by method
	buckets    map[float64]float64
	reconciles float64
}

func (p *operatorProcess) scrape() (opMetrics, error) {
	m := opMetrics{byMethod: map[string]float64{}, buckets: map[float64]float64{}}
	families, err := benchkit.MetricFamilies(p.metricsAddr)
	if err != nil {
		return m, err
	}
	if f, ok := families["rest_client_requests_total"]; ok {
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "method" {
					m.byMethod[l.GetValue()] += s.GetCounter().GetValue()
				}
			}
		}
	}
	if f, ok := families["controller_runtime_reconcile_time_seconds"]; ok {
		for _, s := range f.GetMetric() {
			if !hasLabel(s.GetLabel(), "controller", "applicationserver") {
				continue
			}
			h := s.GetHistogram()
			m.reconciles += float64(h.GetSampleCount())
			inf := false
			for _, b := range h.GetBucket() {
				m.buckets[b.GetUpperBound()] += float64(b.GetCumulativeCount())
				inf = inf || math.IsInf(b.GetUpperBound(), 1)
			}
			if !inf {
				m.buckets[math.Inf(1)] += float64(h.GetSampleCount())
			}
		}
	}
	return m, nil
}

func hasLabel[L interface {
	GetName() string
	GetValue() string
}](labels []L, name, value string) bool {
	for _, l := range labels {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// quantile estimates the q-quantile of the observations between two scrapes
// of a cumulative histogram, interpolating linearly inside a bucket as
// Prometheus' histogram_quantile does. It is NaN without observations.
func quantile(q float64, before, after map[float64]float64) float64 {
	bounds := make([]float64, 0, len(after))
	for b := range after {
		bounds = append(bounds, b)
	}
	sort.Float64s(bounds)
	if len(bounds) == 0 {
		return math.NaN()
	}
	total := after[bounds[len(bounds)-1]] - before[bounds[len(bounds)-1]]
	if total <= 0 {
		return math.NaN()
	}
	rank := q * total
	lower, prevCount := 0.0, 0.0
	for _, b := range bounds {
		count := after[b] - before[b]
		if count >= rank {
			if math.IsInf(b, 1) {
				return lower
			}
			if count == prevCount {
				return b
			}
			return lower + (b-lower)*(rank-prevCount)/(count-prevCount)
		}
		lower, prevCount = b, count
	}
	return lower
}

// procStats reads the peak resident set (VmHWM, bytes) and the CPU time
// (utime+stime) of a process from /proc.
func procStats(pid int) (peakRSS int64, cpu time.Duration, err error) {
	mem, err := benchkit.ProcMemory(pid, "VmHWM")
	if err != nil {
		return 0, 0, err
	}
	cpu, err = benchkit.ProcCPU(pid)
	return mem["VmHWM"], cpu, err
}
