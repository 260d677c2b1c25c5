//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/controller"
)

// The chaos suite (issue 13 §2): servers created while the operator is
// killed, a control-plane outage during a rollout, the leader killed during
// a rollout, a storm of changes to the children, and the metering API
// polled all along. It runs in every e2e run at its CI size; `make
// test-chaos` runs it at full size on a cluster of its own:
//
//	CHAOS_SIZE=full (500 servers, 200 drift mutations) or ci (the default: 40 and 40)
//	CHAOS_SEED=<n>  the seed of every random choice (default 13)
//
// Every random choice (which moment to kill, which servers to roll, which
// child to break and how) comes from the seed, and every "moment" is a
// count, not a time: the n-th server created, the operator's m-th reconcile.
// So a seed replays the same scenario on a fast or a slow machine; only the
// figures (durations) differ, and no assertion depends on them except the
// leader take-over, which is bounded generously (see chaosTakeoverLimit).

type chaosSize struct {
	name     string
	servers  int // created in phase 1
	kills    int // SIGKILLs of the operator during phase 1
	rollout  int // servers rolled in phases 2 and 3
	drift    int // mutations and deletions of children in phase 4
	converge time.Duration
}

var (
	chaosFull = chaosSize{name: "full", servers: 500, kills: 5, rollout: 100, drift: 200, converge: 15 * time.Minute}
	chaosCI   = chaosSize{name: "ci", servers: 40, kills: 5, rollout: 20, drift: 40, converge: 4 * time.Minute}
)

// chaosRestartDelay is how long the supervisor waits before it starts an
// operator that exited: the kubelet restarts a container that died for the
// first time at once, and backs off from 10 s after repeated crashes. One
// second keeps phase 1 short and still lets the killed process's
// connections close.
const chaosRestartDelay = time.Second

// chaosTakeoverLimit bounds the leader take-over: leader election promises
// lease duration (15 s) + retry period (2 s) + the time to start the
// controllers; the issue asks for lease + 5 s. The figure is reported; the
// assertion only catches a take-over that did not happen in time at all,
// with a margin for a loaded 2-core machine, so that it is not a timing test.
const chaosTakeoverLimit = leaseDuration + 45*time.Second

func TestChaos(t *testing.T) {
	size := chaosCI
	switch s := os.Getenv("CHAOS_SIZE"); s {
	case "", "ci":
	case "full":
		size = chaosFull
	default:
		t.Fatalf("CHAOS_SIZE=%q: want ci or full", s)
	}
	seed := uint64(13)
	if s := os.Getenv("CHAOS_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CHAOS_SEED=%q: %v", s, err)
		}
		seed = n
	}
	rng := rand.New(rand.NewPCG(seed, 0x13))
	c := &chaos{t: t, size: size, rng: rng, ns: newNamespace(t, "chaos"), leaseNS: newNamespace(t, "chaos-lease")}
	c.report("chaos suite: size %s, seed %d", "", size.name, seed)
	t.Cleanup(c.printReport)

	c.meter = startMeteringPoller(t, c)

	// Phases 1, 2 and 4 of a single replica run without leader election: with
	// one replica, leader election adds only a wait of one lease (15 s) after
	// each SIGKILL (the restarted process waits for the old lease to expire),
	// which phase 3 is about. Phase 3 runs two replicas with it.
	single := c.supervise("operator")
	c.waitReady(single)

	c.phaseCreate(single)
	c.phaseControlPlane(single)
	c.switchToReplicas(single)
	c.phaseLeaderKill()
	c.phaseDrift()
	c.checkChildren("at the end")
	c.meter.stopAndCheck(t, c)
	if n := c.unexpectedExits(); n > 0 {
		t.Errorf("an operator exited %d times without being killed or stopped by the test (see the log below)", n)
	}
}

// chaos holds the state of one run.
type chaos struct {
	t       *testing.T
	size    chaosSize
	rng     *rand.Rand
	ns      string
	leaseNS string
	meter   *meteringPoller

	mu      sync.Mutex
	procs   []*supervised // the current replicas
	events  []chaosEvent
	figures [][3]string // what, count, time
	servers []*v1alpha1.ApplicationServer
	image   string
}

type chaosEvent struct {
	at   time.Time
	what string // kill, stop, exit (unexpected), cp-stop, cp-start
}

func (c *chaos) event(what string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, chaosEvent{at: time.Now(), what: what})
}

func (c *chaos) report(what, count string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.figures = append(c.figures, [3]string{fmt.Sprintf(what, args...), count, ""})
}

func (c *chaos) figure(what string, count int, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tm := ""
	if d > 0 {
		tm = d.Round(100 * time.Millisecond).String()
	}
	c.figures = append(c.figures, [3]string{what, strconv.Itoa(count), tm})
}

func (c *chaos) printReport() {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-58s %8s %10s\n", "", "count", "time")
	for _, f := range c.figures {
		fmt.Fprintf(&b, "%-58s %8s %10s\n", f[0], f[1], f[2])
	}
	c.t.Log(b.String())
}

// supervised is an operator replica restarted whenever it exits, as the
// kubelet restarts a Deployment's container, until the test stops it.
type supervised struct {
	*operatorProcess
	name     string
	mu       sync.Mutex
	stopping bool
	restarts int
	// expectedExits are the kills of the test not yet seen by the
	// supervisor: other exits are crashes.
	expectedExits int
	done          chan struct{}
	metering      string // its metering API address
}

