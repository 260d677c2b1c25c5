package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/operator"
	"github.com/appserver-operator/appserver-operator/internal/resources"

	"github.com/appserver-operator/appserver-operator/test/benchkit"
)

// namespaces creates the servers' namespaces and waits for their default
// ServiceAccounts, without which no pod is admitted.
func (s *side) namespaces(ctx context.Context) error {
	count := (s.c.n + perNamespace - 1) / perNamespace
	for i := range count {
		ns, _ := serverName(i * perNamespace)
		s.ns = append(s.ns, ns)
		if err := s.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return fmt.Errorf("creating namespace %s: %w", ns, err)
		}
	}
	for _, ns := range s.ns {
		if err := poll(ctx, time.Minute, "the default ServiceAccount in "+ns, func() (bool, error) {
			err := s.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "default"}, &corev1.ServiceAccount{})
			return err == nil, client.IgnoreNotFound(err)
		}); err != nil {
			return err
		}
	}
	return nil
}

// startCache watches the servers' namespaces: convergence is judged on the
// harness's own informers rather than by listing N objects again and again.
func (s *side) startCache(ctx context.Context, cfg *rest.Config) error {
	nss := map[string]cache.Config{}
	for _, ns := range s.ns {
		nss[ns] = cache.Config{}
	}
	var err error
	if s.cache, err = cache.New(cfg, cache.Options{Scheme: operator.Scheme(), DefaultNamespaces: nss}); err != nil {
		return err
	}
	objs := []client.Object{&appsv1.Deployment{}, &corev1.Service{}, &corev1.Pod{}}
	if s.withOp {
		objs = append(objs, &v1alpha1.ApplicationServer{})
	}
	for _, o := range objs {
		if _, err := s.cache.GetInformer(ctx, o); err != nil {
			return err
		}
	}
	go func() { _ = s.cache.Start(ctx) }()
	if !s.cache.WaitForCacheSync(ctx) {
		return errors.New("the harness's cache did not sync")
	}
	return nil
}

func (s *side) createOne(ctx context.Context, i int) error {
	ns, name := serverName(i)
	if s.withOp {
		replicas := int32(1)
		return s.client.Create(ctx, &v1alpha1.ApplicationServer{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: v1alpha1.ApplicationServerSpec{Deployment: v1alpha1.DeploymentSpec{
				Image: image1, Replicas: &replicas,
			}},
		})
	}
	as := s.server(i, image1)
	if err := s.client.Create(ctx, resources.Deployment(as, resources.Options{})); err != nil {
		return err
	}
	return s.client.Create(ctx, resources.Service(as))
}

