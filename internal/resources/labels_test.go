package resources

import (
	"maps"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

func TestSelectorLabels(t *testing.T) {
	as := server("shop", func(as *v1alpha1.ApplicationServer) {
		as.Spec.Common.Labels = map[string]v1alpha1.LabelValue{"team": "web", v1alpha1.LabelInstance: "other"}
	})
	want := map[string]string{
		"app.kubernetes.io/name":     "applicationserver",
		"app.kubernetes.io/instance": "shop",
	}
	got := SelectorLabels(as)
	if !maps.Equal(got, want) {
		t.Fatalf("SelectorLabels = %v, want %v (only name and instance: a selector can never change)", got, want)
	}
	// Callers put the result into objects; each call must give a new map.
	got["mutated"] = "yes"
	if again := SelectorLabels(as); !maps.Equal(again, want) {
		t.Errorf("SelectorLabels after mutating an earlier result = %v, want %v", again, want)
	}
}

func TestLabels(t *testing.T) {
	tests := []struct {
		name   string
		common map[string]v1alpha1.LabelValue
		want   map[string]string
	}{
		{
			name: "no common labels",
			want: map[string]string{
				"app.kubernetes.io/name":       "applicationserver",
				"app.kubernetes.io/instance":   "shop",
				"app.kubernetes.io/managed-by": "appserver-operator",
				"app.kubernetes.io/component":  "server",
			},
		},
		{
			name:   "common labels are added",
			common: map[string]v1alpha1.LabelValue{"team": "web", "example.com/cost-center": "42", "empty": ""},
			want: map[string]string{
				"app.kubernetes.io/name":       "applicationserver",
				"app.kubernetes.io/instance":   "shop",
				"app.kubernetes.io/managed-by": "appserver-operator",
				"app.kubernetes.io/component":  "server",
				"team":                         "web",
				"example.com/cost-center":      "42",
				"empty":                        "",
			},
		},
		{
			name: "the operator's labels win over common labels",
			common: map[string]v1alpha1.LabelValue{
				"app.kubernetes.io/name":       "x",
				"app.kubernetes.io/instance":   "x",
				"app.kubernetes.io/managed-by": "x",
				"app.kubernetes.io/component":  "x",
				"app.kubernetes.io/version":    "1.0", // not the operator's: kept
			},
			want: map[string]string{
				"app.kubernetes.io/name":       "applicationserver",
				"app.kubernetes.io/instance":   "shop",
				"app.kubernetes.io/managed-by": "appserver-operator",
				"app.kubernetes.io/component":  "server",
				"app.kubernetes.io/version":    "1.0",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := server("shop", func(as *v1alpha1.ApplicationServer) { as.Spec.Common.Labels = tt.common })
			before := maps.Clone(tt.common)
			got := Labels(as, ComponentServer)
			if !maps.Equal(got, tt.want) {
				t.Errorf("Labels = %v, want %v", got, tt.want)
			}
			got["mutated"] = "yes"
			if !maps.Equal(as.Spec.Common.Labels, before) {
				t.Errorf("spec.common.labels changed to %v", as.Spec.Common.Labels)
			}
			// Every label set must be selected by the selector, or the
			// Deployment, Service and PDB lose their pods.
			sel := labels.SelectorFromSet(SelectorLabels(as))
			if !sel.Matches(labels.Set(Labels(as, ComponentServer))) {
				t.Errorf("selector %s does not match the labels", sel)
			}
		})
	}
	t.Run("component", func(t *testing.T) {
		if got := Labels(server("shop", nil), "other")[v1alpha1.LabelComponent]; got != "other" {
			t.Errorf("component label = %q, want %q", got, "other")
		}
	})
}

func TestSelector(t *testing.T) {
	as := server("shop", func(as *v1alpha1.ApplicationServer) {
		as.Spec.Common.Labels = map[string]v1alpha1.LabelValue{"team": "web"}
	})
	const want = "app.kubernetes.io/instance=shop,app.kubernetes.io/name=applicationserver"
	got := Selector(as)
	if got != want {
		t.Fatalf("Selector = %q, want %q", got, want)
	}
	// status.selector is what the scale subresource (and so the HPA and
	// kubectl scale) uses to find the pods: it must parse back to the same
	// selector and match the pod template's labels.
	parsed, err := labels.Parse(got)
	if err != nil {
		t.Fatalf("Selector %q does not parse: %v", got, err)
	}
	fromLabels, err := metav1.LabelSelectorAsSelector(Deployment(as, Options{}).Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.String() != fromLabels.String() {
		t.Errorf("Selector %q differs from the Deployment's selector %q", parsed, fromLabels)
	}
	if !parsed.Matches(labels.Set(Deployment(as, Options{}).Spec.Template.Labels)) {
		t.Errorf("Selector %q does not match the pod template's labels", got)
	}
}
