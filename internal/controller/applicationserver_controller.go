// Package controller holds the ApplicationServer reconciler.
package controller

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/resources"
)

// Event reasons.
const (
	EventCreated       = "Created"
	EventUpdated       = "Updated"
	EventDeleted       = "Deleted"
	EventApplyFailed   = "ApplyFailed"
	EventChildNotOwned = "ChildNotOwned"
)

// notOwnedRecheck is how often a server whose child name is taken by someone
// else's object looks again: that object is outside the operator's caches.
const notOwnedRecheck = time.Minute

var conditionReason = regexp.MustCompile(`^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$`)

// +kubebuilder:rbac:groups=appserver.dev,resources=applicationservers,verbs=get;list;watch
// +kubebuilder:rbac:groups=appserver.dev,resources=applicationservers/status,verbs=get;patch;update
// +kubebuilder:rbac:groups=appserver.dev,resources=applicationservers/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=autoscaling,resources=horizontalpodautoscalers,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingresses,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// Config rollouts (confighash.go): list/watch for a metadata-only watch of
// ConfigMaps and Secrets (no data is cached), get to read the content of
// those a server's pods reference, on demand, when their resourceVersion moves.
// +kubebuilder:rbac:groups="",resources=configmaps;secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=serviceaccounts,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles;rolebindings,verbs=get;list;watch;create;patch;delete
// Optional kinds (optionalapis.go), used only where their API is served.
// OpenShift lets only those who may create routes/custom-host set a Route's
// spec.host (spec.route.host); on other clusters that rule is inert.
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=servicemonitors,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=route.openshift.io,resources=routes,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=route.openshift.io,resources=routes/custom-host,verbs=create

// ApplicationServerReconciler makes the children of each ApplicationServer
// match its spec and reports what it sees in its status.
type ApplicationServerReconciler struct {
	// Client reads from the manager's label-filtered caches and writes to the
	// API server.
	Client client.Client
	// APIReader reads from the API server directly; used only when a child
	// is missing from the cache, to tell "absent" from "someone else's".
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  recorder.EventRecorder
	// MaxConcurrentReconciles defaults to 4.
	MaxConcurrentReconciles int
	// Metering, when set, gives the metering summary written to
	// status.metering; MeteringEvents wakes the reconciler when it changes.
	Metering       MeteringSummaries
	MeteringEvents <-chan event.GenericEvent
	// Options are the operator settings the builders need.
	Options resources.Options
	// WatchNamespaces limit the metadata-only watch of ConfigMaps and
	// Secrets (config rollouts); empty: all namespaces.
	WatchNamespaces []string

	configCache cache.Cache
	digests     configDigests
	// optionalCache holds the children of optional kinds (ServiceMonitor,
	// Route), label-selected; apis says which of those kinds are served.
	optionalCache cache.Cache
	apis          *apiAvailability
	controller    controller.Controller
	// written: the status writes the cache does not show yet.
	written writtenStatuses
}

// child is one kind of object an ApplicationServer may have: desired is nil
// when the spec does not ask for it (any existing one we own is deleted).
type child struct {
	kind    string
	desired client.Object
	empty   func() client.Object
	// name of the child when it is not the ApplicationServer's name.
	name string
	// reader reads the child when not the manager's client (the cache of
	// the optional kinds, see optionalapis.go).
	reader client.Reader
}

