package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// The targets of issue #12 (section 3), printed beside the figures and
// never asserted.
const (
	targetRound    = 10 * time.Second // a full round of 1 000 pods, default timeout
	targetCPUShare = 0.10             // of one core, at a 1-minute interval
)

func render(c config, r *result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Run on %s, commit %s, on %s (load average %s at the start, %s at the end); "+
		"a fresh local cluster (hack/cluster.sh, %d loopback kwok node(s)), %d pods in %d ApplicationServers "+
		"(%d replicas each) served by the stand-in (test/standin), bin/appserver-operator as a local process with "+
		"METERING_INTERVAL %s, METERING_TIMEOUT_SCRAPE %s (%s), METERING_AUTH %s.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), commit(c.root), machine(), r.loadStart, r.loadEnd,
		r.loopbackNodes, c.pods, r.servers, c.replicas,
		r.interval, r.scrapeTimeout, defaultsOrNot(c), orNone(c.auth))
	fmt.Fprintf(&b, "Command: `%s`\n\n", c.command)

	durations := make([]time.Duration, len(r.rounds))
	for i, rd := range r.rounds {
		durations[i] = rd.duration
	}
	p50, maxD := p50max(durations)
	n := len(r.rounds)
	fmt.Fprintf(&b, "| PODS=%d | measured | target (issue #12) |\n|---|---|---|\n", c.pods)
	fmt.Fprintf(&b, "| full scrape round (appserver_metering_round_duration_seconds), p50 / max of %d rounds | **%s** / %s | ≤ %s for 1 000 pods with the default %s timeout: %s |\n",
		n, secs(p50), secs(maxD), secs(targetRound), secs(10*time.Second), verdict(maxD <= targetRound))
	fmt.Fprintf(&b, "| first full round (warm-up, not in the above) | %s | |\n", secs(r.warmup.duration))
	fmt.Fprintf(&b, "| scrapes in the measured rounds / failed | %.0f / %.0f | every pod every round, none failed |\n", r.scrapes, r.failed)
	perRound := (r.cpuWindow - r.cpuAPI) / time.Duration(n)
	share := perRound.Seconds() / r.interval.Seconds()
	// The target is for a 1-minute interval: at another interval, the
	// same CPU per round is compared with what it would be at one minute.
	shareAtMinute := perRound.Seconds() / time.Minute.Seconds()
	fmt.Fprintf(&b, "| operator CPU per round (utime+stime over %d rounds ÷ %d, the API's requests taken out) | **%s** = %.1f %% of a core at the %s interval | ≤ %.0f %% of a core at a 1-minute interval: %s |\n",
		n, n, secs(perRound), 100*share, r.interval, 100*targetCPUShare, verdictAt(shareAtMinute <= targetCPUShare, r.interval))
	fmt.Fprintf(&b, "| operator RSS (VmRSS) after the last round | **%s** | within the operator container's memory limit (%s, config/manager/manager.yaml): %s |\n",
		mib(r.rss), r.memoryLimit, verdict(r.rss <= limitBytes(r.memoryLimit)))
	fmt.Fprintf(&b, "| operator peak RSS (VmHWM) | **%s** | same: %s |\n", mib(r.hwm), verdict(r.hwm <= limitBytes(r.memoryLimit)))
	for _, s := range r.api {
		p50, maxT := s.stats()
		fmt.Fprintf(&b, "| metering API `GET %s` (%s, %s, %s), p50 / max of %d | **%s** / %s | — |\n",
			s.path, s.what, s.format(), kib(s.bytes), len(s.times), ms(p50), ms(maxT))
	}
	total := 0
	for _, s := range r.api {
		total += len(s.times)
	}
	fmt.Fprintf(&b, "\nThe %d API requests (each over a new HTTPS connection, one at a time, between rounds) cost the operator %s of CPU, "+
		"taken out of the CPU per round above; all of the operator's other CPU in the %d intervals (reconciles of the servers' "+
		"status.metering, the harness reading its metrics once a second while a round runs) is in it.\n", total, secs(r.cpuAPIAll), n)
	return b.String()
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

func verdictAt(ok bool, interval time.Duration) string {
	if interval == time.Minute {
		return verdict(ok)
	}
	return verdict(ok) + " (scaled to 1 minute)"
}

func defaultsOrNot(c config) string {
	switch {
	case c.interval == "" && c.timeout == "":
		return "the defaults"
	case c.interval == "":
		return "the default interval"
	case c.timeout == "":
		return "the default timeout"
	}
	return "not the defaults"
}

func orNone(s string) string {
	if s == "" {
		return "none (the default)"
	}
	return s
}

func p50max(d []time.Duration) (p50, maxD time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)/2], s[len(s)-1]
}

func secs(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return secs(d)
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func kib(n int64) string {
	if n >= 1<<20 {
		return mib(n)
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
}

// limitBytes parses a quantity such as 256Mi; unknown forms never pass.
func limitBytes(q string) int64 {
	var n int64
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}} {
		if v, ok := strings.CutSuffix(q, u.suffix); ok {
			if _, err := fmt.Sscanf(v, "%d", &n); err == nil {
				return n * u.mult
			}
		}
	}
	return 0
}

func commit(root string) string {
	cmd := exec.Command("git", "rev-parse", "--short=12", "HEAD")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	diff := exec.Command("git", "diff", "--quiet", "HEAD")
	diff.Dir = root
	if diff.Run() != nil {
		c += "-dirty"
	}
	return c
}

// machine describes the CPUs, memory and Go version.
func machine() string {
	model := ""
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
		f.Close()
	}
	mem := ""
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				var kb int64
				if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d", &kb); err == nil {
					mem = fmt.Sprintf(", %.1f GiB memory", float64(kb)/(1<<20))
				}
				break
			}
		}
		f.Close()
	}
	return fmt.Sprintf("%d CPUs (%s)%s, %s %s/%s", runtime.NumCPU(), model, mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
