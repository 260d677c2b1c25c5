package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/resources"
)

// Children whose API the cluster may not serve (ServiceMonitor, Route).
//
// How the operator learns whether an API is served, and why this way:
//   - It asks discovery for the group/version once at start, and again only
//     when a server's spec asks for such a child while the last answer was
//     "absent" and is older than apiRecheck (5 minutes). A "served" answer
//     is kept for the life of the process.
//   - Watching CustomResourceDefinitions instead would tell at once when
//     the CRD is installed, but needs a cluster-wide watch of every CRD
//     (RBAC the namespace-scoped install cannot have, and memory for other
//     people's objects); and the manager's RESTMapper asks discovery again
//     at every miss, which is the polling loop we must not have.
//   - So with the API absent, a server that asks for the child costs at
//     most one discovery request per apiRecheck for the whole operator, not
//     one per reconcile. The server is requeued after apiRecheck (no write
//     when nothing changed), so that it gets its child within minutes of the
//     CRD being installed, without a restart of the operator.
//   - When an API is found, the operator starts watching the kind (owned
//     children only, label-selected) from then on.

// apiRecheck is how long an "absent" answer is trusted.
const apiRecheck = 5 * time.Minute

// optionalKind is a kind of child built only when its API is served.
type optionalKind struct {
	gvk schema.GroupVersionKind
	// field of the spec that asks for it, for the status message.
	field string
	// hint tells the user what serves the API.
	hint string
}

var (
	serviceMonitorKind = optionalKind{gvk: resources.ServiceMonitorGVK, field: "spec.server.metering.serviceMonitor",
		hint: "install the Prometheus Operator (its CRDs)"}
	routeKind = optionalKind{gvk: resources.RouteGVK, field: "spec.route",
		hint: "Routes exist on OpenShift; elsewhere use spec.ingress"}
	optionalKinds = []optionalKind{serviceMonitorKind, routeKind}
)

// apiAvailability remembers which optional APIs the cluster serves.
type apiAvailability struct {
	discovery discovery.ServerResourcesInterface
	now       func() time.Time
	// onServed is called once per kind, when its API is first found.
	onServed func(schema.GroupVersionKind) error

	mu      sync.Mutex
	served  map[schema.GroupVersionKind]bool
	checked map[schema.GroupVersionKind]time.Time
}

// known returns the last answer without asking: false when never asked.
func (a *apiAvailability) known(gvk schema.GroupVersionKind) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.served[gvk]
}

// check returns whether the API of gvk is served, asking discovery when
// the last "absent" answer is older than apiRecheck (or there is none).
func (a *apiAvailability) check(ctx context.Context, gvk schema.GroupVersionKind) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.served[gvk] {
		return true, nil
	}
	if t, ok := a.checked[gvk]; ok && a.now().Sub(t) < apiRecheck {
		return false, nil
	}
	served, err := a.ask(ctx, gvk)
	if err != nil {
		return false, err
	}
	if a.checked == nil {
		a.checked, a.served = map[schema.GroupVersionKind]time.Time{}, map[schema.GroupVersionKind]bool{}
	}
	a.checked[gvk] = a.now()
	if served && a.onServed != nil {
		if err := a.onServed(gvk); err != nil {
			return false, fmt.Errorf("watching %s: %w", gvk.Kind, err)
		}
	}
	a.served[gvk] = served
	return served, nil
}

// ask is one discovery request: GET /apis/<group>/<version>.
func (a *apiAvailability) ask(ctx context.Context, gvk schema.GroupVersionKind) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	list, err := a.discovery.ServerResourcesForGroupVersion(gvk.GroupVersion().String())
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("asking the API server whether it serves %s: %w", gvk.GroupVersion(), err)
	}
	for _, r := range list.APIResources {
		if r.Kind == gvk.Kind {
			return true, nil
		}
	}
	return false, nil
}

// missingAPIMessage says why no child of kind k was made.
func missingAPIMessage(k optionalKind) string {
	return fmt.Sprintf("%s: no %s was made: the cluster does not serve %s (%s)", k.field, k.gvk.Kind, k.gvk.GroupVersion(), k.hint)
}

// optionalChildren are the children built unstructured, whose API may be
// absent.
func optionalChildren(as *v1alpha1.ApplicationServer) []struct {
	kind    optionalKind
	desired *unstructured.Unstructured
} {
	return []struct {
		kind    optionalKind
		desired *unstructured.Unstructured
	}{
		{serviceMonitorKind, resources.ServiceMonitor(as)},
		{routeKind, resources.Route(as)},
	}
}

// emptyOf returns a constructor of empty unstructured objects of gvk.
func emptyOf(gvk schema.GroupVersionKind) func() client.Object {
	return func() client.Object {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		return u
	}
}