func children(as *v1alpha1.ApplicationServer, opts resources.Options) []child {
	return []child{
		// The pods' ServiceAccount and its RBAC first: pods cannot be created before it exists.
		{kind: "ServiceAccount", desired: nilIfNil(resources.ServiceAccount(as)), empty: func() client.Object { return &corev1.ServiceAccount{} }},
		{kind: "Role", desired: nilIfNil(resources.PeersRole(as)), empty: func() client.Object { return &rbacv1.Role{} }},
		{kind: "RoleBinding", desired: nilIfNil(resources.PeersRoleBinding(as)), empty: func() client.Object { return &rbacv1.RoleBinding{} }},
		{kind: "Deployment", desired: resources.Deployment(as, opts), empty: func() client.Object { return &appsv1.Deployment{} }},
		{kind: "Service", desired: resources.Service(as), empty: func() client.Object { return &corev1.Service{} }},
		{kind: "HorizontalPodAutoscaler", desired: nilIfNil(resources.HorizontalPodAutoscaler(as)), empty: func() client.Object { return &autoscalingv2.HorizontalPodAutoscaler{} }},
		{kind: "Ingress", desired: nilIfNil(resources.Ingress(as)), empty: func() client.Object { return &networkingv1.Ingress{} }},
		{kind: "PodDisruptionBudget", desired: nilIfNil(resources.PodDisruptionBudget(as)), empty: func() client.Object { return &policyv1.PodDisruptionBudget{} }},
		{kind: "ConfigMap", name: resources.LogShipperConfigMapName(as),
			desired: nilIfNil(resources.LogShipperConfigMap(as)), empty: func() client.Object { return &corev1.ConfigMap{} }},
		{kind: "NetworkPolicy", desired: nilIfNil(resources.NetworkPolicy(as, opts)), empty: func() client.Object { return &networkingv1.NetworkPolicy{} }},
		{kind: "Service", name: resources.PeersServiceName(as),
			desired: nilIfNil(resources.PeersService(as)), empty: func() client.Object { return &corev1.Service{} }},
	}
}

// nilIfNil turns a typed nil pointer into a nil interface.
func nilIfNil[T any, PT interface {
	*T
	client.Object
}](o PT) client.Object {
	if o == nil {
		return nil
	}
	return o
}

