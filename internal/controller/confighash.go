package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/resources"
)

// Rolling the pods when referenced configuration changes, in bounded
// memory (docs/how-it-works.md, "Config changes"):
//
//   - The operator watches ConfigMaps and Secrets metadata-only, in a cache
//     of its own whose transform keeps nothing but namespace, name, UID and
//     resourceVersion: a 100 KiB Secret costs the same ~200 bytes as an
//     empty one, and data never enters the operator except on demand.
//   - A metadata event maps, through an index of the ConfigMaps and Secrets
//     each ApplicationServer's pod template references, to the servers that
//     use the object; others are not woken.
//   - At reconcile, each referenced object's content is read from the API
//     server (not a cache) only when its resourceVersion differs from the
//     one its digest was computed at; the digests (one short string per
//     referenced object) are all the operator keeps.
//   - The digests hash into the pod template's config-hash annotation. A
//     change of data changes the template and rolls the pods once; a change
//     of labels only changes the resourceVersion, costs one read, and
//     leaves the hash, so nothing is written.

// configRefsIndex indexes ApplicationServers by "<Kind>/<name>" of each
// ConfigMap and Secret their pod template references.
const configRefsIndex = "appserver.dev/config-refs"

var (
	secretGVK    = schema.GroupVersionKind{Version: "v1", Kind: "Secret"}
	configMapGVK = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
)

// configDigests remembers, per referenced object, the digest of its data,
// the names of its keys (fileMounts name one) and the resourceVersion they
// were computed at.
type configDigests struct {
	mu sync.Mutex
	m  map[string]digestAt
}

type digestAt struct {
	resourceVersion, digest string
	keys                    []string // sorted
}

// has reports whether the object has the key.
func (d digestAt) has(key string) bool {
	_, ok := slices.BinarySearch(d.keys, key)
	return ok
}

func (c *configDigests) get(key, rv string) (digestAt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.m[key]
	return d, ok && d.resourceVersion == rv
}

func (c *configDigests) put(key string, d digestAt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]digestAt{}
	}
	c.m[key] = d
}

func (c *configDigests) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}

// configHash is the config-hash annotation for the pod spec of as: "" when
// restartOnConfigChange is off or nothing is referenced. An object that
// does not exist counts as empty: when it appears the pods roll once (which
// also restarts pods that were waiting for it). References in own, the
// operator's own children, are left out (ownConfig).
func (r *ApplicationServerReconciler) configHash(ctx context.Context, as *v1alpha1.ApplicationServer, spec *corev1.PodSpec, own map[resources.ConfigRef]bool) (string, error) {
	if !ptr.Deref(as.Spec.Deployment.RestartOnConfigChange, true) || r.configCache == nil {
		return "", nil
	}
	refs := resources.ConfigReferences(spec)
	if len(refs) == 0 {
		return "", nil
	}
	digests := make(map[string]string, len(refs))
	for _, ref := range refs {
		if own[ref] {
			continue
		}
		d, err := r.configDigest(ctx, as.Namespace, ref)
		if err != nil {
			return "", err
		}
		digests[ref.String()] = d
	}
	return resources.ConfigHash(digests), nil
}

func (r *ApplicationServerReconciler) configDigest(ctx context.Context, namespace string, ref resources.ConfigRef) (string, error) {
	c, _, err := r.configContent(ctx, namespace, ref)
	return c.digest, err
}

