package controller

import (
	"context"
	"errors"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	"github.com/appserver-operator/appserver-operator/internal/resources"
)

// countingDiscovery answers ServerResourcesForGroupVersion from a table and
// counts the requests.
type countingDiscovery struct {
	discovery.ServerResourcesInterface
	served map[string][]metav1.APIResource
	err    error
	asked  int
}

func (d *countingDiscovery) ServerResourcesForGroupVersion(gv string) (*metav1.APIResourceList, error) {
	d.asked++
	if d.err != nil {
		return nil, d.err
	}
	r, ok := d.served[gv]
	if !ok {
		return nil, apierrors.NewNotFound(schema.GroupResource{}, gv)
	}
	return &metav1.APIResourceList{GroupVersion: gv, APIResources: r}, nil
}

func TestAPIAvailabilityAsksRarely(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	d := &countingDiscovery{served: map[string][]metav1.APIResource{}}
	var watched []string
	a := &apiAvailability{discovery: d, now: func() time.Time { return now },
		onServed: func(gvk schema.GroupVersionKind) error { watched = append(watched, gvk.Kind); return nil }}
	ctx := context.Background()
	sm := resources.ServiceMonitorGVK

	check := func(want bool, wantAsked int) {
		t.Helper()
		got, err := a.check(ctx, sm)
		if err != nil || got != want || d.asked != wantAsked {
			t.Fatalf("check = %t, %v after %d requests; want %t after %d", got, err, d.asked, want, wantAsked)
		}
	}
	check(false, 1)
	for range 100 {
		check(false, 1) // the absent answer is trusted for apiRecheck
	}
	now = now.Add(apiRecheck - time.Second)
	check(false, 1)

	// The CRD is installed: found at the next recheck, watched once, and
	// trusted from then on.
	d.served["monitoring.coreos.com/v1"] = []metav1.APIResource{{Kind: "ServiceMonitor"}}
	now = now.Add(2 * time.Second)
	check(true, 2)
	check(true, 2)
	if !a.known(sm) || len(watched) != 1 || watched[0] != "ServiceMonitor" {
		t.Errorf("known %t, watched %v; want the kind watched once", a.known(sm), watched)
	}

	// A group served without the kind is absent.
	d.served["route.openshift.io/v1"] = []metav1.APIResource{{Kind: "RouteSomethingElse"}}
	if ok, err := a.check(ctx, resources.RouteGVK); ok || err != nil {
		t.Errorf("route: %t, %v; want absent", ok, err)
	}
}

func TestAPIAvailabilityDoesNotCacheErrors(t *testing.T) {
	d := &countingDiscovery{err: errors.New("connection refused")}
	a := &apiAvailability{discovery: d, now: time.Now}
	for i := 1; i <= 2; i++ {
		if _, err := a.check(context.Background(), resources.RouteGVK); err == nil || d.asked != i {
			t.Fatalf("check %d: err %v after %d requests; want the error, asked again", i, err, d.asked)
		}
	}
}