// Reconcile brings one ApplicationServer's children to the desired state and
// writes its status, once, when it changed.
func (r *ApplicationServerReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	as := &v1alpha1.ApplicationServer{}
	if err := r.Client.Get(ctx, req.NamespacedName, as); err != nil {
		if apierrors.IsNotFound(err) {
			r.written.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	// The status as stored: the cache may not show this process's last
	// status write yet (written.go).
	r.written.overlay(as)
	if !as.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // the garbage collector deletes the children
	}

	var (
		o    observation
		done changes
	)
	opts := r.serverOptions(ctx, as)
	o.operatorImageMissing = len(as.Spec.DependsOn) > 0 && opts.OperatorImage == ""
	cs := children(as, opts)
	own := ownConfig(cs)
	for _, c := range cs {
		if err := r.addConfigHash(ctx, as, c.desired, own); err != nil {
			// Without the hash the template would change: leave the
			// Deployment as it is until the configuration can be read.
			o.applyErr = errors.Join(o.applyErr, err)
			continue
		}
		obj, notOwned, err := r.reconcileChild(ctx, as, c, &done)
		switch {
		case err != nil:
			o.applyErr = errors.Join(o.applyErr, err)
		case notOwned != "":
			o.notOwned = append(o.notOwned, notOwned)
		}
		if d, ok := obj.(*appsv1.Deployment); ok {
			o.deployment = d
		}
	}

	r.reconcileOptionalChildren(ctx, as, &o, &done)
	done.report(r, as)
	if msg, err := r.missingFileMounts(ctx, as); err != nil {
		o.applyErr = errors.Join(o.applyErr, err)
	} else if o.missingReference = msg; msg != "" && !degradedFor(as, v1alpha1.ReasonReferenceNotFound) {
		r.Recorder.Eventf(as, nil, corev1.EventTypeWarning, v1alpha1.ReasonReferenceNotFound, "Reconcile", "The server's pods cannot start: %s", msg)
	}

	if msg, err := r.waitingFor(ctx, as); err != nil {
		o.applyErr = errors.Join(o.applyErr, err)
	} else {
		o.waitingFor = msg
	}
	if msg, err := r.configError(ctx, as); err != nil {
		o.applyErr = errors.Join(o.applyErr, err)
	} else if o.configError = msg; msg != "" && !degradedFor(as, v1alpha1.ReasonContainerConfigError) {
		r.Recorder.Eventf(as, nil, corev1.EventTypeWarning, v1alpha1.ReasonContainerConfigError, "Reconcile", "The server's pods cannot start: %s", msg)
	}
	if r.Metering != nil && meteringOn(as) {
		o.metering = MeteringStatus(as.Status.Metering, r.Metering.Summary(as.Namespace, as.Name))
	}
	st := computeStatus(as, o)
	changed := !equality.Semantic.DeepEqual(as.Status, st)
	log.FromContext(ctx).V(1).Info("Reconciled", "generation", as.Generation, "ready", st.Ready,
		"notOwned", o.notOwned, "applyError", o.applyErr, "statusChanged", changed)
	if changed {
		// No optimistic lock: the status is computed whole from the spec and
		// the children, so the last writer is right.
		patch := client.MergeFrom(as.DeepCopy())
		as.Status = st
		if err := r.Client.Status().Patch(ctx, as, patch); err != nil {
			return ctrl.Result{}, errors.Join(o.applyErr, fmt.Errorf("updating status: %w", err))
		}
		r.written.record(as)
	}
	if o.applyErr != nil {
		return ctrl.Result{}, o.applyErr
	}
	if len(o.notOwned) > 0 {
		return ctrl.Result{RequeueAfter: notOwnedRecheck}, nil
	}
	if len(o.missingAPIs) > 0 {
		// Look again when the "absent" answer may be refreshed (see
		// optionalapis.go): no write unless the API has appeared.
		return ctrl.Result{RequeueAfter: apiRecheck}, nil
	}
	return ctrl.Result{}, nil
}

// reconcileOptionalChildren makes, updates or deletes the children whose
// API may be absent. Discovery is asked only for a child the spec wants;
// a child it does not want is looked for only when its API is known to be
// served (none can have been made otherwise).
func (r *ApplicationServerReconciler) reconcileOptionalChildren(ctx context.Context, as *v1alpha1.ApplicationServer, o *observation, done *changes) {
	if r.apis == nil {
		return
	}
	for _, oc := range optionalChildren(as) {
		served := r.apis.known(oc.kind.gvk)
		if oc.desired != nil && !served {
			var err error
			if served, err = r.apis.check(ctx, oc.kind.gvk); err != nil {
				o.applyErr = errors.Join(o.applyErr, err)
				continue
			}
			if !served {
				o.missingAPIs = append(o.missingAPIs, missingAPIMessage(oc.kind))
			}
		}
		if !served {
			continue
		}
		c := child{kind: oc.kind.gvk.Kind, empty: emptyOf(oc.kind.gvk), reader: r.optionalCache}
		if oc.desired != nil {
			c.desired = oc.desired
		}
		_, notOwned, err := r.reconcileChild(ctx, as, c, done)
		switch {
		case err != nil:
			o.applyErr = errors.Join(o.applyErr, err)
		case notOwned != "":
			o.notOwned = append(o.notOwned, notOwned)
		}
	}
}

// reconcileChild creates, updates or deletes one child, and notes what it
// did in done. It returns the child as it now is (nil when absent), or the
// "Kind name" of an object in the way that the ApplicationServer does not
// own.
func (r *ApplicationServerReconciler) reconcileChild(ctx context.Context, as *v1alpha1.ApplicationServer, c child, done *changes) (client.Object, string, error) {
	existing := c.empty()
	kind := c.kind
	key := client.ObjectKey{Namespace: as.Namespace, Name: as.Name}
	if c.name != "" {
		key.Name = c.name
	}
	reader := c.reader
	if reader == nil {
		reader = r.Client
	}
	found, err := r.get(ctx, reader, key, existing)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s %s: %w", kind, key.Name, err)
	}
	if !found && c.desired != nil {
		// The cache holds only objects labelled as ours. Most often a child
		// missing there does not exist yet: create it without asking the
		// API server first. Only when an object of that name exists (the
		// create-only apply is refused) is it read, to tell someone else's
		// object from one of ours the cache does not hold (yet).
		intent, err := r.intent(as, c)
		if err != nil {
			return nil, "", err
		}
		applied, err := r.apply(ctx, as, c, key, intent, true)
		if err != nil {
			return nil, "", err
		}
		if applied != nil {
			log.FromContext(ctx).Info("Created child", "kind", kind, "child", klog.KObj(applied))
			done.created = append(done.created, kind+" "+key.Name)
			return applied, "", nil
		}
		if found, err = r.getLive(ctx, key, existing); err != nil {
			return nil, "", fmt.Errorf("reading %s %s: %w", kind, key.Name, err)
		}
	}
	if found && !metav1.IsControlledBy(existing, as) {
		// Warn once, when the server becomes degraded for it, not at every
		// recheck: an event is a write too.
		if !degradedFor(as, v1alpha1.ReasonChildNotOwned) {
			r.Recorder.Eventf(as, existing, corev1.EventTypeWarning, EventChildNotOwned, "Reconcile",
				"%s %s exists and is not owned by this ApplicationServer; leaving it alone", kind, key.Name)
		}
		return nil, kind + " " + key.Name, nil
	}

	if c.desired == nil {
		if !found {
			return nil, "", nil
		}
		err := r.Client.Delete(ctx, existing, client.Preconditions{UID: ptrUID(existing)})
		if err != nil && !apierrors.IsNotFound(err) {
			err = fmt.Errorf("deleting %s %s: %w", kind, key.Name, err)
			if !failureReported(as, err) {
				r.Recorder.Eventf(as, existing, corev1.EventTypeWarning, EventApplyFailed, "Delete", "%s", capitalize(err.Error()))
			}
			return nil, "", err
		}
		done.deleted = append(done.deleted, kind+" "+key.Name)
		return nil, "", nil
	}

	if found {
		keepReplicasUntilTheHPAHasThem(c.desired, existing)
		if err := r.dropStrayServicePorts(ctx, existing, c.desired); err != nil {
			return nil, "", err
		}
	}
	intent, err := r.intent(as, c)
	if err != nil {
		return nil, "", err
	}
	if found {
		same, err := upToDate(intent, existing)
		if err != nil {
			return nil, "", err
		}
		if same {
			log.FromContext(ctx).V(1).Info("Child is up to date", "kind", kind, "child", klog.KObj(existing))
			return existing, "", nil
		}
	}
	applied, err := r.apply(ctx, as, c, key, intent, false)
	if err != nil {
		return nil, "", err
	}
	if found {
		log.FromContext(ctx).V(1).Info("Updated child", "kind", kind, "child", klog.KObj(applied))
		done.updated = append(done.updated, kind+" "+key.Name)
	} else {
		log.FromContext(ctx).Info("Created child", "kind", kind, "child", klog.KObj(applied))
		done.created = append(done.created, kind+" "+key.Name)
	}
	return applied, "", nil
}