// server is the template server renamed to server i, with an image.
func (s *side) server(i int, image string) *v1alpha1.ApplicationServer {
	ns, name := serverName(i)
	as := &v1alpha1.ApplicationServer{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	s.tmpl.Spec.DeepCopyInto(&as.Spec)
	as.Spec.Deployment.Image = image
	return as
}

func (s *side) updateOne(ctx context.Context, i int) error {
	ns, name := serverName(i)
	if s.withOp {
		as := &v1alpha1.ApplicationServer{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
		patch := []byte(`{"spec":{"deployment":{"image":"` + image2 + `"}}}`)
		return s.client.Patch(ctx, as, client.RawPatch(types.MergePatchType, patch))
	}
	// The direct side sends the difference the operator's builder makes
	// between the two images, as a strategic merge patch.
	before, after := resources.Deployment(s.server(i, image1), resources.Options{}), resources.Deployment(s.server(i, image2), resources.Options{})
	return s.client.Patch(ctx, after, client.StrategicMergeFrom(before))
}

func (s *side) deleteOne(ctx context.Context, i int) error {
	ns, name := serverName(i)
	meta := metav1.ObjectMeta{Name: name, Namespace: ns}
	if s.withOp {
		return client.IgnoreNotFound(s.client.Delete(ctx, &v1alpha1.ApplicationServer{ObjectMeta: meta}))
	}
	as := s.server(i, image1)
	if err := client.IgnoreNotFound(s.client.Delete(ctx, resources.Deployment(as, resources.Options{}))); err != nil {
		return err
	}
	return client.IgnoreNotFound(s.client.Delete(ctx, resources.Service(as)))
}

// converged counts the servers done: the Deployment runs image on all its
// replicas, available, nothing old left; on the operator side the
// ApplicationServer also reports Available for its current generation.
func (s *side) converged(image string) (int, string) {
	ctx := context.Background()
	deps := &appsv1.DeploymentList{}
	if err := s.cache.List(ctx, deps); err != nil {
		return 0, err.Error()
	}
	ready := 0
	for i := range deps.Items {
		if deploymentDone(&deps.Items[i], image) {
			ready++
		}
	}
	progress := fmt.Sprintf("%d/%d Deployments available", ready, s.c.n)
	if !s.withOp {
		return ready, progress
	}
	list := &v1alpha1.ApplicationServerList{}
	if err := s.cache.List(ctx, list); err != nil {
		return 0, err.Error()
	}
	avail := 0
	for _, as := range list.Items {
		if as.Status.ObservedGeneration == as.Generation && as.Status.Image == image &&
			meta.IsStatusConditionTrue(as.Status.Conditions, v1alpha1.ConditionAvailable) &&
			meta.IsStatusConditionFalse(as.Status.Conditions, v1alpha1.ConditionProgressing) {
			avail++
		}
	}
	return min(ready, avail), fmt.Sprintf("%s, %d/%d ApplicationServers Available", progress, avail, s.c.n)
}

func deploymentDone(d *appsv1.Deployment, image string) bool {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	cs := d.Spec.Template.Spec.Containers
	return len(cs) > 0 && cs[0].Image == image &&
		d.Status.ObservedGeneration >= d.Generation &&
		d.Status.UpdatedReplicas == want && d.Status.AvailableReplicas == want && d.Status.Replicas == want
}

// gone counts the servers whose objects are all gone: done when no
// ApplicationServer, Deployment, Service or Pod is left.
func (s *side) gone() (int, string) {
	ctx := context.Background()
	count := func(l client.ObjectList) int {
		if err := s.cache.List(ctx, l); err != nil {
			return s.c.n
		}
		return meta.LenList(l)
	}
	deps, svcs, pods := count(&appsv1.DeploymentList{}), count(&corev1.ServiceList{}), count(&corev1.PodList{})
	left := max(deps, svcs, pods)
	progress := fmt.Sprintf("%d Deployments, %d Services, %d Pods left", deps, svcs, pods)
	if s.withOp {
		ass := count(&v1alpha1.ApplicationServerList{})
		left = max(left, ass)
		progress = fmt.Sprintf("%d ApplicationServers, %s", ass, progress)
	}
	return s.c.n - min(left, s.c.n), progress
}

// snapshot is the counters a wave is measured between.
type snapshot struct {
	requests map[string]float64
	metrics  opMetrics
	events   int
	opEvents int
	cpu      time.Duration
	peakRSS  int64
}

func (s *side) snapshot(ctx context.Context) (snapshot, error) {
	var snap snapshot
	for _, ns := range s.ns {
		events := &corev1.EventList{}
		if err := s.client.List(ctx, events, client.InNamespace(ns)); err != nil {
			return snap, fmt.Errorf("listing events in %s: %w", ns, err)
		}
		snap.events += len(events.Items)
		for _, e := range events.Items {
			if e.ReportingController == "appserver-operator" || e.Source.Component == "appserver-operator" {
				snap.opEvents++
			}
		}
	}
	if s.op == nil {
		return snap, nil
	}
	snap.requests = s.proxy.snapshot()
	var err error
	if snap.metrics, err = s.op.scrape(); err != nil {
		return snap, err
	}
	snap.peakRSS, snap.cpu, err = procStats(s.op.cmd.Process.Pid)
	return snap, err
}

// measure runs one wave: N calls of do spread over the clients, then waits
// until done reports all N servers, printing progress every 5 s.
func (s *side) measure(ctx context.Context, name string, do func(context.Context, int) error, done func() (int, string)) (wave, error) {
	before, err := s.snapshot(ctx)
	if err != nil {
		return wave{}, err
	}
	logf("%s side: %s wave of %d servers, %d clients", s.name, name, s.c.n, s.c.clients)
	start := time.Now()
	var issued atomic.Int64
	work := make(chan int)
	errs := make(chan error, s.c.clients)
	var wg sync.WaitGroup
	for range s.c.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := do(ctx, i); err != nil {
					errs <- fmt.Errorf("%s of server %d: %w", name, i, err)
					return
				}
				issued.Add(1)
			}
		}()
	}
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		defer close(work)
		for i := range s.c.n {
			select {
			case work <- i:
			case <-ctx.Done():
				return
			case err := <-errs:
				errs <- err
				return
			}
		}
	}()
	<-sent
	wg.Wait()
	select {
	case err := <-errs:
		return wave{}, err
	default:
	}
	lastReport := time.Now()
	err = poll(ctx, s.timeout, fmt.Sprintf("the %s wave to converge", name), func() (bool, error) {
		n, progress := done()
		if n >= s.c.n {
			return true, nil
		}
		if time.Since(lastReport) >= 5*time.Second {
			lastReport = time.Now()
			logf("%s side: %s: %s after %s", s.name, name, progress, time.Since(start).Round(time.Second))
		}
		return false, nil
	})
	if err != nil {
		_, progress := done()
		return wave{}, fmt.Errorf("%w (%s)", err, progress)
	}
	w := wave{t: time.Since(start)}
	logf("%s side: %s wave converged in %.1f s", s.name, name, w.t.Seconds())
	after, err := s.snapshot(ctx)
	if err != nil {
		return wave{}, err
	}
	w.events, w.opEvents = after.events-before.events, after.opEvents-before.opEvents
	if s.op != nil {
		w.requests = diff(before.requests, after.requests)
		w.byMethod = diff(before.metrics.byMethod, after.metrics.byMethod)
		w.cpu, w.peakRSS = after.cpu-before.cpu, after.peakRSS
		w.p50 = quantile(0.5, before.metrics.buckets, after.metrics.buckets)
		w.p99 = quantile(0.99, before.metrics.buckets, after.metrics.buckets)
		w.reconciles = after.metrics.reconciles - before.metrics.reconciles
	}
	return w, nil
}

