package controller

import (
	"errors"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/metering"
)

func server(gen int64) *v1alpha1.ApplicationServer {
	return &v1alpha1.ApplicationServer{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", Generation: gen},
		Spec: v1alpha1.ApplicationServerSpec{Deployment: v1alpha1.DeploymentSpec{
			Image: "example.com/app:1", Replicas: ptr.To[int32](2),
		}},
	}
}

type depCond struct {
	typ    appsv1.DeploymentConditionType
	status corev1.ConditionStatus
	reason string
}

func deployment(replicas, ready, updated, available int32, conds ...depCond) *appsv1.Deployment {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Generation: 3},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "server", Image: "example.com/app:1"}},
		}}},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 3, Replicas: updated, ReadyReplicas: ready,
			UpdatedReplicas: updated, AvailableReplicas: available},
	}
	for _, c := range conds {
		d.Status.Conditions = append(d.Status.Conditions, appsv1.DeploymentCondition{
			Type: c.typ, Status: c.status, Reason: c.reason, Message: string(c.typ) + " message"})
	}
	return d
}

func TestComputeStatusConditions(t *testing.T) {
	availableTrue := depCond{appsv1.DeploymentAvailable, corev1.ConditionTrue, "MinimumReplicasAvailable"}
	availableFalse := depCond{appsv1.DeploymentAvailable, corev1.ConditionFalse, "MinimumReplicasUnavailable"}
	type want struct {
		available, progressing, degraded metav1.ConditionStatus
		availR, progR, degR              string
	}
	tests := []struct {
		name string
		o    observation
		want want
	}{
		{"no deployment yet", observation{},
			want{"False", "False", "False", v1alpha1.ReasonDeploymentPending, v1alpha1.ReasonDeploymentPending, v1alpha1.ReasonAsExpected}},
		{"rolling out", observation{deployment: deployment(2, 0, 1, 0, availableFalse)},
			want{"False", "True", "False", v1alpha1.ReasonMinimumReplicasUnavailable, v1alpha1.ReasonRolloutInProgress, v1alpha1.ReasonAsExpected}},
		{"rolled out", observation{deployment: deployment(2, 2, 2, 2, availableTrue)},
			want{"True", "False", "False", v1alpha1.ReasonMinimumReplicasAvailable, v1alpha1.ReasonRolloutComplete, v1alpha1.ReasonAsExpected}},
		{"pods cannot be created", observation{deployment: deployment(2, 0, 0, 0, availableFalse,
			depCond{appsv1.DeploymentReplicaFailure, corev1.ConditionTrue, "FailedCreate"})},
			want{"False", "True", "True", "FailedCreate", v1alpha1.ReasonRolloutInProgress, "FailedCreate"}},
		{"replica failure with an unusable reason", observation{deployment: deployment(2, 0, 0, 0, availableFalse,
			depCond{appsv1.DeploymentReplicaFailure, corev1.ConditionTrue, "not a reason!"})},
			want{"False", "True", "True", v1alpha1.ReasonReplicaFailure, v1alpha1.ReasonRolloutInProgress, v1alpha1.ReasonReplicaFailure}},
		{"a referenced ConfigMap is missing", observation{deployment: deployment(2, 0, 2, 0, availableFalse), configError: `configmap "env" not found`},
			want{"False", "True", "True", v1alpha1.ReasonMinimumReplicasUnavailable, v1alpha1.ReasonRolloutInProgress, v1alpha1.ReasonContainerConfigError}},
		{"deadline exceeded", observation{deployment: deployment(2, 1, 1, 1, availableFalse,
			depCond{appsv1.DeploymentProgressing, corev1.ConditionFalse, "ProgressDeadlineExceeded"})},
			want{"False", "False", "True", v1alpha1.ReasonMinimumReplicasUnavailable, v1alpha1.ReasonProgressDeadlineExceeded, v1alpha1.ReasonProgressDeadlineExceeded}},
		{"child not owned", observation{notOwned: []string{"Deployment web"}},
			want{"False", "False", "True", v1alpha1.ReasonChildNotOwned, v1alpha1.ReasonDeploymentPending, v1alpha1.ReasonChildNotOwned}},
		{"apply failed", observation{deployment: deployment(2, 2, 2, 2, availableTrue), applyErr: errors.New("applying Service web: boom")},
			want{"True", "False", "True", v1alpha1.ReasonMinimumReplicasAvailable, v1alpha1.ReasonRolloutComplete, v1alpha1.ReasonApplyFailed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := computeStatus(server(5), tt.o)
			check := func(typ string, status metav1.ConditionStatus, reason string) {
				c := meta.FindStatusCondition(st.Conditions, typ)
				if c == nil || c.Status != status || c.Reason != reason || c.ObservedGeneration != 5 || c.Message == "" {
					t.Errorf("%s = %+v, want %s/%s with a message", typ, c, status, reason)
				}
			}
			check(v1alpha1.ConditionAvailable, tt.want.available, tt.want.availR)
			check(v1alpha1.ConditionProgressing, tt.want.progressing, tt.want.progR)
			check(v1alpha1.ConditionDegraded, tt.want.degraded, tt.want.degR)
			if tt.o.applyErr == nil && st.ObservedGeneration != 5 {
				t.Errorf("observedGeneration %d after a successful reconcile, want 5", st.ObservedGeneration)
			}
			if tt.o.applyErr != nil && st.ObservedGeneration != 0 {
				t.Errorf("observedGeneration %d after a failed reconcile, want it unchanged (0)", st.ObservedGeneration)
			}
		})
	}
}