// supervise starts an operator replica with metering on. Extra arguments
// (leader election) follow the common ones.
func (c *chaos) supervise(name string, args ...string) *supervised {
	addr := freeAddr(c.t)
	env := append(slices.Clone(meteringEnv), "WATCH_NAMESPACE="+c.ns)
	s := &supervised{name: name, metering: addr, done: make(chan struct{}),
		operatorProcess: newOperator(c.t, env, append([]string{"--metering-bind-address", addr}, args...)...)}
	c.event("start")
	s.start(c.t)
	go func() {
		defer close(s.done)
		for {
			_, exited := s.current()
			<-exited
			s.mu.Lock()
			stopping := s.stopping
			s.mu.Unlock()
			if stopping {
				return
			}
			s.mu.Lock()
			expected := s.expectedExits > 0
			if expected {
				s.expectedExits--
			}
			s.mu.Unlock()
			if !expected {
				c.event("exit")
			}
			time.Sleep(chaosRestartDelay) // the restart delay of the simulated kubelet
			s.mu.Lock()
			if s.stopping {
				s.mu.Unlock()
				return
			}
			s.restarts++
			err := s.launch()
			s.mu.Unlock()
			if err != nil {
				c.t.Errorf("restarting %s: %v", name, err)
				return
			}
		}
	}()
	c.t.Cleanup(func() { s.halt() })
	c.mu.Lock()
	c.procs = append(c.procs, s)
	c.mu.Unlock()
	return s
}

// halt stops supervising and stops the process (SIGTERM).
func (s *supervised) halt() {
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	s.stop(time.Minute)
	<-s.done
}

// kill is SIGKILL of a replica; the supervisor starts it again.
func (c *chaos) kill(s *supervised) {
	s.mu.Lock()
	s.expectedExits++
	s.mu.Unlock()
	c.event("kill")
	s.kill(c.t)
}

func (c *chaos) unexpectedExits() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, e := range c.events {
		if e.what == "exit" {
			n++
		}
	}
	return n
}

// waitReady waits until the replica's current run answers /readyz.
func (c *chaos) waitReady(s *supervised) {
	c.t.Helper()
	eventually(c.t, 2*time.Minute, s.name+" to be ready", func() error {
		code, err := s.probe("/readyz")
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("/readyz %d", code)
		}
		return nil
	})
}

// reconcilesNow is the reconcile counter of the replica's current run (0
// while it is not up).
func (s *supervised) reconcilesNow() float64 {
	v, _, err := s.metricSum("controller_runtime_reconcile_total", map[string]string{"controller": "applicationserver"})
	if err != nil {
		return 0
	}
	return v
}

func (c *chaos) newServer(i int) *v1alpha1.ApplicationServer {
	as := newAppServer(c.ns, fmt.Sprintf("s-%03d", i), 1)
	as.Spec.Deployment.Image = c.image
	// Every 4th server is autoscaled (min 2: the HPA controller scales the
	// Deployment from the API server's default of 1 to 2 by itself, with no
	// metrics on this cluster); every 3rd has a PodDisruptionBudget.
	if i%4 == 0 {
		as.Spec.Deployment.Replicas = nil
		as.Spec.HorizontalPodAutoscaler = &v1alpha1.HorizontalPodAutoscalerSpec{Enabled: true,
			MinReplicas: ptr.To[int32](2), MaxReplicas: ptr.To[int32](4),
			ResourceMetrics: &v1alpha1.ResourceMetrics{CPUAverageUtilization: ptr.To[int32](80)}}
	}
	if i%3 == 0 {
		as.Spec.PodDisruptionBudget = &v1alpha1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(1))}
	}
	return as
}

func hpaOn(as *v1alpha1.ApplicationServer) bool {
	return as.Spec.HorizontalPodAutoscaler != nil && as.Spec.HorizontalPodAutoscaler.Enabled
}

func pdbOn(as *v1alpha1.ApplicationServer) bool {
	return as.Spec.PodDisruptionBudget != nil
}

// wantPods is the number of ready pods a server converges to.
func wantPods(as *v1alpha1.ApplicationServer) int32 {
	if hpaOn(as) {
		return *as.Spec.HorizontalPodAutoscaler.MinReplicas
	}
	return *as.Spec.Deployment.Replicas
}

// phaseCreate: create the servers while the operator is killed at seeded
// moments, then wait for every server to be Available.
func (c *chaos) phaseCreate(op *supervised) {
	t := c.t
	n := c.size.servers
	c.image = "ghcr.io/appserver-operator/sample-app:1.0"
	// The kills come after the k-th server is created (k seeded, distinct),
	// each once the running operator is ready and has reconciled r times
	// (r seeded, at most k: a restarted operator reconciles every server it
	// finds, so r is always reached).
	points := map[int]int{}
	for len(points) < c.size.kills {
		k := 1 + c.rng.IntN(n-1)
		if _, dup := points[k]; !dup {
			points[k] = 1 + c.rng.IntN(k)
		}
	}
	start := time.Now()
	kills := 0
	for i := range n {
		as := c.newServer(i)
		if err := k8s.Create(context.Background(), as); err != nil {
			t.Fatal(err)
		}
		c.servers = append(c.servers, as)
		if r, ok := points[i+1]; ok {
			c.waitReady(op)
			eventually(t, 2*time.Minute, fmt.Sprintf("the operator to reconcile %d times before kill %d", r, kills+1), func() error {
				if got := op.reconcilesNow(); got < float64(r) {
					return fmt.Errorf("%v reconciles", got)
				}
				return nil
			})
			c.kill(op)
			kills++
		}
	}
	created := time.Since(start)
	c.figure("servers created (phase 1)", n, created)
	c.figure("  operator SIGKILLs during creation", kills, 0)
	c.waitAll("after creation", c.size.converge, nil)
	c.figure("  all Available (from the first create)", n, time.Since(start))
	c.checkChildren("after creation under SIGKILL")
}