// intent is the apply intent of a child: the built object, controlled by
// the server, with the hash of the intent.
func (r *ApplicationServerReconciler) intent(as *v1alpha1.ApplicationServer, c child) (*unstructured.Unstructured, error) {
	if err := controllerutil.SetControllerReference(as, c.desired, r.Scheme); err != nil {
		return nil, fmt.Errorf("setting owner of %s %s: %w", c.kind, c.desired.GetName(), err)
	}
	return applyIntent(c.desired)
}

// absentResourceVersion is a resourceVersion no stored object has (etcd's
// first revision is taken by the API server's own objects long before any
// child exists): an apply that carries it creates the object when absent
// and is refused with a Conflict, writing nothing, when one exists.
const absentResourceVersion = "1"

// apply server-side applies the child's intent. ifAbsent makes it
// create-only: it returns nil, and no error, when an object of that name
// exists.
func (r *ApplicationServerReconciler) apply(ctx context.Context, as *v1alpha1.ApplicationServer, c child, key client.ObjectKey, intent *unstructured.Unstructured, ifAbsent bool) (client.Object, error) {
	sent := intent
	if ifAbsent {
		sent = intent.DeepCopy()
		sent.SetResourceVersion(absentResourceVersion)
	}
	if err := r.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(sent),
		client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		if ifAbsent && (apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)) {
			return nil, nil
		}
		err = fmt.Errorf("applying %s %s: %w", c.kind, key.Name, err)
		// No warning for work cut short by a shutdown, nor again for a
		// failure the Degraded condition already reports: the reconcile is
		// retried with exponential back-off, and each retry that fails the
		// same way writes nothing.
		if ctx.Err() == nil && !failureReported(as, err) {
			r.Recorder.Eventf(as, c.desired, corev1.EventTypeWarning, EventApplyFailed, "Apply", "%s", capitalize(err.Error()))
		}
		return nil, err
	}
	applied := c.empty()
	if u, ok := applied.(*unstructured.Unstructured); ok {
		u.SetUnstructuredContent(intent.DeepCopy().Object)
	} else if err := runtime.DefaultUnstructuredConverter.FromUnstructured(intent.Object, applied); err != nil {
		return nil, fmt.Errorf("reading applied %s %s: %w", c.kind, key.Name, err)
	}
	return applied, nil
}

