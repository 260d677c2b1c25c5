// Command benchmetering measures the operator's metering at scale (make
// bench-metering; docs/performance.md, "Metering at scale"): on a fresh local
// cluster (hack/cluster.sh) with enough loopback kwok nodes, it creates
// ApplicationServers with metering enabled whose pods (-pods, 1 000 by
// default) are served by the stand-in application server (test/standin, a
// test double listening at each pod's loopback IP), runs bin/appserver-operator
// as a local process with the default metering interval and scrape timeout,
// and prints a Markdown table of
//
//   - the duration of a full scrape round over every pod, from the operator's
//     own appserver_metering_round_duration_seconds;
//   - the operator's CPU per round (utime+stime from /proc/<pid>/stat over
//     several rounds, divided by the rounds), its RSS (VmRSS) and peak RSS
//     (VmHWM);
//   - the response time of the metering API for GET /metrics (every server)
//     and GET /metrics/<name> (one server),
//
// beside the targets of issue #12, which it prints and never asserts.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/appserver-operator/appserver-operator/test/benchkit"
)

type config struct {
	pods        int
	perNode     int
	replicas    int
	rounds      int
	apiRequests int
	interval    string
	timeout     string
	auth        string
	cluster     string
	keep        bool
	deadline    time.Duration
	command     string
	root        string
}

func main() {
	var c config
	flag.IntVar(&c.pods, "pods", 1000, "Pods to meter, all on loopback kwok nodes, served by the stand-in.")
	flag.IntVar(&c.perNode, "pods-per-node", 200, "Pods per loopback node: ceil(pods / this) loopback nodes (hack/cluster.sh LOOPBACK_NODES); each of several takes 250 pods at most, and 200 leaves the scheduler room to spread them unevenly.")
	flag.IntVar(&c.replicas, "replicas", 10, "Pods per ApplicationServer (the last one gets the remainder).")
	flag.IntVar(&c.rounds, "rounds", 3, "Full scrape rounds measured, after a first full round that warms up.")
	flag.IntVar(&c.apiRequests, "api-requests", 5, "Requests to each metering API path and format after each measured round.")
	flag.StringVar(&c.interval, "interval", "", "METERING_INTERVAL for the operator (empty: the operator's default, 1 minute).")
	flag.StringVar(&c.timeout, "scrape-timeout", "", "METERING_TIMEOUT_SCRAPE for the operator (empty: the operator's default, 10 seconds).")
	flag.StringVar(&c.auth, "auth", "", "METERING_AUTH for the operator: empty (the default, no authentication) or kubernetes (bearer token of a ServiceAccount allowed to get /metrics and /metrics/*).")
	flag.StringVar(&c.cluster, "cluster", "bench-metering", "Name of the local cluster, created fresh and deleted at the end.")
	flag.BoolVar(&c.keep, "keep", false, "Keep the cluster, the operator and the stand-in running after the table, until Ctrl-C.")
	flag.DurationVar(&c.deadline, "deadline", 45*time.Minute, "Longest the whole run may take.")
	flag.StringVar(&c.command, "command", "", "The command to print as the way to rerun (default: this program's arguments).")
	flag.Parse()
	switch {
	case c.pods < 1:
		fatal(fmt.Errorf("-pods must be at least 1, got %d", c.pods))
	case c.replicas < 1:
		fatal(fmt.Errorf("-replicas must be at least 1, got %d", c.replicas))
	case c.rounds < 1:
		fatal(fmt.Errorf("-rounds must be at least 1, got %d", c.rounds))
	case c.apiRequests < 1:
		fatal(fmt.Errorf("-api-requests must be at least 1, got %d", c.apiRequests))
	case c.auth != "" && c.auth != "kubernetes":
		fatal(fmt.Errorf("-auth: want empty or kubernetes, got %q", c.auth))
	case c.perNode < 1 || c.perNode > 250:
		fatal(fmt.Errorf("-pods-per-node: want 1 to 250, got %d", c.perNode))
	case (c.pods+c.perNode-1)/c.perNode > 100:
		fatal(fmt.Errorf("-pods %d needs more than the 100 loopback nodes hack/cluster.sh can make", c.pods))
	}
	if c.command == "" {
		c.command = "go run ./test/benchmetering " + strings.Join(os.Args[1:], " ")
	}
	root, err := benchkit.RepoRoot()
	if err != nil {
		fatal(err)
	}
	c.root = root
	ctrllog.SetLogger(logr.Discard())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, c.deadline)
	err = run(ctx, c)
	cancel()
	stop()
	if err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench-metering:", err)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s bench-metering: %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
}
