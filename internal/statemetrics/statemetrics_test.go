package statemetrics_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/statemetrics"
)

func scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(v1alpha1.AddToScheme(s))
	return s
}

var created = metav1.NewTime(time.Unix(1767225600, 0))

// web: 3 desired by its Deployment (scaled by an autoscaler to more than
// spec's 2), 2 ready, Degraded, metering on with one failing pod.
func web() (*v1alpha1.ApplicationServer, *appsv1.Deployment) {
	as := &v1alpha1.ApplicationServer{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "web", UID: "uid-web", Generation: 4, CreationTimestamp: created},
		Spec:       v1alpha1.ApplicationServerSpec{Deployment: v1alpha1.DeploymentSpec{Image: "example.com/web:1", Replicas: ptr.To[int32](2)}},
		Status: v1alpha1.ApplicationServerStatus{
			ObservedGeneration: 3,
			Conditions: []metav1.Condition{
				{Type: v1alpha1.ConditionAvailable, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonMinimumReplicasAvailable},
				{Type: v1alpha1.ConditionDegraded, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonReplicaFailure},
				{Type: v1alpha1.ConditionProgressing, Status: metav1.ConditionUnknown, Reason: "Unknown"},
			},
			Replicas: 3, ReadyReplicas: 2, AvailableReplicas: 2, UpdatedReplicas: 1,
			Image:    "example.com/web:1@sha256:0123",
			Metering: &v1alpha1.MeteringStatus{Targets: 2, HealthyTargets: 1},
		},
	}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "web", OwnerReferences: []metav1.OwnerReference{{
			APIVersion: v1alpha1.GroupVersion.String(), Kind: "ApplicationServer", Name: "web", UID: "uid-web", Controller: ptr.To(true),
		}}},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](3)},
	}
	return as, d
}

// fresh: just created, nothing reconciled yet, no Deployment; spec has no
// replicas (1 by default).
func fresh() *v1alpha1.ApplicationServer {
	return &v1alpha1.ApplicationServer{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "fresh", UID: "uid-fresh", Generation: 1, CreationTimestamp: created},
		Spec:       v1alpha1.ApplicationServerSpec{Deployment: v1alpha1.DeploymentSpec{Image: "example.com/fresh:2"}},
	}
}

