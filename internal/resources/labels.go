// Package resources builds the Kubernetes objects an ApplicationServer asks for.
//
// Every function here is pure: an ApplicationServer in, an object out, no
// client, no context, no I/O. The reconciler applies what they return with
// server-side apply, so a builder sets exactly the fields the operator owns and
// nothing else. Objects carry no owner reference: the reconciler adds it.
package resources

import (
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// Component values of the app.kubernetes.io/component label.
const (
	ComponentServer = "server"
)

// SelectorLabels are the immutable labels that select an ApplicationServer's
// pods. They never change for the life of the object.
func SelectorLabels(as *v1alpha1.ApplicationServer) map[string]string {
	return map[string]string{
		v1alpha1.LabelName:     v1alpha1.NameValue,
		v1alpha1.LabelInstance: as.Name,
	}
}

// Labels are the labels of a child: the user's common labels, overridden by
// the operator's own app.kubernetes.io/* labels, which the operator's caches
// and selectors rely on.
func Labels(as *v1alpha1.ApplicationServer, component string) map[string]string {
	l := make(map[string]string, len(as.Spec.Common.Labels)+4)
	for k, v := range as.Spec.Common.Labels {
		l[k] = string(v)
	}
	maps.Copy(l, SelectorLabels(as))
	l[v1alpha1.LabelManagedBy] = v1alpha1.ManagedByValue
	l[v1alpha1.LabelComponent] = component
	return l
}

// annotations merges annotation maps left to right; nil when all are empty so
// that no empty map is applied.
func annotations(sets ...map[string]string) map[string]string {
	var out map[string]string
	for _, s := range sets {
		if len(s) == 0 {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		maps.Copy(out, s)
	}
	return out
}

// objectMeta is the metadata every child shares.
func objectMeta(as *v1alpha1.ApplicationServer, name, component string, extraAnnotations map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:        name,
		Namespace:   as.Namespace,
		Labels:      Labels(as, component),
		Annotations: annotations(as.Spec.Common.Annotations, extraAnnotations),
	}
}

// Selector returns the label selector of the server's pods as a string, as
// the scale subresource expects it in status.selector.
func Selector(as *v1alpha1.ApplicationServer) string {
	return metav1.FormatLabelSelector(&metav1.LabelSelector{MatchLabels: SelectorLabels(as)})
}