// get reads a child from the cache, which holds only objects labelled as
// ours.
func (r *ApplicationServerReconciler) get(ctx context.Context, reader client.Reader, key client.ObjectKey, obj client.Object) (bool, error) {
	err := reader.Get(ctx, key, obj)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// getLive reads a child from the API server.
func (r *ApplicationServerReconciler) getLive(ctx context.Context, key client.ObjectKey, obj client.Object) (bool, error) {
	return r.get(ctx, r.APIReader, key, obj)
}

// changes collects what one reconcile did to the children ("Deployment
// shop"), reported as one Normal event per kind of change: a server created
// at once costs one event, not one per child.
type changes struct {
	created, updated, deleted []string
}

func (d *changes) report(r *ApplicationServerReconciler, as *v1alpha1.ApplicationServer) {
	if len(d.created) > 0 {
		r.Recorder.Eventf(as, nil, corev1.EventTypeNormal, EventCreated, "Apply", "Created %s", strings.Join(d.created, ", "))
	}
	if len(d.updated) > 0 {
		r.Recorder.Eventf(as, nil, corev1.EventTypeNormal, EventUpdated, "Apply", "Updated %s", strings.Join(d.updated, ", "))
	}
	if len(d.deleted) > 0 {
		r.Recorder.Eventf(as, nil, corev1.EventTypeNormal, EventDeleted, "Delete", "Deleted %s: no longer in the spec", strings.Join(d.deleted, ", "))
	}
}

// degradedFor reports whether the server is already Degraded for reason:
// warnings are emitted once, when it becomes so, not at every reconcile.
func degradedFor(as *v1alpha1.ApplicationServer, reason string) bool {
	c := meta.FindStatusCondition(as.Status.Conditions, v1alpha1.ConditionDegraded)
	return c != nil && c.Status == metav1.ConditionTrue && c.Reason == reason
}

// failureReported reports whether the server is already Degraded for err:
// its ApplyFailed message (all of the last reconcile's failures) holds it.
func failureReported(as *v1alpha1.ApplicationServer, err error) bool {
	c := meta.FindStatusCondition(as.Status.Conditions, v1alpha1.ConditionDegraded)
	return c != nil && c.Status == metav1.ConditionTrue && c.Reason == v1alpha1.ReasonApplyFailed &&
		strings.Contains(c.Message, err.Error())
}

// capitalize makes an error message an event message ("Applying ...").
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func ptrUID(obj client.Object) *types.UID {
	uid := obj.GetUID()
	return &uid
}

// SetupWithManager registers the reconciler: it watches ApplicationServers
// (spec changes only: its own status writes do not wake it) and every kind
// of child it owns.
func (r *ApplicationServerReconciler) SetupWithManager(mgr ctrl.Manager) error {
	// Drop each remembered status write once the cache holds it.
	inf, err := mgr.GetCache().GetInformer(context.Background(), &v1alpha1.ApplicationServer{})
	if err != nil {
		return fmt.Errorf("watching ApplicationServers: %w", err)
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj any) {
			if as, ok := obj.(*v1alpha1.ApplicationServer); ok {
				r.written.seen(as)
			}
		},
	}); err != nil {
		return fmt.Errorf("watching ApplicationServers: %w", err)
	}
	workers := r.MaxConcurrentReconciles
	if workers <= 0 {
		workers = 4
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.ApplicationServer{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&appsv1.Deployment{}).
		Owns(&corev1.Service{}).
		Owns(&autoscalingv2.HorizontalPodAutoscaler{}).
		Owns(&networkingv1.Ingress{}).
		Owns(&policyv1.PodDisruptionBudget{}).
		Owns(&networkingv1.NetworkPolicy{}).
		Owns(&corev1.ConfigMap{}).
		Owns(&corev1.ServiceAccount{}).
		Owns(&rbacv1.Role{}).
		Owns(&rbacv1.RoleBinding{}).
		Watches(&corev1.Pod{}, podsToServer, builder.WithPredicates(podStateChanged)).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Named("applicationserver")
	if r.MeteringEvents != nil {
		b = b.WatchesRawSource(source.Channel(r.MeteringEvents, &handler.EnqueueRequestForObject{}))
	}
	if err := r.setUpConfigWatch(mgr); err != nil {
		return err
	}
	for kind, gvk := range map[resources.ConfigKind]schema.GroupVersionKind{resources.KindSecret: secretGVK, resources.KindConfigMap: configMapGVK} {
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(gvk)
		b = b.WatchesRawSource(source.Kind(r.configCache, m, r.serversReferencing(kind), configChanged))
	}
	if err := r.setUpOptionalKinds(mgr); err != nil {
		return err
	}
	c, err := b.Build(r)
	if err != nil {
		return err
	}
	r.controller = c
	// Once at start: watch the optional kinds whose API is served now.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, k := range optionalKinds {
		if _, err := r.apis.check(ctx, k.gvk); err != nil {
			mgr.GetLogger().Error(err, "Cannot tell whether the API is served; asking again when a server needs it", "groupVersion", k.gvk.GroupVersion())
		}
	}
	return nil
}

