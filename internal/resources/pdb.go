package resources

import (
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// PodDisruptionBudget builds the budget for the server's pods, or returns nil
// when spec.podDisruptionBudget is absent or disabled.
func PodDisruptionBudget(as *v1alpha1.ApplicationServer) *policyv1.PodDisruptionBudget {
	p := as.Spec.PodDisruptionBudget
	if p == nil || !ptr.Deref(p.Enabled, true) {
		return nil
	}
	pdb := &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: policyv1.SchemeGroupVersion.String(), Kind: "PodDisruptionBudget"},
		ObjectMeta: objectMeta(as, as.Name, ComponentServer, nil),
		Spec: policyv1.PodDisruptionBudgetSpec{
			Selector:       &metav1.LabelSelector{MatchLabels: SelectorLabels(as)},
			MinAvailable:   copyPtr(p.MinAvailable),
			MaxUnavailable: copyPtr(p.MaxUnavailable),
		},
	}
	return pdb
}