const wantWeb = `
# HELP appserver_applicationserver_condition The conditions of an ApplicationServer: 1 for the condition's current status (true, false or unknown), 0 for the other two.
# TYPE appserver_applicationserver_condition gauge
appserver_applicationserver_condition{name="web",namespace="team-a",status="false",type="Available"} 0
appserver_applicationserver_condition{name="web",namespace="team-a",status="true",type="Available"} 1
appserver_applicationserver_condition{name="web",namespace="team-a",status="unknown",type="Available"} 0
appserver_applicationserver_condition{name="web",namespace="team-a",status="false",type="Degraded"} 0
appserver_applicationserver_condition{name="web",namespace="team-a",status="true",type="Degraded"} 1
appserver_applicationserver_condition{name="web",namespace="team-a",status="unknown",type="Degraded"} 0
appserver_applicationserver_condition{name="web",namespace="team-a",status="false",type="Progressing"} 0
appserver_applicationserver_condition{name="web",namespace="team-a",status="true",type="Progressing"} 0
appserver_applicationserver_condition{name="web",namespace="team-a",status="unknown",type="Progressing"} 1
# HELP appserver_applicationserver_created Creation time of an ApplicationServer, in seconds since the Unix epoch.
# TYPE appserver_applicationserver_created gauge
appserver_applicationserver_created{name="web",namespace="team-a"} 1.7672256e+09
# HELP appserver_applicationserver_info Information about an ApplicationServer; always 1. image is the image its Deployment runs.
# TYPE appserver_applicationserver_info gauge
appserver_applicationserver_info{image="example.com/web:1@sha256:0123",name="web",namespace="team-a"} 1
# HELP appserver_applicationserver_metadata_generation metadata.generation of an ApplicationServer (the version of its spec).
# TYPE appserver_applicationserver_metadata_generation gauge
appserver_applicationserver_metadata_generation{name="web",namespace="team-a"} 4
# HELP appserver_applicationserver_metering_targets Pods of an ApplicationServer scraped by metering (state=total) and those whose last scrape succeeded (state=healthy), from status.metering; absent while metering is off for the server.
# TYPE appserver_applicationserver_metering_targets gauge
appserver_applicationserver_metering_targets{name="web",namespace="team-a",state="healthy"} 1
appserver_applicationserver_metering_targets{name="web",namespace="team-a",state="total"} 2
# HELP appserver_applicationserver_replicas Pods of an ApplicationServer by state: desired (the Deployment's replicas), ready, available and updated (from status).
# TYPE appserver_applicationserver_replicas gauge
appserver_applicationserver_replicas{name="web",namespace="team-a",state="available"} 2
appserver_applicationserver_replicas{name="web",namespace="team-a",state="desired"} 3
appserver_applicationserver_replicas{name="web",namespace="team-a",state="ready"} 2
appserver_applicationserver_replicas{name="web",namespace="team-a",state="updated"} 1
# HELP appserver_applicationserver_state_errors_total Scrapes whose ApplicationServer state metrics are missing because the operator's cache could not be read.
# TYPE appserver_applicationserver_state_errors_total counter
appserver_applicationserver_state_errors_total 0
# HELP appserver_applicationserver_status_observed_generation status.observedGeneration of an ApplicationServer: the generation last reconciled successfully.
# TYPE appserver_applicationserver_status_observed_generation gauge
appserver_applicationserver_status_observed_generation{name="web",namespace="team-a"} 3
`