// waitAll waits until every server is Available, not Progressing, its
// status observed its generation, and its ready pods are what it asks for;
// image, when set, is the image every rolled server's Deployment must have.
func (c *chaos) waitAll(when string, timeout time.Duration, rolled map[string]string) {
	c.t.Helper()
	eventually(c.t, timeout, "every server to converge "+when, func() error {
		list := &v1alpha1.ApplicationServerList{}
		if err := k8s.List(context.Background(), list, client.InNamespace(c.ns)); err != nil {
			return err
		}
		deps := &appsv1.DeploymentList{}
		if err := k8s.List(context.Background(), deps, client.InNamespace(c.ns)); err != nil {
			return err
		}
		byName := map[string]*appsv1.Deployment{}
		for i := range deps.Items {
			byName[deps.Items[i].Name] = &deps.Items[i]
		}
		var behind []string
		for _, as := range list.Items {
			d := byName[as.Name]
			if why := notConverged(&as, d, rolled[as.Name]); why != "" {
				behind = append(behind, as.Name+" ("+why+")")
			}
		}
		if len(list.Items) != len(c.servers) {
			return fmt.Errorf("%d servers, want %d", len(list.Items), len(c.servers))
		}
		if len(behind) > 0 {
			return fmt.Errorf("%d of %d not converged, first ones: %v", len(behind), len(list.Items), behind[:min(5, len(behind))])
		}
		return nil
	})
}

// notConverged says why a server is not converged (its status, its
// Deployment's status), empty when it is; image, when set, is the image its
// Deployment must have.
func notConverged(as *v1alpha1.ApplicationServer, d *appsv1.Deployment, image string) string {
	cond := func(typ string) string {
		c := meta.FindStatusCondition(as.Status.Conditions, typ)
		if c == nil {
			return typ + " absent"
		}
		return fmt.Sprintf("%s=%s %s (gen %d)", typ, c.Status, c.Reason, c.ObservedGeneration)
	}
	want := wantPods(as)
	switch {
	case as.Status.ObservedGeneration != as.Generation:
		return fmt.Sprintf("status observed generation %d of %d", as.Status.ObservedGeneration, as.Generation)
	case !meta.IsStatusConditionTrue(as.Status.Conditions, v1alpha1.ConditionAvailable):
		return cond(v1alpha1.ConditionAvailable)
	case !meta.IsStatusConditionFalse(as.Status.Conditions, v1alpha1.ConditionProgressing):
		return cond(v1alpha1.ConditionProgressing)
	case d == nil:
		return "no Deployment"
	case d.Status.ObservedGeneration != d.Generation,
		d.Status.UpdatedReplicas != want, d.Status.ReadyReplicas != want, d.Status.Replicas != want:
		return fmt.Sprintf("Deployment generation %d observed %d, replicas %d updated %d ready %d, want %d",
			d.Generation, d.Status.ObservedGeneration, d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, want)
	case image != "" && d.Spec.Template.Spec.Containers[0].Image != image:
		return "image " + d.Spec.Template.Spec.Containers[0].Image
	}
	return ""
}