// setUpOptionalKinds creates the cache of the optional kinds (only the
// operator's own objects, in the watched namespaces; its informers start
// when a kind's API is found) and the discovery client that finds them.
func (r *ApplicationServerReconciler) setUpOptionalKinds(mgr ctrl.Manager) error {
	c, err := r.addCache(mgr, cache.Options{
		DefaultLabelSelector: labels.SelectorFromSet(labels.Set{v1alpha1.LabelManagedBy: v1alpha1.ManagedByValue}),
	}, "cache of ServiceMonitors and Routes")
	if err != nil {
		return err
	}
	r.optionalCache = c
	dc, err := discovery.NewDiscoveryClientForConfig(mgr.GetConfig())
	if err != nil {
		return fmt.Errorf("creating a discovery client: %w", err)
	}
	r.apis = &apiAvailability{discovery: dc, now: time.Now, onServed: func(gvk schema.GroupVersionKind) error {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		mgr.GetLogger().Info("Watching an optional kind: its API is served", "kind", gvk.Kind, "groupVersion", gvk.GroupVersion())
		return r.controller.Watch(source.Kind[*unstructured.Unstructured](c, u,
			handler.TypedEnqueueRequestForOwner[*unstructured.Unstructured](mgr.GetScheme(), mgr.GetRESTMapper(),
				&v1alpha1.ApplicationServer{}, handler.OnlyControllerOwner())))
	}}
	return nil
}

