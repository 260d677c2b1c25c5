// Command benchlogs measures the log shipper (make bench-logs; not run in
// CI): bin/appserver-log-shipper tails a file written at a fixed rate and
// ships it to a local VictoriaLogs (bin/victoria-logs) with the
// Elasticsearch exporter, as the operator configures it. For each rate it
// reports the lines/s delivered, the end-to-end lag p99 (from the write of a
// line to the first count query of the store that includes it), and the
// shipper's peak RSS and CPU. It prints a Markdown table.
//
// By default (-cgroup) the shipper runs as a container would: in a memory
// cgroup of its own limited to -memory-limit, from a copy of the binary
// that is not in the page cache (the first pod on a node), so that the
// cgroup's peak is what the container's memory limit sees, the binary's
// pages included; an OOM kill ends the run with an error.
//
//	go run ./test/benchlogs -rates 1000,10000 -duration 60s -memory-limit 64
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/appserver-operator/appserver-operator/test/benchkit"
)

func main() {
	rates := flag.String("rates", "1000,10000", "lines per second, comma-separated")
	duration := flag.Duration("duration", 60*time.Second, "how long each rate is written")
	bin := flag.String("bin", "bin", "directory with appserver-log-shipper and victoria-logs")
	memLimit := flag.Int("memory-limit", 64, "the shipper container's memory limit in MiB: GOMEMLIMIT and the memory_limiter follow it as the operator sets them")
	cgroup := flag.Bool("cgroup", true, "run the shipper in a memory cgroup of its own limited to -memory-limit, from a binary not in the page cache (a pod's container, the first on its node); needs root")
	flag.Parse()
	fmt.Println("| lines/s written | lines/s delivered | lag p99 | shipper peak RSS | of which anonymous (peak) | shipper CPU | cgroup peak (limit) | OOM kills |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, r := range strings.Split(*rates, ",") {
		rate, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil {
			fail(err)
		}
		res, err := run(*bin, rate, *duration, *memLimit, *cgroup)
		if err != nil {
			fail(err)
		}
		cg, ooms := "—", "—"
		if *cgroup {
			cg, ooms = fmt.Sprintf("%.1f MiB (%d MiB)", res.cgroupPeakMiB, *memLimit), strconv.Itoa(res.oomKills)
		}
		fmt.Printf("| %d | %.0f | %s | %.1f MiB | %.1f MiB | %.0f %% of a core | %s | %s |\n", rate, res.delivered, res.lagP99.Round(time.Millisecond), res.rssMiB, res.anonMiB, res.cpu*100, cg, ooms)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchlogs:", err)
	os.Exit(1)
}

type result struct {
	delivered float64
	lagP99    time.Duration
	anonMiB   float64
	rssMiB    float64
	cpu       float64
	// cgroupPeakMiB: the most the shipper's memory cgroup was charged
	// (heap and the binary's pages); oomKills: processes killed there.
	cgroupPeakMiB float64
	oomKills      int
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// config is what the operator generates for an Elasticsearch destination
// (internal/resources/logshipper.go), with local paths.
const config = `extensions:
  file_storage: {directory: %[1]s/offsets, create_directory: true, fsync: true}
receivers:
  filelog:
    include: [%[1]s/logs/server.log]
    start_at: beginning
    include_file_path: true
    storage: file_storage
    poll_interval: 200ms
    multiline: {line_start_pattern: '^\d{4}-\d{2}-\d{2} '}
processors:
  memory_limiter: {check_interval: 1s, limit_mib: %[3]d, spike_limit_mib: %[4]d}
  resource:
    attributes:
    - {key: service.name, value: bench, action: upsert}
exporters:
  elasticsearch:
    endpoints: [http://%[2]s/insert/elasticsearch]
    index: appserver
    headers: {VL-Msg-Field: message, VL-Time-Field: "@timestamp"}
    sending_queue: {storage: file_storage, sizer: items, queue_size: 100000, block_on_overflow: true, num_consumers: 2, batch: {flush_timeout: 1s, min_size: 1000, max_size: 5000}}
    retry_on_failure: {enabled: true, initial_interval: 1s, max_interval: 10s, max_elapsed_time: 0s}
service:
  extensions: [file_storage]
  telemetry: {metrics: {level: none}}
  pipelines:
    logs: {receivers: [filelog], processors: [memory_limiter, resource], exporters: [elasticsearch]}
`

func run(bin string, rate int, d time.Duration, memLimitMiB int, inCgroup bool) (result, error) {
	dir, err := os.MkdirTemp("", "benchlogs-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	for _, sub := range []string{"logs", "offsets", "vl"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return result{}, err
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return result{}, err
	}
	vl := exec.Command(filepath.Join(bin, "victoria-logs"), "-httpListenAddr="+addr, "-storageDataPath="+filepath.Join(dir, "vl"),
		"-retentionPeriod=100y", "-loggerLevel=WARN")
	if err := vl.Start(); err != nil {
		return result{}, err
	}
	defer func() { _ = vl.Process.Signal(syscall.SIGTERM); _ = vl.Wait() }()
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if i > 300 {
			return result{}, fmt.Errorf("VictoriaLogs does not listen")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(config, dir, addr, max(memLimitMiB*80/100, 8), max(memLimitMiB*20/100, 2))), 0o600); err != nil {
		return result{}, err
	}
	argv := []string{filepath.Join(bin, "appserver-log-shipper"), "--config=" + cfg}
	var cg *memCgroup
	if inCgroup {
		if cg, err = newMemCgroup(memLimitMiB); err != nil {
			return result{}, err
		}
		defer cg.remove() // after the shipper has stopped (defers run last first)
		argv[0] = filepath.Join(dir, "appserver-log-shipper")
		if err := coldCopy(filepath.Join(bin, "appserver-log-shipper"), argv[0]); err != nil {
			return result{}, err
		}
		argv = cg.wrap(argv)
	}
	sh := exec.Command(argv[0], argv[1:]...)
	sh.Env = append(os.Environ(), fmt.Sprintf("GOMEMLIMIT=%d", memLimitMiB<<20))
	if err := sh.Start(); err != nil {
		return result{}, err
	}
	defer func() { _ = sh.Process.Signal(syscall.SIGTERM); _ = sh.Wait() }()

	f, err := os.Create(filepath.Join(dir, "logs", "server.log"))
	if err != nil {
		return result{}, err
	}
	defer f.Close()

	// Write in 10 ms ticks; poll the store's count every 100 ms meanwhile.
	total := int(float64(rate) * d.Seconds())
	written := make([]time.Time, 0, total)
	type sample struct {
		at    time.Time
		count int
	}
	var samples []sample
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	lastPoll := time.Time{}
	var buf bytes.Buffer
	// The peak of the anonymous part of the RSS (heap, stacks): the rest is
	// the binary's pages, clean and reclaimable under a memory limit.
	anonMiB := 0.0
	for len(written) < total || (len(samples) == 0 || samples[len(samples)-1].count < total) {
		now := <-tick.C
		due := min(total, int(float64(rate)*now.Sub(start).Seconds()))
		buf.Reset()
		for len(written) < due {
			fmt.Fprintf(&buf, "%s INFO [main] seq=%09d request handled in 3 ms, user=alice cart=42 items=3\n", now.UTC().Format("2006-01-02 15:04:05.000"), len(written))
			written = append(written, now)
		}
		if buf.Len() > 0 {
			if _, err := f.Write(buf.Bytes()); err != nil {
				return result{}, err
			}
		}
		if now.Sub(lastPoll) >= 100*time.Millisecond {
			lastPoll = now
			anonMiB = max(anonMiB, statusMiB(sh.Process.Pid, "RssAnon"))
			if cg != nil && cg.oomKills() > 0 {
				return result{}, fmt.Errorf("rate %d: the shipper was OOM-killed in its %d MiB memory cgroup", rate, memLimitMiB)
			}
			c, err := count(addr)
			if err == nil {
				samples = append(samples, sample{time.Now(), c})
			}
		}
		if time.Since(start) > d+3*time.Minute {
			return result{}, fmt.Errorf("rate %d: only %d of %d lines delivered after %s", rate, samples[len(samples)-1].count, total, time.Since(start))
		}
	}
	end := samples[len(samples)-1].at
	usage, rss := procStats(sh.Process.Pid)

	// lag of line i: the first sample whose count exceeds i, minus its write time.
	lags := make([]time.Duration, 0, total)
	j := 0
	for i := range total {
		for samples[j].count <= i {
			j++
		}
		lags = append(lags, samples[j].at.Sub(written[i]))
	}
	slices.Sort(lags)
	res := result{
		delivered: float64(total) / end.Sub(start).Seconds(),
		lagP99:    lags[len(lags)*99/100],
		rssMiB:    rss,
		anonMiB:   anonMiB,
		cpu:       usage.Seconds() / end.Sub(start).Seconds(),
	}
	if cg != nil {
		res.cgroupPeakMiB, res.oomKills = cg.peakMiB(), cg.oomKills()
	}
	return res, nil
}

func count(addr string) (int, error) {
	resp, err := http.Get("http://" + addr + "/select/logsql/query?" + url.Values{"query": {"* | stats count() n"}}.Encode())
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var row struct {
		N string `json:"n"`
	}
	sc := bufio.NewScanner(resp.Body)
	if !sc.Scan() {
		return 0, fmt.Errorf("empty answer")
	}
	if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
		return 0, err
	}
	return strconv.Atoi(row.N)
}

// procStats returns the CPU time the process used and its peak RSS in MiB.
func procStats(pid int) (time.Duration, float64) {
	cpu, _ := benchkit.ProcCPU(pid)
	return cpu, statusMiB(pid, "VmHWM")
}

// statusMiB reads one memory line of /proc/<pid>/status in MiB (0 if absent).
func statusMiB(pid int, key string) float64 {
	mem, _ := benchkit.ProcMemory(pid, key)
	return float64(mem[key]) / (1 << 20)
}
