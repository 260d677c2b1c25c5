package main

import (
	"math"
	"net/http/httptest"
	"testing"
)

func TestRequestKey(t *testing.T) {
	for _, tc := range []struct {
		method, url, contentType, want string
	}{
		{"GET", "/apis/apps/v1/namespaces/ns/deployments/as-1", "", "get deployments"},
		{"GET", "/apis/apps/v1/deployments?watch=true&resourceVersion=1", "", "watch deployments"},
		{"GET", "/api/v1/namespaces/ns/pods", "", "list pods"},
		{"GET", "/api/v1/namespaces/ns", "", "get namespaces"},
		{"PATCH", "/apis/apps/v1/namespaces/ns/deployments/as-1?fieldManager=x&force=true", "application/apply-patch+yaml", "apply deployments"},
		{"PATCH", "/apis/appserver.dev/v1alpha1/namespaces/ns/applicationservers/as-1/status", "application/merge-patch+json", "patch applicationservers/status"},
		{"POST", "/apis/events.k8s.io/v1/namespaces/ns/events", "application/json", "create events"},
		{"PUT", "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l", "", "update leases"},
		{"DELETE", "/api/v1/namespaces/ns/services/as-1", "", "delete services"},
		{"GET", "/version", "", "get (non-resource)"},
	} {
		r := httptest.NewRequest(tc.method, tc.url, nil)
		if tc.contentType != "" {
			r.Header.Set("Content-Type", tc.contentType)
		}
		if got := requestKey(r); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.method, tc.url, got, tc.want)
		}
	}
	if !isWrite("apply deployments") || isWrite("get deployments") || isWrite("watch pods") {
		t.Error("isWrite tells reads from writes wrongly")
	}
}

func TestQuantile(t *testing.T) {
	inf := math.Inf(1)
	before := map[float64]float64{0.1: 5, 1: 5, 10: 5, inf: 5}
	// 100 observations after before: 50 in (0, 0.1], 40 in (0.1, 1], 10 in (1, 10].
	after := map[float64]float64{0.1: 55, 1: 95, 10: 105, inf: 105}
	for _, tc := range []struct{ q, want float64 }{{0.5, 0.1}, {0.25, 0.05}, {0.9, 1}, {0.99, 9.1}} {
		if got := quantile(tc.q, before, after); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("q%v = %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := quantile(0.5, after, after); !math.IsNaN(got) {
		t.Errorf("no observations: %v, want NaN", got)
	}
}