// register puts c in a fresh registry, as the operator puts it in
// controller-runtime's, so that registration problems show up too.
func register(t *testing.T, c prometheus.Collector) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestCollectorReportsEachServer(t *testing.T) {
	as, d := web()
	c := fake.NewClientBuilder().WithScheme(scheme()).WithObjects(as, d, fresh()).Build()
	reg := register(t, statemetrics.New(c, nil, logr.Discard()))

	both := `
# HELP appserver_applicationserver_info Information about an ApplicationServer; always 1. image is the image its Deployment runs.
# TYPE appserver_applicationserver_info gauge
appserver_applicationserver_info{image="example.com/web:1@sha256:0123",name="web",namespace="team-a"} 1
appserver_applicationserver_info{image="example.com/fresh:2",name="fresh",namespace="team-b"} 1
# HELP appserver_applicationserver_replicas Pods of an ApplicationServer by state: desired (the Deployment's replicas), ready, available and updated (from status).
# TYPE appserver_applicationserver_replicas gauge
appserver_applicationserver_replicas{name="web",namespace="team-a",state="available"} 2
appserver_applicationserver_replicas{name="web",namespace="team-a",state="desired"} 3
appserver_applicationserver_replicas{name="web",namespace="team-a",state="ready"} 2
appserver_applicationserver_replicas{name="web",namespace="team-a",state="updated"} 1
appserver_applicationserver_replicas{name="fresh",namespace="team-b",state="available"} 0
appserver_applicationserver_replicas{name="fresh",namespace="team-b",state="desired"} 1
appserver_applicationserver_replicas{name="fresh",namespace="team-b",state="ready"} 0
appserver_applicationserver_replicas{name="fresh",namespace="team-b",state="updated"} 0
# HELP appserver_applicationserver_status_observed_generation status.observedGeneration of an ApplicationServer: the generation last reconciled successfully.
# TYPE appserver_applicationserver_status_observed_generation gauge
appserver_applicationserver_status_observed_generation{name="web",namespace="team-a"} 3
appserver_applicationserver_status_observed_generation{name="fresh",namespace="team-b"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(both), "appserver_applicationserver_info",
		"appserver_applicationserver_replicas", "appserver_applicationserver_status_observed_generation"); err != nil {
		t.Error(err)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(wantWeb)); err == nil {
		t.Error("the whole output equals web's alone: fresh is missing")
	}
	// Only web has conditions and metering; fresh adds none of those.
	if err := testutil.GatherAndCompare(reg, strings.NewReader(wantWeb),
		"appserver_applicationserver_condition", "appserver_applicationserver_metering_targets"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(statemetrics.New(c, nil, logr.Discard()), "appserver_applicationserver_created"); n != 2 {
		t.Errorf("appserver_applicationserver_created: %d series, want 2", n)
	}
}

func TestCollectorOnlyWebAlone(t *testing.T) {
	as, d := web()
	c := fake.NewClientBuilder().WithScheme(scheme()).WithObjects(as, d).Build()
	if err := testutil.CollectAndCompare(statemetrics.New(c, nil, logr.Discard()), strings.NewReader(wantWeb)); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(statemetrics.New(c, nil, logr.Discard())); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestCollectorIgnoresADeploymentItDoesNotOwn(t *testing.T) {
	as, d := web()
	d.OwnerReferences = nil // someone else's Deployment of the same name
	c := fake.NewClientBuilder().WithScheme(scheme()).WithObjects(as, d).Build()
	want := `
# HELP appserver_applicationserver_replicas Pods of an ApplicationServer by state: desired (the Deployment's replicas), ready, available and updated (from status).
# TYPE appserver_applicationserver_replicas gauge
appserver_applicationserver_replicas{name="web",namespace="team-a",state="available"} 2
appserver_applicationserver_replicas{name="web",namespace="team-a",state="desired"} 2
appserver_applicationserver_replicas{name="web",namespace="team-a",state="ready"} 2
appserver_applicationserver_replicas{name="web",namespace="team-a",state="updated"} 1
`
	if err := testutil.CollectAndCompare(statemetrics.New(c, nil, logr.Discard()), strings.NewReader(want), "appserver_applicationserver_replicas"); err != nil {
		t.Error(err)
	}
}

func TestCollectorIsSilentWhileInactive(t *testing.T) {
	as, d := web()
	var lists int
	c := fake.NewClientBuilder().WithScheme(scheme()).WithObjects(as, d).WithInterceptorFuncs(interceptor.Funcs{
		List: func(ctx context.Context, c client.WithWatch, l client.ObjectList, opts ...client.ListOption) error {
			lists++
			return c.List(ctx, l, opts...)
		},
	}).Build()
	leader := false
	col := statemetrics.New(c, func() bool { return leader }, logr.Discard())
	if n := testutil.CollectAndCount(col); n != 1 { // the error counter only
		t.Errorf("a standby reports %d series, want 1 (the error counter)", n)
	}
	if lists != 0 {
		t.Errorf("a standby listed ApplicationServers %d times, want 0 (no watch of its own)", lists)
	}
	leader = true
	if n := testutil.CollectAndCount(col, "appserver_applicationserver_info"); n != 1 {
		t.Errorf("the leader reports %d info series, want 1", n)
	}
}

func TestCollectorCountsCacheErrors(t *testing.T) {
	as, d := web()
	c := fake.NewClientBuilder().WithScheme(scheme()).WithObjects(as, d).WithInterceptorFuncs(interceptor.Funcs{
		List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error {
			return errors.New("cache not started")
		},
	}).Build()
	col := statemetrics.New(c, nil, logr.Discard())
	want := `
# HELP appserver_applicationserver_state_errors_total Scrapes whose ApplicationServer state metrics are missing because the operator's cache could not be read.
# TYPE appserver_applicationserver_state_errors_total counter
appserver_applicationserver_state_errors_total 1
`
	if err := testutil.CollectAndCompare(col, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