// checkChildren: every server has exactly its children, each controlled by
// it; no child of the operator is without its server; each Deployment has
// one ReplicaSet with pods (the others scaled to 0).
func (c *chaos) checkChildren(when string) {
	t := c.t
	t.Helper()
	ctx := context.Background()
	list := &v1alpha1.ApplicationServerList{}
	if err := k8s.List(ctx, list, client.InNamespace(c.ns)); err != nil {
		t.Fatal(err)
	}
	uids := map[types.UID]*v1alpha1.ApplicationServer{}
	for i := range list.Items {
		uids[list.Items[i].UID] = &list.Items[i]
	}
	managed := client.MatchingLabels{v1alpha1.LabelManagedBy: v1alpha1.ManagedByValue}
	kinds := []struct {
		kind string
		list client.ObjectList
		want func(*v1alpha1.ApplicationServer) bool
	}{
		{"Deployment", &appsv1.DeploymentList{}, func(*v1alpha1.ApplicationServer) bool { return true }},
		{"Service", &corev1.ServiceList{}, func(*v1alpha1.ApplicationServer) bool { return true }},
		{"HorizontalPodAutoscaler", &autoscalingv2.HorizontalPodAutoscalerList{}, hpaOn},
		{"PodDisruptionBudget", &policyv1.PodDisruptionBudgetList{}, pdbOn},
	}
	problems := 0
	fail := func(format string, args ...any) {
		problems++
		if problems <= 20 {
			t.Errorf("%s: "+format, append([]any{when}, args...)...)
		}
	}
	for _, k := range kinds {
		// Children of the operator by label, and every object of the kind
		// (a child that lost its label is still found by its owner).
		if err := k8s.List(ctx, k.list, client.InNamespace(c.ns)); err != nil {
			t.Fatal(err)
		}
		per := map[types.UID]int{}
		for _, obj := range listObjects(k.list) {
			ref := metav1.GetControllerOf(obj)
			if ref == nil || ref.Kind != "ApplicationServer" {
				fail("%s %s has no ApplicationServer controller (owners %v)", k.kind, obj.GetName(), obj.GetOwnerReferences())
				continue
			}
			as, ok := uids[ref.UID]
			if !ok {
				fail("%s %s is an orphan: its server %s (uid %s) is gone", k.kind, obj.GetName(), ref.Name, ref.UID)
				continue
			}
			if obj.GetName() != as.Name {
				fail("%s %s is controlled by %s: a duplicate under another name", k.kind, obj.GetName(), as.Name)
			}
			if obj.GetLabels()[v1alpha1.LabelManagedBy] != v1alpha1.ManagedByValue {
				fail("%s %s lacks the label %s", k.kind, obj.GetName(), v1alpha1.LabelManagedBy)
			}
			per[as.UID]++
		}
		for uid, as := range uids {
			want := 0
			if k.want(as) {
				want = 1
			}
			if per[uid] != want {
				fail("server %s has %d %s, want %d", as.Name, per[uid], k.kind, want)
			}
		}
	}
	// ReplicaSets with pods: one per Deployment.
	rss := &appsv1.ReplicaSetList{}
	if err := k8s.List(ctx, rss, client.InNamespace(c.ns), managed); err != nil {
		t.Fatal(err)
	}
	active := map[string]int{}
	for _, rs := range rss.Items {
		if ptr.Deref(rs.Spec.Replicas, 0) > 0 {
			if ref := metav1.GetControllerOf(&rs); ref != nil {
				active[ref.Name]++
			}
		}
	}
	for _, as := range list.Items {
		if active[as.Name] != 1 {
			fail("Deployment %s has %d ReplicaSets with replicas, want 1", as.Name, active[as.Name])
		}
	}
	if problems > 20 {
		t.Errorf("%s: %d problems in all (the first 20 above)", when, problems)
	}
	if problems == 0 {
		c.report("  children checked %s: owned, none orphaned or duplicated", strconv.Itoa(len(list.Items)), when)
	}
}

func listObjects(l client.ObjectList) []client.Object {
	var out []client.Object
	_ = meta.EachListItem(l, func(o runtime.Object) error {
		if co, ok := o.(client.Object); ok {
			out = append(out, co)
		}
		return nil
	})
	return out
}