// configContent returns the digest and key names of a referenced ConfigMap
// or Secret, read from the API server only when its resourceVersion moved;
// found is false (and the digest "") when it does not exist.
func (r *ApplicationServerReconciler) configContent(ctx context.Context, namespace string, ref resources.ConfigRef) (c digestAt, found bool, err error) {
	key := client.ObjectKey{Namespace: namespace, Name: ref.Name}
	cacheKey := namespace + "/" + ref.String()
	gvk := configMapGVK
	if ref.Kind == resources.KindSecret {
		gvk = secretGVK
	}
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(gvk)
	if err := r.configCache.Get(ctx, key, m); err != nil {
		if apierrors.IsNotFound(err) {
			r.digests.forget(cacheKey)
			return digestAt{}, false, nil
		}
		return digestAt{}, false, fmt.Errorf("reading %s metadata: %w", ref, err)
	}
	if d, ok := r.digests.get(cacheKey, m.ResourceVersion); ok {
		return d, true, nil
	}
	var (
		data map[string][]byte
		keys []string
		rv   string
	)
	switch ref.Kind {
	case resources.KindSecret:
		s := &corev1.Secret{}
		if err := r.APIReader.Get(ctx, key, s); err != nil {
			if apierrors.IsNotFound(err) {
				return digestAt{}, false, nil
			}
			return digestAt{}, false, fmt.Errorf("reading %s: %w", ref, err)
		}
		data, rv = s.Data, s.ResourceVersion
		keys = slices.Collect(maps.Keys(s.Data))
	default:
		cm := &corev1.ConfigMap{}
		if err := r.APIReader.Get(ctx, key, cm); err != nil {
			if apierrors.IsNotFound(err) {
				return digestAt{}, false, nil
			}
			return digestAt{}, false, fmt.Errorf("reading %s: %w", ref, err)
		}
		data = make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
		for k, v := range cm.Data {
			data[k] = []byte(v)
			keys = append(keys, k)
		}
		for k, v := range cm.BinaryData {
			data["binary:"+k] = v
			keys = append(keys, k)
		}
		rv = cm.ResourceVersion
	}
	slices.Sort(keys)
	c = digestAt{resourceVersion: rv, digest: resources.DataDigest(data), keys: keys}
	r.digests.put(cacheKey, c)
	return c, true, nil
}

// configRefs are the index values of an ApplicationServer: the ConfigMaps
// and Secrets its built pod template references.
// The fileMounts ones are indexed even without restartOnConfigChange: the
// server is Degraded while one is missing, and must hear when it appears.
func (r *ApplicationServerReconciler) configRefs(obj client.Object) []string {
	as, ok := obj.(*v1alpha1.ApplicationServer)
	if !ok {
		return nil
	}
	if !ptr.Deref(as.Spec.Deployment.RestartOnConfigChange, true) {
		return fileMountRefs(as)
	}
	dep := resources.Deployment(as, r.Options)
	refs := resources.ConfigReferences(&dep.Spec.Template.Spec)
	out := make([]string, len(refs))
	for i, ref := range refs {
		out[i] = ref.String()
	}
	return out
}

// serversReferencing maps a ConfigMap or Secret event to the
// ApplicationServers of its namespace that reference it.
func (r *ApplicationServerReconciler) serversReferencing(kind resources.ConfigKind) handler.TypedEventHandler[*metav1.PartialObjectMetadata, reconcile.Request] {
	return handler.TypedEnqueueRequestsFromMapFunc(func(ctx context.Context, m *metav1.PartialObjectMetadata) []reconcile.Request {
		list := &v1alpha1.ApplicationServerList{}
		ref := resources.ConfigRef{Kind: kind, Name: m.Name}
		if err := r.Client.List(ctx, list, client.InNamespace(m.Namespace), client.MatchingFields{configRefsIndex: ref.String()}); err != nil {
			return nil
		}
		out := make([]reconcile.Request, len(list.Items))
		for i := range list.Items {
			out[i] = reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])}
		}
		return out
	})
}

// configChanged lets through creations, deletions and updates that moved
// the resourceVersion (not the informer's periodic resyncs).
var configChanged = predicate.TypedFuncs[*metav1.PartialObjectMetadata]{
	UpdateFunc: func(e event.TypedUpdateEvent[*metav1.PartialObjectMetadata]) bool {
		return e.ObjectOld.ResourceVersion != e.ObjectNew.ResourceVersion
	},
	GenericFunc: func(event.TypedGenericEvent[*metav1.PartialObjectMetadata]) bool { return false },
}

// metadataOnly is the config cache's transform: it keeps what the operator
// reads (namespace, name, UID, resourceVersion) and drops the rest, labels,
// annotations (kubectl's last-applied copy of a Secret among them) and
// managed fields included.
func metadataOnly(in any) (any, error) {
	m, ok := in.(*metav1.PartialObjectMetadata)
	if !ok {
		return in, nil
	}
	return &metav1.PartialObjectMetadata{
		TypeMeta: m.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Namespace:       m.Namespace,
			Name:            m.Name,
			UID:             m.UID,
			ResourceVersion: m.ResourceVersion,
		},
	}, nil
}