func TestComputeStatusFields(t *testing.T) {
	as := server(1)
	st := computeStatus(as, observation{deployment: deployment(3, 2, 3, 2)})
	if st.Ready != "2/3" || st.Replicas != 3 || st.ReadyReplicas != 2 || st.UpdatedReplicas != 3 || st.AvailableReplicas != 2 {
		t.Errorf("counts: %+v", st)
	}
	if st.Selector != "app.kubernetes.io/instance=web,app.kubernetes.io/name=applicationserver" || st.ServiceName != "web" || st.Image != "example.com/app:1" {
		t.Errorf("selector/service/image: %q %q %q", st.Selector, st.ServiceName, st.Image)
	}
	// Without a Deployment the desired count comes from the spec.
	if st := computeStatus(as, observation{}); st.Ready != "0/2" || st.Replicas != 0 {
		t.Errorf("no deployment: ready %q replicas %d", st.Ready, st.Replicas)
	}
}

func TestComputeStatusIsStable(t *testing.T) {
	as := server(1)
	o := observation{deployment: deployment(2, 2, 2, 2, depCond{appsv1.DeploymentAvailable, corev1.ConditionTrue, "MinimumReplicasAvailable"})}
	as.Status = computeStatus(as, o)
	first := as.Status.DeepCopy()
	again := computeStatus(as, o)
	for i := range first.Conditions {
		if !first.Conditions[i].LastTransitionTime.Equal(&again.Conditions[i].LastTransitionTime) {
			t.Errorf("%s moved its transition time without a change", first.Conditions[i].Type)
		}
	}
}

func TestMeteringStatus(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	sum := func(targets, healthy int, last time.Time, err string) metering.Summary {
		return metering.Summary{Targets: targets, Healthy: healthy, LastScrape: last, LastError: err}
	}
	first := MeteringStatus(nil, sum(2, 2, t0, ""))
	if first.Targets != 2 || first.HealthyTargets != 2 || !first.LastScrapeTime.Time.Equal(t0) {
		t.Fatalf("first: %+v", first)
	}
	// A later scrape with nothing else changed keeps the old time (no write)...
	if s := MeteringStatus(first, sum(2, 2, t0.Add(time.Minute), "")); !s.LastScrapeTime.Time.Equal(t0) {
		t.Errorf("time moved without another change: %v", s.LastScrapeTime)
	}
	// ...until it is older than the refresh period.
	if s := MeteringStatus(first, sum(2, 2, t0.Add(meteringStatusRefresh), "")); !s.LastScrapeTime.Time.Equal(t0.Add(meteringStatusRefresh)) {
		t.Errorf("time not refreshed after %s: %v", meteringStatusRefresh, s.LastScrapeTime)
	}
	// Any other change takes the new time at once.
	s := MeteringStatus(first, sum(2, 1, t0.Add(time.Minute), "web-1: timeout"))
	if s.HealthyTargets != 1 || s.LastError != "web-1: timeout" || !s.LastScrapeTime.Time.Equal(t0.Add(time.Minute)) {
		t.Errorf("after a failure: %+v", s)
	}
	// No scrape yet: no time.
	if s := MeteringStatus(nil, sum(0, 0, time.Time{}, "")); s.LastScrapeTime != nil {
		t.Errorf("time without a scrape: %v", s.LastScrapeTime)
	}
}
