//go:build integration

package controller

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/resources"
)

// DesiredIntents returns the apply intent of every child the reconciler
// would apply for as: the same children and the same intents, built by the
// same code (children, applyIntent), for the admission property test.
func DesiredIntents(as *v1alpha1.ApplicationServer, opts resources.Options) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, c := range children(as, opts) {
		if c.desired == nil {
			continue
		}
		u, err := applyIntent(c.desired)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}
