package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"time"
)

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "—"
	}
	return fmt.Sprintf("**%.2f×**", a.Seconds()/b.Seconds())
}

func perServer(v float64, n int) string { return fmt.Sprintf("%.2f", v/float64(n)) }

func ms(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.1f ms", v*1000)
}

func total(m map[string]float64, pred func(string) bool) float64 {
	t := 0.0
	for k, v := range m {
		if pred(k) {
			t += v
		}
	}
	return t
}

func all(string) bool { return true }

// render is the markdown table of one run.
// render prints the run's tables; raw is nil when the direct side did not
// run, and a wave that did not run (-waves create) has no column.
func render(c config, op, raw *result) string {
	var b strings.Builder
	n := c.n
	type pair struct {
		name    string
		op, raw wave
	}
	rawOf := func(f func(r *result) wave) wave {
		if raw == nil {
			return wave{}
		}
		return f(raw)
	}
	pairs := []pair{{"create", op.create, rawOf(func(r *result) wave { return r.create })}}
	waves, names := []wave{op.create}, []string{"create"}
	if !c.createOnly {
		pairs = append(pairs, pair{"update (image)", op.update, rawOf(func(r *result) wave { return r.update })},
			pair{"delete", op.del, rawOf(func(r *result) wave { return r.del })})
		waves, names = append(waves, op.update, op.del), append(names, "update", "delete")
	}
	direct := func(s string) string {
		if raw == nil {
			return "not run"
		}
		return s
	}
	fmt.Fprintf(&b, "| N=%d | direct | operator | operator/direct |\n|---|---|---|---|\n", n)
	for _, r := range pairs {
		fmt.Fprintf(&b, "| %s: time to converge | %s | %.1f s | %s |\n", r.name,
			direct(fmt.Sprintf("%.1f s", r.raw.t.Seconds())), r.op.t.Seconds(), direct(ratio(r.op.t, r.raw.t)))
	}
	for _, r := range pairs {
		fmt.Fprintf(&b, "| %s: Events per server (all / the operator's) | %s | %s / %s | |\n", strings.TrimSuffix(r.name, " (image)"),
			direct(perServer(float64(r.raw.events), n)+" / —"), perServer(float64(r.op.events), n), perServer(float64(r.op.opEvents), n))
	}
	fmt.Fprintf(&b, "\nThe operator, per wave:\n\n| N=%d | %s |\n|---%s|\n", n, strings.Join(names, " | "), strings.Repeat("|---", len(names)))
	row := func(name string, f func(w wave) string) {
		cells := make([]string, len(waves))
		for i, w := range waves {
			cells[i] = f(w)
		}
		fmt.Fprintf(&b, "| %s | %s |\n", name, strings.Join(cells, " | "))
	}
	row("requests per server (all)", func(w wave) string { return perServer(total(w.requests, all), n) })
	row("writes per server", func(w wave) string { return "**" + perServer(total(w.requests, isWrite), n) + "**" })
	row("writes per server (rest_client_requests_total)", func(w wave) string { return perServer(writes(w.byMethod), n) })
	keys := map[string]bool{}
	for _, w := range waves {
		for k := range w.requests {
			keys[k] = true
		}
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Slice(sorted, func(i, j int) bool {
		wi, wj := isWrite(sorted[i]), isWrite(sorted[j])
		if wi != wj {
			return wi
		}
		return sorted[i] < sorted[j]
	})
	for _, k := range sorted {
		row("&nbsp;&nbsp;"+k+" per server", func(w wave) string { return perServer(w.requests[k], n) })
	}
	row("reconciles per server", func(w wave) string { return perServer(w.reconciles, n) })
	row("reconcile latency p50 / p99", func(w wave) string { return ms(w.p50) + " / " + ms(w.p99) })
	row("operator CPU", func(w wave) string { return fmt.Sprintf("%.1f s", w.cpu.Seconds()) })
	row("operator peak RSS (so far)", func(w wave) string { return fmt.Sprintf("%.0f MiB", float64(w.peakRSS)/(1<<20)) })
	fmt.Fprintf(&b, "\nOperator writes in the %s idle window after the create wave converged: **%.0f** (all requests: %.0f", c.idle, op.idleWrites, total(op.idleRequests, all))
	if len(op.idleRequests) > 0 {
		parts := []string{}
		for k, v := range op.idleRequests {
			parts = append(parts, fmt.Sprintf("%s %.0f", k, v))
		}
		sort.Strings(parts)
		fmt.Fprintf(&b, ": %s", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, ").\n")
	return b.String()
}

func machine() string {
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kib int64
		if _, err := fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kib); err == nil {
			mem = fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
		}
	}
	cpu := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = ", " + strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (nproc)%s, %s memory, %s %s/%s", runtime.NumCPU(), cpu, mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func commit(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if exec.Command("git", "-C", root, "diff", "--quiet", "HEAD", "--", "internal", "cmd", "api").Run() != nil {
		c += " (operator code modified)"
	}
	return c
}

