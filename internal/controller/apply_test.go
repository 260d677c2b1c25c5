package controller

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestContains(t *testing.T) {
	tests := []struct {
		name         string
		actual, want any
		ok           bool
	}{
		{"equal scalars", "a", "a", true},
		{"different scalars", "a", "b", false},
		{"extra fields in actual", map[string]any{"a": int64(1), "b": "x"}, map[string]any{"a": int64(1)}, true},
		{"missing field", map[string]any{"b": "x"}, map[string]any{"a": int64(1)}, false},
		{"nested difference", map[string]any{"a": map[string]any{"b": "x"}}, map[string]any{"a": map[string]any{"b": "y"}}, false},
		{"lists element-wise", []any{map[string]any{"n": "a", "x": "1"}}, []any{map[string]any{"n": "a"}}, true},
		{"list lengths differ", []any{"a", "b"}, []any{"a"}, false},
		{"quantities in other notation", "500m", "0.5", true},
		{"different quantities", "1Gi", "1G", false},
		{"type mismatch", int64(1), "1", false},
		{"map vs scalar", "x", map[string]any{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := contains(tt.actual, tt.want); got != tt.ok {
				t.Errorf("contains(%v, %v) = %v, want %v", tt.actual, tt.want, got, tt.ok)
			}
		})
	}
}

func dep(image string) *appsv1.Deployment {
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", Labels: map[string]string{"a": "b"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "server", Image: image,
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("0.5")}}}}},
			},
		},
	}
}

func TestApplyIntentDropsEmptyFieldsAndHashes(t *testing.T) {
	u, err := applyIntent(dep("app:1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := u.Object["status"]; ok {
		t.Error("status is in the apply intent")
	}
	if _, ok := u.Object["metadata"].(map[string]any)["creationTimestamp"]; ok {
		t.Error("creationTimestamp: null is in the apply intent")
	}
	h1 := u.GetAnnotations()[AppliedHashAnnotation]
	u2, _ := applyIntent(dep("app:1"))
	u3, _ := applyIntent(dep("app:2"))
	if h1 == "" || h1 != u2.GetAnnotations()[AppliedHashAnnotation] || h1 == u3.GetAnnotations()[AppliedHashAnnotation] {
		t.Errorf("hash not stable or not sensitive: %q %q %q", h1, u2.GetAnnotations()[AppliedHashAnnotation], u3.GetAnnotations()[AppliedHashAnnotation])
	}
}

// live plays the API server: the applied object plus server-side defaults.
func live(intentImage string, mutate func(*appsv1.Deployment)) *appsv1.Deployment {
	d := dep(intentImage)
	u, _ := applyIntent(dep(intentImage))
	d.Annotations = u.GetAnnotations()
	d.UID, d.ResourceVersion, d.Generation = "uid", "7", 1
	d.Spec.Template.Spec.Containers[0].TerminationMessagePath = "/dev/termination-log"
	d.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways
	d.Spec.Strategy.Type = appsv1.RollingUpdateDeploymentStrategyType
	d.Status.Replicas = 2
	if mutate != nil {
		mutate(d)
	}
	return d
}

func TestUpToDate(t *testing.T) {
	intent, _ := applyIntent(dep("app:1"))
	tests := []struct {
		name     string
		existing *appsv1.Deployment
		want     bool
	}{
		{"as applied, plus server defaults", live("app:1", nil), true},
		{"someone changed a field we own", live("app:1", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "evil:1" }), false},
		{"someone removed a label we own", live("app:1", func(d *appsv1.Deployment) { delete(d.Labels, "a") }), false},
		{"someone added their own label", live("app:1", func(d *appsv1.Deployment) { d.Labels["theirs"] = "x" }), true},
		{"applied from another intent (a field was dropped since)", live("app:0", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "app:1" }), false},
		{"hash annotation removed", live("app:1", func(d *appsv1.Deployment) { delete(d.Annotations, AppliedHashAnnotation) }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := upToDate(intent, tt.existing)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("upToDate = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTrimForCache(t *testing.T) {
	entry := func(manager string, op metav1.ManagedFieldsOperationType, fields string) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: manager, Operation: op, FieldsV1: metav1.NewFieldsV1(fields)}
	}
	ours := entry(FieldOwner, metav1.ManagedFieldsOperationApply, `{"f:metadata":{"f:labels":{}},"f:spec":{"f:replicas":{},"f:template":{}}}`)
	hpa := entry("kube-controller-manager", metav1.ManagedFieldsOperationUpdate, `{"f:spec":{"f:replicas":{}}}`)
	withoutReplicas := entry(FieldOwner, metav1.ManagedFieldsOperationApply, `{"f:spec":{"f:template":{}}}`)

	for _, tc := range []struct {
		name   string
		fields []metav1.ManagedFieldsEntry
		owns   bool
	}{
		{"ours owns replicas", []metav1.ManagedFieldsEntry{ours, hpa}, true},
		{"the autoscaler has them", []metav1.ManagedFieldsEntry{withoutReplicas, hpa}, false},
		{"no managedFields", nil, false},
	} {
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "d", ManagedFields: tc.fields}}
		before := ownsField(d, "f:spec", "f:replicas")
		out, err := TrimForCache(d)
		if err != nil {
			t.Fatal(err)
		}
		got := out.(*appsv1.Deployment)
		if owns := ownsField(got, "f:spec", "f:replicas"); owns != tc.owns || owns != before {
			t.Errorf("%s: owns replicas %v after trimming, %v before, want %v", tc.name, owns, before, tc.owns)
		}
		if len(got.ManagedFields) > 1 || (len(got.ManagedFields) == 1 && len(got.ManagedFields[0].FieldsV1.GetRawString()) > 40) {
			t.Errorf("%s: kept %v", tc.name, got.ManagedFields)
		}
	}

	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", ManagedFields: []metav1.ManagedFieldsEntry{ours, hpa}}}
	out, _ := TrimForCache(p)
	if mf := out.(*corev1.Pod).ManagedFields; len(mf) != 0 {
		t.Errorf("a Pod keeps %v", mf)
	}
	if out, _ := TrimForCache("not an object"); out != "not an object" {
		t.Errorf("a non-object became %v", out)
	}
}