// roll changes the image of n seeded servers and returns name → new image.
func (c *chaos) roll(image string) map[string]string {
	c.t.Helper()
	rolled := map[string]string{}
	for _, i := range c.rng.Perm(len(c.servers))[:c.size.rollout] {
		as := c.servers[i]
		patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"deployment":{"image":"`+image+`"}}}`))
		if err := k8s.Patch(context.Background(), &v1alpha1.ApplicationServer{ObjectMeta: metav1.ObjectMeta{Namespace: as.Namespace, Name: as.Name}}, patch); err != nil {
			c.t.Fatal(err)
		}
		rolled[as.Name] = image
	}
	return rolled
}

// rolling waits until at least one rolled server's Deployment carries the
// new image: the operator is mid-rollout.
func (c *chaos) rolling(rolled map[string]string) {
	c.t.Helper()
	eventually(c.t, 2*time.Minute, "the rollout to start", func() error {
		deps := &appsv1.DeploymentList{}
		if err := k8s.List(context.Background(), deps, client.InNamespace(c.ns)); err != nil {
			return err
		}
		for _, d := range deps.Items {
			if img := rolled[d.Name]; img != "" && d.Spec.Template.Spec.Containers[0].Image == img {
				return nil
			}
		}
		return errors.New("no rolled Deployment has the new image yet")
	})
}

// phaseControlPlane: stop and start the whole control plane (etcd, API
// server, controller manager, scheduler, kwok) during a rollout; the same
// operator process must converge afterwards without being restarted.
func (c *chaos) phaseControlPlane(op *supervised) {
	t := c.t
	restartsBefore := op.restartCount()
	rolled := c.roll("ghcr.io/appserver-operator/sample-app:2.0")
	c.rolling(rolled)
	c.event("cp-stop")
	outage := time.Now()
	controlPlane(t, "stop")
	controlPlane(t, "start")
	c.event("cp-start")
	back := time.Now()
	c.figure("control plane stopped and started during a rollout", 1, back.Sub(outage))
	c.waitAll("after the control-plane restart", c.size.converge, rolled)
	c.figure("  rolled servers converged after the restart", len(rolled), time.Since(back))
	if n := op.restartCount() - restartsBefore; n != 0 {
		t.Errorf("the operator was restarted %d times during the control-plane outage; it should ride it out", n)
	}
	c.figure("  operator restarts during the outage", op.restartCount()-restartsBefore, 0)
	c.checkChildren("after the control-plane restart")
}

func (s *supervised) restartCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restarts
}

// controlPlane runs hack/cluster.sh stop|start on the test's cluster.
func controlPlane(t *testing.T, verb string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "hack", "cluster.sh"), verb, clusterName)
	cmd.Env = append(os.Environ(), clusterEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hack/cluster.sh %s %s: %v\n%s", verb, clusterName, err, out)
	}
}

// switchToReplicas replaces the single operator by two replicas with leader
// election (a rolling update of the operator's Deployment, in effect).
func (c *chaos) switchToReplicas(single *supervised) {
	c.event("stop")
	single.halt()
	c.mu.Lock()
	c.procs = slices.DeleteFunc(c.procs, func(s *supervised) bool { return s == single })
	c.mu.Unlock()
	args := []string{"--leader-elect", "--leader-election-namespace", c.leaseNS}
	c.supervise("replica-a", args...)
	c.supervise("replica-b", args...)
}

func (c *chaos) replicas() []*supervised {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.procs)
}

// leaderNow returns the replica that reports leading, nil when none does.
func (c *chaos) leaderNow() *supervised {
	for _, s := range c.replicas() {
		if lead, _, err := s.leaderStatus(); err == nil && lead {
			return s
		}
	}
	return nil
}

// phaseLeaderKill: kill the leader mid-rollout; another replica takes over
// once the lease expires and the rollout converges. Meanwhile a watcher
// checks that two replicas never lead at once.
func (c *chaos) phaseLeaderKill() {
	t := c.t
	var leader *supervised
	eventually(t, 2*time.Minute, "a leader among the replicas", func() error {
		if leader = c.leaderNow(); leader == nil {
			return errors.New("none leads")
		}
		return nil
	})
	lw := startLeaseWatch(t, c)
	rolled := c.roll("ghcr.io/appserver-operator/sample-app:3.0")
	c.rolling(rolled)
	// Kill once the leader has done some of the rollout's work: a seeded
	// number of reconciles since the rollout began.
	base := leader.reconcilesNow()
	r := 1 + c.rng.IntN(c.size.rollout)
	eventually(t, 2*time.Minute, fmt.Sprintf("the leader to reconcile %d more times", r), func() error {
		if got := leader.reconcilesNow() - base; got < float64(r) {
			return fmt.Errorf("%v more", got)
		}
		return nil
	})
	c.kill(leader)
	killed := time.Now()
	var next *supervised
	eventually(t, chaosTakeoverLimit, "another replica to lead", func() error {
		if next = c.leaderNow(); next == nil {
			return errors.New("none leads")
		}
		return nil
	})
	takeover := time.Since(killed)
	who := "the other replica"
	if next == leader {
		who = "the killed replica, restarted"
	}
	c.figure("leader SIGKILLed mid-rollout: take-over by "+who, 1, takeover)
	c.report("  (lease duration %s; target lease + 5 s = %s)", "", leaseDuration, leaseDuration+5*time.Second)
	c.waitAll("after the leader was killed", c.size.converge, rolled)
	c.figure("  rolled servers converged after the take-over", len(rolled), time.Since(killed))
	lw.stopAndCheck(t, c)
	c.checkChildren("after the take-over")
}

// phaseDrift: break the children at random (seeded) and wait for every one
// to be repaired; the autoscaled Deployments keep the HPA's replicas.
func (c *chaos) phaseDrift() {
	t := c.t
	ctx := context.Background()
	// The HPA's own writes: every autoscaled Deployment is at the HPA's
	// minimum, 2, written by the HPA controller (not by the operator).
	for _, as := range c.servers {
		if !hpaOn(as) {
			continue
		}
		d := &appsv1.Deployment{}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(as), d); err != nil {
			t.Fatal(err)
		}
		if ptr.Deref(d.Spec.Replicas, 0) != 2 {
			t.Errorf("autoscaled Deployment %s has %d replicas before the storm, want the HPA's 2", d.Name, ptr.Deref(d.Spec.Replicas, 0))
		}
	}
	kinds := map[string]int{}
	start := time.Now()
	for range c.size.drift {
		as := c.servers[c.rng.IntN(len(c.servers))]
		what := c.mutate(as)
		kinds[what]++
	}
	c.figure("drift storm: mutations and deletions of children", c.size.drift, time.Since(start))
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		c.figure("  "+k, kinds[k], 0)
	}
	c.waitRepaired(start)
	c.waitAll("after the drift storm", c.size.converge, nil)
	// Not fought over: every autoscaled Deployment still has the HPA's 2
	// replicas, and the operator's field manager does not own spec.replicas.
	fought := 0
	for _, as := range c.servers {
		if !hpaOn(as) {
			continue
		}
		d := &appsv1.Deployment{}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(as), d); err != nil {
			t.Fatal(err)
		}
		if ptr.Deref(d.Spec.Replicas, 0) != 2 || ownsReplicas(d) {
			fought++
			t.Errorf("autoscaled Deployment %s: replicas %d, operator owns spec.replicas %t; want the HPA's 2, not owned",
				d.Name, ptr.Deref(d.Spec.Replicas, 0), ownsReplicas(d))
		}
	}
	c.figure("  autoscaled Deployments whose replicas the operator took", fought, 0)
}

// ownsReplicas reports whether the operator's field manager owns the
// Deployment's spec.replicas.
func ownsReplicas(d *appsv1.Deployment) bool {
	for _, mf := range d.ManagedFields {
		if mf.Manager == controller.FieldOwner && mf.FieldsV1 != nil && strings.Contains(mf.FieldsV1.GetRawString(), `"f:replicas"`) {
			return true
		}
	}
	return false
}

const driftManager = "chaos-drift"

// mutate breaks one child of as and returns what it did.
func (c *chaos) mutate(as *v1alpha1.ApplicationServer) string {
	t := c.t
	ctx := context.Background()
	key := client.ObjectKeyFromObject(as)
	om := metav1.ObjectMeta{Namespace: as.Namespace, Name: as.Name}
	patch := func(obj client.Object, typ types.PatchType, p string) {
		if err := k8s.Patch(ctx, obj, client.RawPatch(typ, []byte(p)), client.FieldOwner(driftManager)); err != nil && !apierrors.IsNotFound(err) {
			t.Fatalf("drift: patching %T %s: %v", obj, key, err)
		}
	}
	del := func(obj client.Object) {
		if err := k8s.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
			t.Fatalf("drift: deleting %T %s: %v", obj, key, err)
		}
	}
	switch n := c.rng.IntN(8); {
	case n == 0 && !hpaOn(as):
		patch(&appsv1.Deployment{ObjectMeta: om}, types.MergePatchType, fmt.Sprintf(`{"spec":{"replicas":%d}}`, 2+c.rng.IntN(3)))
		return "Deployment replicas changed"
	case n <= 1:
		patch(&appsv1.Deployment{ObjectMeta: om}, types.JSONPatchType, `[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"example.com/drift:1"}]`)
		return "Deployment image changed"
	case n == 2:
		patch(&appsv1.Deployment{ObjectMeta: om}, types.MergePatchType, `{"metadata":{"labels":{"app.kubernetes.io/component":"drift"}}}`)
		return "Deployment label changed"
	case n == 3:
		// The label the operator's informers select on: the Service
		// leaves its cache.
		patch(&corev1.Service{ObjectMeta: om}, types.MergePatchType, `{"metadata":{"labels":{"app.kubernetes.io/managed-by":null}}}`)
		return "Service managed-by label removed"
	case n == 4:
		patch(&corev1.Service{ObjectMeta: om}, types.JSONPatchType, `[{"op":"replace","path":"/spec/ports/0/port","value":9999}]`)
		return "Service port changed"
	case n == 5:
		del(&corev1.Service{ObjectMeta: om})
		return "Service deleted"
	case n == 6 && hpaOn(as):
		del(&autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: om})
		return "HPA deleted"
	case n == 7 && pdbOn(as):
		del(&policyv1.PodDisruptionBudget{ObjectMeta: om})
		return "PDB deleted"
	default:
		patch(&corev1.Service{ObjectMeta: om}, types.MergePatchType, `{"metadata":{"labels":{"app.kubernetes.io/component":"drift"}}}`)
		return "Service label changed"
	}
}

// waitRepaired waits until every child is back as the operator builds it:
// image, replicas, labels, Service ports, and the HPAs, PDBs and Services
// there again.
func (c *chaos) waitRepaired(since time.Time) {
	t := c.t
	ctx := context.Background()
	eventually(t, c.size.converge, "every child repaired after the drift storm", func() error {
		deps := &appsv1.DeploymentList{}
		svcs := &corev1.ServiceList{}
		hpas := &autoscalingv2.HorizontalPodAutoscalerList{}
		pdbs := &policyv1.PodDisruptionBudgetList{}
		for _, l := range []client.ObjectList{deps, svcs, hpas, pdbs} {
			if err := k8s.List(ctx, l, client.InNamespace(c.ns)); err != nil {
				return err
			}
		}
		has := map[string]bool{}
		for _, h := range hpas.Items {
			has["hpa/"+h.Name] = true
		}
		for _, p := range pdbs.Items {
			has["pdb/"+p.Name] = true
		}
		dep := map[string]*appsv1.Deployment{}
		for i := range deps.Items {
			dep[deps.Items[i].Name] = &deps.Items[i]
		}
		svc := map[string]*corev1.Service{}
		for i := range svcs.Items {
			svc[svcs.Items[i].Name] = &svcs.Items[i]
		}
		var broken []string
		for _, as := range c.servers {
			d, s := dep[as.Name], svc[as.Name]
			switch {
			case d == nil:
				broken = append(broken, as.Name+": no Deployment")
			case !strings.HasPrefix(d.Spec.Template.Spec.Containers[0].Image, "ghcr.io/appserver-operator/sample-app:"):
				broken = append(broken, as.Name+": image")
			case !hpaOn(as) && ptr.Deref(d.Spec.Replicas, 0) != *as.Spec.Deployment.Replicas:
				broken = append(broken, as.Name+": replicas")
			case d.Labels[v1alpha1.LabelComponent] == "drift":
				broken = append(broken, as.Name+": Deployment label")
			case s == nil:
				broken = append(broken, as.Name+": no Service")
			case s.Labels[v1alpha1.LabelComponent] == "drift" || s.Labels[v1alpha1.LabelManagedBy] != v1alpha1.ManagedByValue:
				broken = append(broken, as.Name+": Service labels")
			case slices.ContainsFunc(s.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == 9999 }):
				broken = append(broken, as.Name+": Service port")
			case hpaOn(as) && !has["hpa/"+as.Name]:
				broken = append(broken, as.Name+": no HPA")
			case pdbOn(as) && !has["pdb/"+as.Name]:
				broken = append(broken, as.Name+": no PDB")
			}
		}
		if len(broken) > 0 {
			return fmt.Errorf("%d broken, first ones: %v", len(broken), broken[:min(5, len(broken))])
		}
		return nil
	})
	c.figure("  every child repaired", len(c.servers), time.Since(since))
}

// leaseWatch polls the Lease and every replica's leader status during phase
// 3: two replicas must never report leading at once, and a new holder may
// only take the lease once the previous holder's last renewal is a full
// lease duration old (one host, one clock).
type leaseWatch struct {
	*ticking
	mu        sync.Mutex
	holders   []leaseHold // in order of appearance
	both      int         // samples in which two replicas led
	followerW int         // samples in which a non-leader had written more than the Lease
	samples   int
	errs      []string
}

type leaseHold struct {
	holder             string
	acquired, lastSeen time.Time // acquireTime, and the last renewTime seen
}

func startLeaseWatch(t *testing.T, c *chaos) *leaseWatch {
	lw := &leaseWatch{}
	lw.ticking = startTicking(t, 200*time.Millisecond, func() { lw.sample(c) })
	return lw
}

func (lw *leaseWatch) sample(c *chaos) {
	l := &coordinationv1.Lease{}
	err := k8s.Get(context.Background(), client.ObjectKey{Namespace: c.leaseNS, Name: leaseName}, l)
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.samples++
	if err == nil && l.Spec.HolderIdentity != nil && *l.Spec.HolderIdentity != "" && l.Spec.AcquireTime != nil && l.Spec.RenewTime != nil {
		h := *l.Spec.HolderIdentity
		if n := len(lw.holders); n == 0 || lw.holders[n-1].holder != h {
			lw.holders = append(lw.holders, leaseHold{holder: h, acquired: l.Spec.AcquireTime.Time})
		}
		last := &lw.holders[len(lw.holders)-1]
		if l.Spec.RenewTime.After(last.lastSeen) {
			last.lastSeen = l.Spec.RenewTime.Time
		}
	}
	leaders := 0
	for _, s := range c.replicas() {
		lead, writes, err := s.leaderAndWrites()
		if err != nil {
			continue // not up (killed, starting)
		}
		if lead {
			leaders++
		} else if writes > 1 {
			// A candidate's only write before it leads is the Lease it
			// takes (the status flips right after): more is a write by a
			// replica that does not lead.
			lw.followerW++
			if len(lw.errs) < 5 {
				lw.errs = append(lw.errs, fmt.Sprintf("%s wrote %v times while not leading", s.name, writes))
			}
		}
	}
	if leaders > 1 {
		lw.both++
	}
}

func (lw *leaseWatch) stopAndCheck(t *testing.T, c *chaos) {
	t.Helper()
	lw.halt()
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if lw.both > 0 {
		t.Errorf("two replicas reported leading at once in %d of %d samples", lw.both, lw.samples)
	}
	if lw.followerW > 0 {
		t.Errorf("a non-leader wrote in %d samples: %v", lw.followerW, lw.errs)
	}
	if len(lw.holders) < 2 {
		t.Errorf("lease holders seen: %d, want the killed leader's and its successor's", len(lw.holders))
		return
	}
	for i := 1; i < len(lw.holders); i++ {
		prev, next := lw.holders[i-1], lw.holders[i]
		gap := next.acquired.Sub(prev.lastSeen)
		c.figure(fmt.Sprintf("  lease handed over %d: last renewal → new acquisition", i), 1, gap)
		// MicroTime keeps microseconds: allow that rounding.
		if gap < leaseDuration-time.Millisecond {
			t.Errorf("lease taken by %s %s after %s's last renewal, before its %s lease expired: two leaders could write at once",
				next.holder, gap, prev.holder, leaseDuration)
		}
	}
	c.figure("  samples with two leaders / a non-leader writing", lw.both+lw.followerW, 0)
}

// leaderAndWrites reads, from one scrape, whether the replica leads and
// how many writes (POST, PUT, PATCH, DELETE) its client made.
func (p *operatorProcess) leaderAndWrites() (leader bool, writes float64, err error) {
	hc := http.Client{Timeout: 2 * time.Second}
	resp, err := hc.Get("http://" + p.metricsAddr + "/metrics")
	if err != nil {
		return false, 0, err
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return false, 0, err
	}
	f, ok := fams["leader_election_master_status"]
	if !ok {
		return false, 0, errors.New("no leader_election_master_status")
	}
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "name" && l.GetValue() == leaseName && m.GetGauge().GetValue() == 1 {
				leader = true
			}
		}
	}
	if f, ok := fams["rest_client_requests_total"]; ok {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "method" && slices.Contains([]string{"POST", "PUT", "PATCH", "DELETE"}, l.GetValue()) {
					writes += m.GetCounter().GetValue()
				}
			}
		}
	}
	return leader, writes, nil
}

// meteringPoller asks the metering API every 500 ms, of every replica (only
// the leader serves it), throughout the suite.
type meteringPoller struct {
	*ticking
	mu     sync.Mutex
	probes []meteringProbe
}

type meteringProbe struct {
	start, at time.Time // when the probe was sent, when its outcome came
	ok        bool
	err       string
}

func startMeteringPoller(t *testing.T, c *chaos) *meteringPoller {
	mp := &meteringPoller{}
	mp.ticking = startTicking(t, 500*time.Millisecond, func() { mp.probe(c) })
	return mp
}

// probe asks each operator replica's metering API for /metrics, until one
// answers.
func (mp *meteringPoller) probe(c *chaos) {
	replicas := c.replicas()
	if len(replicas) == 0 {
		return // before the first operator starts
	}
	pr := meteringProbe{start: time.Now()}
	var errs []string
	for _, s := range replicas {
		// A generous timeout: a slow answer on a loaded machine is
		// an answer.
		api := newMeteringAPI(s.metering)
		api.hc.Timeout = 5 * time.Second
		code, _, _, err := api.do("/metrics", "")
		if err == nil && code == http.StatusOK {
			pr.ok = true
			break
		}
		errs = append(errs, fmt.Sprintf("%s: %d %v", s.name, code, err))
	}
	// The time of the outcome: a request cut by a kill fails after it.
	pr.at = time.Now()
	pr.err = strings.Join(errs, "; ")
	mp.mu.Lock()
	mp.probes = append(mp.probes, pr)
	mp.mu.Unlock()
}

// ticking calls sample every interval on a goroutine of its own until halt,
// which waits for the call in progress; the test's cleanup halts it.
type ticking struct {
	stop, done chan struct{}
}

func startTicking(t *testing.T, interval time.Duration, sample func()) *ticking {
	tk := &ticking{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(tk.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-tk.stop:
				return
			case <-tick.C:
			}
			sample()
		}
	}()
	t.Cleanup(tk.halt)
	return tk
}

func (tk *ticking) halt() {
	select {
	case <-tk.stop:
	default:
		close(tk.stop)
	}
	<-tk.done
}

// classifyProbes counts the failed probes that an operator restart
// excuses and the others (with the first few of those), as stopAndCheck
// says; restarts are sorted.
func classifyProbes(probes []meteringProbe, restarts []time.Time) (excused, failed int, first []string) {
	excusing, next := false, 0
	var lastRestart time.Time
	for _, p := range probes {
		for next < len(restarts) && !restarts[next].After(p.at) {
			excusing, lastRestart = true, restarts[next]
			next++
		}
		switch {
		case p.ok:
			if p.start.After(lastRestart) {
				excusing = false
			}
		case excusing:
			excused++
		default:
			failed++
			if len(first) < 5 {
				first = append(first, p.at.Format("15:04:05.000")+" "+p.err)
			}
		}
	}
	return excused, failed, first
}

// stopAndCheck counts the failed probes. A failure is the operator's own
// restart when it comes after a kill, a stop or an exit of a replica and
// before the first answer since: the metering API is down while the
// operator is (and, with leader election, until the next leader serves it).
// An answer counts as "since" only if its probe was sent after the event:
// on a loaded machine an answer written just before a SIGKILL can be read
// just after it, and says nothing of the restarted process. Every other
// failure (during the control-plane outage, say) counts.
func (mp *meteringPoller) stopAndCheck(t *testing.T, c *chaos) {
	t.Helper()
	mp.halt()
	c.mu.Lock()
	var restarts []time.Time
	for _, e := range c.events {
		if e.what == "kill" || e.what == "stop" || e.what == "exit" || e.what == "start" {
			restarts = append(restarts, e.at)
		}
	}
	c.mu.Unlock()
	slices.SortFunc(restarts, func(a, b time.Time) int { return a.Compare(b) })
	mp.mu.Lock()
	defer mp.mu.Unlock()
	excused, failed, first := classifyProbes(mp.probes, restarts)
	c.figure("metering API probes", len(mp.probes), 0)
	c.figure("  failed while an operator restarted (excused)", excused, 0)
	c.figure("  failed otherwise", failed, 0)
	if failed > 0 {
		t.Errorf("the metering API failed %d times outside the operator's restarts; first ones: %v", failed, first)
	}
	if len(mp.probes)-excused-failed == 0 {
		t.Errorf("the metering API never answered")
	}
}

// TestMeteringProbeClassification checks the chaos suite's own
// bookkeeping (no cluster needed): which failed metering probes a restart
// excuses.
func TestMeteringProbeClassification(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ok := func(start, end int) meteringProbe { return meteringProbe{start: at(start), at: at(end), ok: true} }
	bad := func(start, end int) meteringProbe {
		return meteringProbe{start: at(start), at: at(end), err: "connection refused"}
	}
	for name, tc := range map[string]struct {
		probes          []meteringProbe
		restarts        []time.Time
		excused, failed int
	}{
		"no restart: a failure counts": {
			probes: []meteringProbe{ok(0, 10), bad(500, 510), ok(1000, 1010)}, failed: 1,
		},
		"failures after a kill until the next answer are excused": {
			probes:   []meteringProbe{ok(0, 10), bad(500, 510), bad(1000, 1010), ok(1500, 1510), bad(2000, 2010)},
			restarts: []time.Time{at(400)}, excused: 2, failed: 1,
		},
		// An answer written before a SIGKILL and read after it (a loaded
		// machine) does not end the excuse: the restarted process has
		// not answered yet. CI saw exactly this.
		"an answer sent before the kill does not end the excuse": {
			probes:   []meteringProbe{ok(0, 450), bad(500, 510), bad(1000, 1010), ok(1500, 1510)},
			restarts: []time.Time{at(400)}, excused: 2,
		},
	} {
		t.Run(name, func(t *testing.T) {
			excused, failed, _ := classifyProbes(tc.probes, tc.restarts)
			if excused != tc.excused || failed != tc.failed {
				t.Errorf("excused %d, failed %d; want %d, %d", excused, failed, tc.excused, tc.failed)
			}
		})
	}
}