// marks are the lines between which writeDoc puts the table of a run with
// n servers: one section per N, so the runs at 1 000 and 5 000 stay side
// by side.
func marks(n int) (begin, end string) {
	return fmt.Sprintf("<!-- bench:begin N=%d (written by make bench) -->", n), fmt.Sprintf("<!-- bench:end N=%d -->", n)
}

// writeDoc puts the run's table between the bench markers of path for c.n.
func writeDoc(path string, c config, nodes int, table string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	s := string(old)
	beginMark, endMark := marks(c.n)
	i, j := strings.Index(s, beginMark), strings.Index(s, endMark)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no section for N=%d: put the lines %q and %q where its table goes", path, c.n, beginMark, endMark)
	}
	clusters := "two fresh local clusters"
	if !c.direct {
		clusters = "one fresh local cluster, the operator side's only"
	}
	section := fmt.Sprintf("%s\nRun from %s UTC, commit %s, on %s (load average %s at the start); %s (hack/cluster.sh, %d kwok nodes each, QPS limits off), %d parallel clients per side.\n\nCommand: `%s`\n\n%s",
		beginMark, c.started.UTC().Format("2006-01-02 15:04"), c.commit, machine(), c.loadStart, clusters, nodes, c.clients, c.command, table)
	return os.WriteFile(path, []byte(s[:i]+section+s[j:]), 0o644)
}

// sane fails unless every figure of the run is present and plausible. It
// asserts no speed.
func sane(c config, op, raw *result) error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	for name, w := range map[string]wave{"create": op.create, "update": op.update, "delete": op.del} {
		check(w.t > 0, "operator %s: no time", name)
		check(name == "delete" || total(w.requests, isWrite) > 0, "operator %s: no writes counted by the proxy", name)
		check(name == "delete" || w.cpu > 0, "operator %s: no CPU time", name)
		check(w.peakRSS > 0, "operator %s: no peak RSS", name)
	}
	for name, w := range map[string]wave{"create": op.create, "update": op.update} {
		check(writes(w.byMethod) > 0, "operator %s: rest_client_requests_total shows no writes", name)
		check(w.reconciles > 0, "operator %s: no reconciles", name)
		check(!math.IsNaN(w.p50) && w.p50 > 0 && w.p99 >= w.p50, "operator %s: reconcile latency p50 %v, p99 %v", name, w.p50, w.p99)
		check(w.opEvents > 0 || name == "update", "operator %s: no events by the operator", name)
	}
	check(op.create.opEvents > 0, "operator create: no events by the operator")
	check(op.idleWrites >= 0, "idle writes %v", op.idleWrites)
	for name, w := range map[string]wave{"create": raw.create, "update": raw.update, "delete": raw.del} {
		check(w.t > 0, "direct %s: no time", name)
	}
	check(raw.create.events > 0, "direct create: no events")
	return errors.Join(errs...)
}