func diff(before, after map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// idleWindow waits for the operator's writes to settle after convergence
// (the last status writes may be in flight), then counts its requests in a
// window of c.idle.
func (s *side) idleWindow(ctx context.Context, res *result) error {
	settle := min(5*time.Second, max(s.c.idle/2, time.Second))
	last, stableSince := -1.0, time.Now()
	if err := poll(ctx, 2*time.Minute, "the operator's writes to settle", func() (bool, error) {
		m, err := s.op.scrape()
		if err != nil {
			return false, err
		}
		if w := writes(m.byMethod); w != last {
			last, stableSince = w, time.Now()
		}
		return time.Since(stableSince) >= settle, nil
	}); err != nil {
		return err
	}
	logf("operator side: idle window of %s", s.c.idle)
	before := s.proxy.snapshot()
	mBefore, err := s.op.scrape()
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(s.c.idle): // the window itself is what is measured
	}
	mAfter, err := s.op.scrape()
	if err != nil {
		return err
	}
	res.idleRequests = diff(before, s.proxy.snapshot())
	res.idleWrites = writes(diff(mBefore.byMethod, mAfter.byMethod))
	return nil
}

// writes sums the write methods of rest_client_requests_total.
func writes(byMethod map[string]float64) float64 {
	return byMethod["POST"] + byMethod["PUT"] + byMethod["PATCH"] + byMethod["DELETE"]
}

// startGCProbe makes a dependent of an ApplicationServer that is deleted at
// once. The garbage collector only acts on an owner's deletion once it
// watches the owner's resource, and it looks for new resources (the CRD just
// installed) every 30 s: waitGCProbe, before the delete wave, waits until it
// has collected the probe, so that the wave measures deletion and not the
// collector's discovery period, as in a cluster where the CRD is old.
func (s *side) startGCProbe(ctx context.Context) (*corev1.ConfigMap, error) {
	replicas := int32(1)
	owner := &v1alpha1.ApplicationServer{
		ObjectMeta: metav1.ObjectMeta{Name: "bench-gc-probe", Namespace: "default"},
		Spec:       v1alpha1.ApplicationServerSpec{Deployment: v1alpha1.DeploymentSpec{Image: image1, Replicas: &replicas}},
	}
	if err := s.client.Create(ctx, owner); err != nil {
		return nil, fmt.Errorf("creating the garbage-collector probe: %w", err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name: "bench-gc-probe", Namespace: "default",
		OwnerReferences: []metav1.OwnerReference{{
			APIVersion: v1alpha1.GroupVersion.String(), Kind: "ApplicationServer", Name: owner.Name, UID: owner.UID,
		}},
	}}
	if err := s.client.Create(ctx, cm); err != nil {
		return nil, fmt.Errorf("creating the garbage-collector probe: %w", err)
	}
	if err := s.client.Delete(ctx, owner); err != nil {
		return nil, fmt.Errorf("deleting the garbage-collector probe: %w", err)
	}
	return cm, nil
}

func (s *side) waitGCProbe(ctx context.Context, cm *corev1.ConfigMap) error {
	logf("%s side: waiting for the garbage collector to watch ApplicationServers (it looks for new resources every 30 s)", s.name)
	return poll(ctx, 3*time.Minute, "the garbage collector to collect its probe", func() (bool, error) {
		err := s.client.Get(ctx, client.ObjectKeyFromObject(cm), &corev1.ConfigMap{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
}

// kwokNodes is the environment of hack/cluster.sh for n ordinary nodes.
func kwokNodes(n int) string { return "KWOK_NODES=" + strconv.Itoa(n) }

// poll calls cond every 100 ms until it is true, it fails, or timeout passes.
func poll(ctx context.Context, timeout time.Duration, what string, cond func() (bool, error)) error {
	return benchkit.Poll(ctx, timeout, 100*time.Millisecond, what, cond)
}
