//go:build integration

package controller_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/operator"
)

// What admission cannot know fails at apply: a nodePort outside the
// cluster's range (envtest's API server: 30000-32767). The server then is
// Degraded with the API server's message, gets one Warning event, and is
// retried with exponential back-off; the retries that fail the same way
// write nothing (issue 13).
func TestApplyFailureBacksOff(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	wc, err := client.NewWithWatch(cfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	// Every write to the ApplicationServer (spec or status) moves its
	// resourceVersion and shows in this watch as one event.
	w, err := wc.Watch(ctx, &v1alpha1.ApplicationServerList{}, client.InNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	// A goroutine takes every event as it comes: a watch's channel is
	// unbuffered, so a non-blocking read could miss one still being decoded.
	var mu sync.Mutex
	var seen []*v1alpha1.ApplicationServer
	go func() {
		for e := range w.ResultChan() {
			if o, ok := e.Object.(*v1alpha1.ApplicationServer); ok && (e.Type == watch.Added || e.Type == watch.Modified) {
				mu.Lock()
				seen = append(seen, o)
				mu.Unlock()
			}
		}
	}()
	snapshot := func() []*v1alpha1.ApplicationServer {
		mu.Lock()
		defer mu.Unlock()
		return append([]*v1alpha1.ApplicationServer(nil), seen...)
	}

	as := &v1alpha1.ApplicationServer{
		ObjectMeta: metav1.ObjectMeta{Name: "low-nodeport", Namespace: ns},
		Spec: v1alpha1.ApplicationServerSpec{
			Deployment: v1alpha1.DeploymentSpec{Image: "example.com/app:1"},
			Service: v1alpha1.ServiceSpec{Type: corev1.ServiceTypeNodePort,
				Ports: []v1alpha1.ServicePort{{Name: "http", Port: 8080, NodePort: ptr.To[int32](8080)}}},
		},
	}
	create(t, as)
	// Its retries go on with back-off after the test (every 10 s, 20 s, ...),
	// each a write the process counts: delete it, or a later test that
	// counts the process's writes sees one of them.
	t.Cleanup(func() {
		if err := k8s.Delete(context.Background(), as); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting %s: %v", as.Name, err)
		}
	})
	waitStatus(t, as, "Degraded ApplyFailed", func(as *v1alpha1.ApplicationServer) error {
		return wantCondition(as, v1alpha1.ConditionDegraded, metav1.ConditionTrue, v1alpha1.ReasonApplyFailed)
	})
	msg := condition(as, v1alpha1.ConditionDegraded).Message
	for _, want := range []string{"applying Service low-nodeport", "spec.ports[0].nodePort", "provided port is not in the valid range"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Degraded message %q does not hold the API server's %q", msg, want)
		}
	}

	// Wait for retries rather than for time: 8 failed reconciles after the
	// first. With the workqueue's per-item exponential back-off (5 ms,
	// doubling) they cannot come faster than 5 ms * (2+4+...+128) = 1.27 s
	// (slower machines only stretch this); without back-off they would
	// take milliseconds.
	key := ns + "/" + as.Name
	eventually(t, wait, "a first reconcile error", func() error {
		if reconcileErrors.get(key) == 0 {
			return fmt.Errorf("no reconcile error yet for %s", key)
		}
		return nil
	})
	first, start := reconcileErrors.get(key), time.Now()
	const retries = 8
	eventually(t, 2*wait, fmt.Sprintf("%d more failed reconciles", retries), func() error {
		if n := reconcileErrors.get(key) - first; n < retries {
			return fmt.Errorf("%d retries so far", n)
		}
		return nil
	})
	if took := time.Since(start); took < 1270*time.Millisecond {
		t.Errorf("%d retries took %s: no exponential back-off", retries, took)
	}

	// Writes: the creation, then status writes until it is Degraded, then
	// none for all the retries (the status is unchanged).
	// The watch has seen the Degraded write (it was read from the API
	// server before the retries were counted); wait for it to arrive.
	var writes []*v1alpha1.ApplicationServer
	eventually(t, wait, "the watch to see the Degraded write", func() error {
		writes = snapshot()
		for _, o := range writes {
			if condition(o, v1alpha1.ConditionDegraded).Reason == v1alpha1.ReasonApplyFailed {
				return nil
			}
		}
		return fmt.Errorf("%d writes seen, none Degraded", len(writes))
	})
	writes = snapshot()
	degradedAt := -1
	for i, o := range writes {
		if c := condition(o, v1alpha1.ConditionDegraded); c.Reason == v1alpha1.ReasonApplyFailed && degradedAt < 0 {
			degradedAt = i
		}
	}
	if degradedAt < 0 {
		t.Fatalf("the watch saw no Degraded write among %d", len(writes))
	}
	if after := len(writes) - 1 - degradedAt; after != 0 {
		t.Errorf("%d writes to the ApplicationServer during %d failed retries after it became Degraded, want 0", after, reconcileErrors.get(key)-first)
	}
	if len(writes) > 3 {
		t.Errorf("%d writes to the ApplicationServer in all (creation, status), want at most 3", len(writes))
	}

	// One Warning event for the failure, however many retries.
	list := &eventsv1.EventList{}
	eventually(t, wait, "the Warning event", func() error {
		if err := k8s.List(ctx, list, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, e := range list.Items {
			if e.Type == corev1.EventTypeWarning {
				return nil
			}
		}
		return fmt.Errorf("no Warning among %d events", len(list.Items))
	})
	var warnings []string
	for _, e := range list.Items {
		if e.Type == corev1.EventTypeWarning && e.Regarding.Name == as.Name {
			n := int32(1)
			if e.Series != nil {
				n = e.Series.Count
			}
			warnings = append(warnings, fmt.Sprintf("%s x%d: %s", e.Reason, n, e.Note))
			// One event object; its count may reach 2 or 3: the first
			// retries come 5 and 10 ms later and may read the server from
			// the cache before its Degraded status is there. Without the
			// check every retry would add one.
			if e.Reason != "ApplyFailed" || n > 3 || !strings.Contains(e.Note, "provided port is not in the valid range") {
				t.Errorf("event %s x%d %q, want one ApplyFailed with the API server's message, repeated at most 3 times", e.Reason, n, e.Note)
			}
		}
	}
	if len(warnings) != 1 {
		t.Errorf("%d Warning events, want 1: %v", len(warnings), warnings)
	}
	t.Logf("%d failed reconciles, %d writes to the ApplicationServer, warnings %v", reconcileErrors.get(key), len(writes), warnings)
}