// addCache creates a cache of the watched namespaces beside the manager's
// and runs it with the manager.
func (r *ApplicationServerReconciler) addCache(mgr ctrl.Manager, opts cache.Options, what string) (cache.Cache, error) {
	opts.Scheme, opts.Mapper = mgr.GetScheme(), mgr.GetRESTMapper()
	if len(r.WatchNamespaces) > 0 {
		opts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range r.WatchNamespaces {
			opts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	c, err := cache.New(mgr.GetConfig(), opts)
	if err != nil {
		return nil, fmt.Errorf("creating the %s: %w", what, err)
	}
	if err := mgr.Add(c); err != nil {
		return nil, fmt.Errorf("adding the %s: %w", what, err)
	}
	return c, nil
}

// setUpConfigWatch creates the metadata-only cache of ConfigMaps and Secrets
// (see confighash.go), runs it with the manager, and indexes the
// ApplicationServers by what they reference.
func (r *ApplicationServerReconciler) setUpConfigWatch(mgr ctrl.Manager) error {
	c, err := r.addCache(mgr, cache.Options{DefaultTransform: metadataOnly}, "ConfigMap and Secret metadata cache")
	if err != nil {
		return err
	}
	r.configCache = c
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &v1alpha1.ApplicationServer{}, configRefsIndex, r.configRefs); err != nil {
		return fmt.Errorf("indexing ApplicationServers by ConfigMap and Secret: %w", err)
	}
	return nil
}

// serverOptions are the builders' options for as: the operator's, plus the
// first Service port of each ApplicationServer it depends on.
func (r *ApplicationServerReconciler) serverOptions(ctx context.Context, as *v1alpha1.ApplicationServer) resources.Options {
	opts := r.Options
	for _, d := range as.Spec.DependsOn {
		if d.ApplicationServer == "" {
			continue
		}
		other := &v1alpha1.ApplicationServer{}
		if err := r.Client.Get(ctx, client.ObjectKey{Namespace: as.Namespace, Name: d.ApplicationServer}, other); err != nil {
			continue // not there (yet): wait on the default port
		}
		if len(other.Spec.Service.Ports) > 0 {
			if opts.DependencyPorts == nil {
				opts.DependencyPorts = map[string]int32{}
			}
			opts.DependencyPorts[d.ApplicationServer] = other.Spec.Service.Ports[0].Port
		}
	}
	return opts
}

// ownConfig lists the ConfigMaps and Secrets among the desired children:
// the builder that makes one also hashes its content into the pod template
// (as LogShipperConfigHashAnnotation does), so the config hash leaves them
// out. Reading them there would roll the pods once more right after they
// are created.
func ownConfig(cs []child) map[resources.ConfigRef]bool {
	own := map[resources.ConfigRef]bool{}
	for _, c := range cs {
		switch o := c.desired.(type) {
		case *corev1.ConfigMap:
			own[resources.ConfigRef{Kind: resources.KindConfigMap, Name: o.Name}] = true
		case *corev1.Secret:
			own[resources.ConfigRef{Kind: resources.KindSecret, Name: o.Name}] = true
		}
	}
	return own
}

// addConfigHash sets the config-hash annotation on a desired Deployment;
// own are the references it leaves out (ownConfig).
func (r *ApplicationServerReconciler) addConfigHash(ctx context.Context, as *v1alpha1.ApplicationServer, obj client.Object, own map[resources.ConfigRef]bool) error {
	dep, ok := obj.(*appsv1.Deployment)
	if !ok {
		return nil
	}
	hash, err := r.configHash(ctx, as, &dep.Spec.Template.Spec, own)
	if err != nil {
		return fmt.Errorf("hashing the configuration of Deployment %s: %w", as.Name, err)
	}
	resources.WithConfigHash(&dep.Spec.Template, hash)
	return nil
}
