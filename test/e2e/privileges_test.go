//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/appserver-operator/appserver-operator/internal/operator"
)

// The allow-lists of TestLeastPrivilege: what the operator's ServiceAccount
// may do, beyond what every authenticated identity may (see baselineGrant).
// One line per resource: "resource.group[/subresource][@resourceName]:
// verb,verb,...", or "url /path: verb" for a non-resource URL. A grant that
// is not here fails the test, and so does one here that is not granted:
// change these on purpose, with the feature that needs it.
var (
	// operatorGrant is the operator's work, wherever it manages servers
	// (config/rbac/role.yaml, generated from the controller's markers).
	operatorGrant = []string{
		"applicationservers.appserver.dev: get,list,watch",
		"applicationservers.appserver.dev/status: get,patch,update",
		// The children's owner references block their owner's deletion
		// (blockOwnerDeletion); OpenShift's OwnerReferencesPermission-
		// Enforcement admits that only from who may update the owner's
		// finalizers. The operator sets no finalizer.
		"applicationservers.appserver.dev/finalizers: update",
		// Config rollouts (issue 11): a metadata-only watch (list, watch)
		// of ConfigMaps and Secrets, whose data the operator never caches,
		// and get to hash the data of those a server's pods reference when
		// their resourceVersion moves. Read-only: see secretReads below.
		// The log shipper's <name>-logshipper ConfigMap (issue 9) is a
		// child: created, patched and deleted like the others.
		"configmaps: create,delete,get,list,patch,watch",
		"secrets: get,list,watch",
		"deployments.apps: create,delete,get,list,patch,watch",
		"events.events.k8s.io: create,patch",
		"horizontalpodautoscalers.autoscaling: create,delete,get,list,patch,watch",
		"ingresses.networking.k8s.io: create,delete,get,list,patch,watch",
		"networkpolicies.networking.k8s.io: create,delete,get,list,patch,watch",
		"poddisruptionbudgets.policy: create,delete,get,list,patch,watch",
		"pods: get,list,watch",
		// Session replication (KUBE_PING): the pods' ServiceAccount, and
		// a Role granting it pods get,list,watch, which the operator holds
		// (the API server lets no one grant more than they have).
		"rolebindings.rbac.authorization.k8s.io: create,delete,get,list,patch,watch",
		"roles.rbac.authorization.k8s.io: create,delete,get,list,patch,watch",
		"serviceaccounts: create,delete,get,list,patch,watch",
		"services: create,delete,get,list,patch,watch",
		// spec.server.metering.serviceMonitor and spec.route: children
		// of kinds a cluster may not serve (internal/controller/
		// optionalapis.go). OpenShift lets only who may create
		// routes/custom-host set a Route's spec.host (spec.route.host).
		"servicemonitors.monitoring.coreos.com: create,delete,get,list,patch,watch",
		"routes.route.openshift.io: create,delete,get,list,patch,watch",
		"routes.route.openshift.io/custom-host: create",
		// METERING_AUTH=kubernetes: the metering API's TokenReview and
		// SubjectAccessReview. Both are cluster-scoped resources: where
		// a Role grants them (the namespaced installs) the rules review
		// lists them, but the authorizer refuses the request, so that
		// setting cannot work there today (reported with issue 13).
		"subjectaccessreviews.authorization.k8s.io: create",
		"tokenreviews.authentication.k8s.io: create",
	}
	// leaderElectionGrant is held in the operator's own namespace only: its
	// Lease, its events and its settings ConfigMap.
	leaderElectionGrant = []string{
		"configmaps: get,list,watch",
		"events: create,patch",
		"leases.coordination.k8s.io: create,delete,get,list,patch,update,watch",
		// The leader labels its own pod, which the custom metrics
		// Service selects (docs/autoscaling.md).
		"pods: patch",
	}
)

// TestLeastPrivilege asks the API server (SelfSubjectRulesReview, with a
// token of the operator's ServiceAccount) what each way of installing the
// operator lets it do — in its own namespace, in the namespaces it watches,
// and elsewhere (which includes what it may do cluster-wide) — and compares
// that with the allow-lists above. Secrets are read-only (config rollouts
// hash referenced Secrets): nothing may change them.
func TestLeastPrivilege(t *testing.T) {
	ctx := context.Background()
	// One namespace none of the installs binds anything in: "elsewhere". A
	// ServiceAccount there with no binding at all gives, per namespace
	// reviewed, what every authenticated identity may do (system:basic-user,
	// system:discovery, system:public-info-viewer and whatever else this
	// cluster grants everyone); that is left out of what is compared.
	elsewhere := newNamespace(t, "rbac-elsewhere")
	createServiceAccount(t, elsewhere, "no-bindings")
	baselineKubeconfig := serviceAccountKubeconfig(t, elsewhere, "no-bindings")
	baseline := grantedIn(t, baselineKubeconfig, elsewhere)
	// The review itself is granted to everyone (system:basic-user): were it
	// missing from the baseline, the subtraction below would be of nothing.
	if !slices.Contains(baseline, "create selfsubjectrulesreviews.authorization.k8s.io") {
		t.Fatalf("the baseline lacks create selfsubjectrulesreviews.authorization.k8s.io:%s", bullets(baseline))
	}
	t.Logf("every authenticated identity may (left out below, per namespace reviewed):%s", bullets(baseline))

	type scope struct {
		what  string   // e.g. "its own namespace"
		ns    string   // the namespace reviewed
		grant []string // the allow-list there
	}
	// The identity under test is the one the operator's pod runs as: the
	// ServiceAccount of the install's one Deployment.
	check := func(t *testing.T, saNS string, scopes []scope) {
		t.Helper()
		sa := podServiceAccount(t, saNS)
		saKubeconfig := serviceAccountKubeconfig(t, saNS, sa)
		user := "system:serviceaccount:" + saNS + ":" + sa
		groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + saNS, "system:authenticated"}
		for _, s := range scopes {
			base := grantedIn(t, baselineKubeconfig, s.ns)
			got := subtract(grantedIn(t, saKubeconfig, s.ns), base)
			want := expand(t, s.grant)
			if added, removed := subtract(got, want), subtract(want, got); len(added)+len(removed) > 0 {
				t.Errorf("%s in %s (namespace %s): the grant differs from the allow-list in test/e2e/privileges_test.go"+
					"\n  granted, not in the list (%d):%s\n  in the list, not granted (%d):%s",
					user, s.what, s.ns, len(added), bullets(added), len(removed), bullets(removed))
			}
			if secrets := subtract(secretGrants(got), secretReads); len(secrets) > 0 {
				t.Errorf("%s may do more than read Secrets in %s (namespace %s); no feature needs it:%s", user, s.what, s.ns, bullets(secrets))
			}
			assertNoSecretAccess(t, user, groups, s.ns)
			// A control: the same question about what the list grants
			// is answered yes, so the noes above are the authorizer's.
			if slices.Contains(want, "list deployments.apps") && !allowed(t, user, groups, s.ns, "list", "apps", "deployments") {
				t.Errorf("%s may not list Deployments in %s (namespace %s), which its rules grant", user, s.what, s.ns)
			}
		}
		assertNoSecretAccess(t, user, groups, metav1.NamespaceAll)
	}
	union := func(lists ...[]string) []string { return slices.Concat(lists...) }

	t.Run("manifest/install.yaml", func(t *testing.T) {
		const ns, name = "appserver-operator", "appserver-operator"
		if err := k8s.Get(ctx, client.ObjectKey{Name: ns}, &corev1.Namespace{}); !apierrors.IsNotFound(err) {
			t.Fatalf("namespace %s exists already (%v): this test installs into it", ns, err)
		}
		// Everything but the CRD, which the other tests apply server-side
		// and which stays.
		objs := manifestDocs(t, filepath.Join(root, "manifest", "install.yaml"), "CustomResourceDefinition")
		t.Cleanup(func() {
			// Every object of the install, the cluster-scoped ones too (the
			// custom metrics APIServices would keep the Helm install below
			// from taking them over).
			kubectlStdin(t, objs, "delete", "--ignore-not-found", "--wait=true", "--timeout=2m", "-f", "-")
		})
		kubectlStdin(t, objs, "apply", "-f", "-")
		check(t, ns, []scope{
			{"its own namespace", ns, union(operatorGrant, leaderElectionGrant)},
			{"any other namespace and cluster-wide", elsewhere, operatorGrant},
		})
	})

	t.Run("manifest/namespaced/install.yaml", func(t *testing.T) {
		ns := newNamespace(t, "rbac-namespaced")
		kubectl(t, "apply", "-n", ns, "-f", filepath.Join(root, "manifest", "namespaced", "install.yaml"))
		check(t, ns, []scope{
			{"its own namespace", ns, union(operatorGrant, leaderElectionGrant)},
			{"any other namespace and cluster-wide", elsewhere, nil},
		})
	})

	// A release name no other test uses: the cluster scope's ClusterRole is
	// named after the release and its namespace.
	const rel = "rbac-check"
	t.Run("the Helm chart, rbac.scope=cluster", func(t *testing.T) {
		ns := newNamespace(t, "rbac-helm-cluster")
		t.Cleanup(func() { _, _ = helm(t, "uninstall", rel, "-n", ns, "--ignore-not-found", "--wait", "--timeout=90s") })
		mustHelm(t, "install", rel, chartDir, "-n", ns, "--skip-crds")
		check(t, ns, []scope{
			{"its own namespace", ns, union(operatorGrant, leaderElectionGrant)},
			{"any other namespace and cluster-wide", elsewhere, operatorGrant},
		})
	})

	t.Run("the Helm chart, rbac.scope=namespaced", func(t *testing.T) {
		ns := newNamespace(t, "rbac-helm-release")
		watched := []string{newNamespace(t, "rbac-helm-watched"), newNamespace(t, "rbac-helm-watched")}
		t.Cleanup(func() { _, _ = helm(t, "uninstall", rel, "-n", ns, "--ignore-not-found", "--wait", "--timeout=90s") })
		mustHelm(t, "install", rel, chartDir, "-n", ns, "--skip-crds",
			"--set", "rbac.scope=namespaced", "--set", "watchNamespaces={"+strings.Join(watched, ",")+"}")
		check(t, ns, []scope{
			{"its own namespace (the release's, not watched)", ns, leaderElectionGrant},
			{"a watched namespace", watched[0], operatorGrant},
			{"another watched namespace", watched[1], operatorGrant},
			{"any other namespace and cluster-wide", elsewhere, nil},
		})
	})
}

// grantedIn returns what the identity of kubeconfigPath may do in ns, as
// the API server's SelfSubjectRulesReview answers, one "verb target" entry
// per verb and resource (see expand for the format).
func grantedIn(t *testing.T, kubeconfigPath, ns string) []string {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	review := &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: ns}}
	if err := c.Create(context.Background(), review); err != nil {
		t.Fatalf("SelfSubjectRulesReview in %s: %v", ns, err)
	}
	if review.Status.Incomplete {
		t.Fatalf("SelfSubjectRulesReview in %s is incomplete: %s", ns, review.Status.EvaluationError)
	}
	var out []string
	for _, r := range review.Status.ResourceRules {
		groups := r.APIGroups
		names := r.ResourceNames
		if len(names) == 0 {
			names = []string{""}
		}
		for _, g := range groups {
			for _, res := range r.Resources {
				for _, n := range names {
					for _, v := range r.Verbs {
						out = append(out, v+" "+target(res, g, n))
					}
				}
			}
		}
	}
	for _, r := range review.Status.NonResourceRules {
		for _, u := range r.NonResourceURLs {
			for _, v := range r.Verbs {
				out = append(out, v+" url "+u)
			}
		}
	}
	return dedupe(out)
}

// target names a resource as the allow-lists do: "pods",
// "deployments.apps", "applicationservers.appserver.dev/status",
// "configmaps@name" ("*" stays "*", so a wildcard is never mistaken for a
// listed resource).
func target(resource, group, name string) string {
	res, sub, _ := strings.Cut(resource, "/")
	s := res
	if group != "" {
		s += "." + group
	}
	if sub != "" {
		s += "/" + sub
	}
	if name != "" {
		s += "@" + name
	}
	return s
}

// expand turns allow-list lines into "verb target" entries.
func expand(t *testing.T, lines []string) []string {
	t.Helper()
	var out []string
	for _, l := range lines {
		tgt, verbs, ok := strings.Cut(l, ": ")
		if !ok || verbs == "" {
			t.Fatalf("allow-list line %q: want \"target: verb,verb\"", l)
		}
		for _, v := range strings.Split(verbs, ",") {
			out = append(out, strings.TrimSpace(v)+" "+tgt)
		}
	}
	return dedupe(out)
}

func dedupe(s []string) []string {
	sort.Strings(s)
	return slices.Compact(s)
}

// subtract returns the entries of a that are not in b.
func subtract(a, b []string) []string {
	var out []string
	for _, e := range a {
		if !slices.Contains(b, e) {
			out = append(out, e)
		}
	}
	return out
}

func bullets(s []string) string {
	if len(s) == 0 {
		return " none"
	}
	return "\n    " + strings.Join(s, "\n    ")
}

// secretReads are the only Secret grants allowed: config rollouts read the
// Secrets a server's pods reference (internal/controller/confighash.go).
var secretReads = []string{"get secrets", "list secrets", "watch secrets"}

// secretGrants returns the entries that reach Secrets: the resource itself,
// any of its subresources or names, or a wildcard resource in the core
// group.
func secretGrants(entries []string) []string {
	var out []string
	for _, e := range entries {
		_, tgt, _ := strings.Cut(e, " ")
		if strings.HasPrefix(tgt, "url ") {
			continue
		}
		res, _, _ := strings.Cut(tgt, "@")
		res, _, _ = strings.Cut(res, "/")
		if res == "secrets" || res == "secrets.*" || res == "*" || res == "*.*" {
			out = append(out, e)
		}
	}
	return out
}

// assertNoSecretAccess asks the authorizer directly (SubjectAccessReview,
// not the rules' listing) whether user may change Secrets in ns (reading
// them is granted for config rollouts)
// (metav1.NamespaceAll: in every namespace at once, as a ClusterRole would
// grant).
func assertNoSecretAccess(t *testing.T, user string, groups []string, ns string) {
	t.Helper()
	where := "namespace " + ns
	if ns == metav1.NamespaceAll {
		where = "all namespaces"
	}
	for _, verb := range []string{"create", "update", "patch", "delete", "deletecollection"} {
		if allowed(t, user, groups, ns, verb, "", "secrets") {
			t.Errorf("%s may %s Secrets in %s; no feature needs it", user, verb, where)
		}
	}
}

// allowed asks the authorizer (SubjectAccessReview, as the admin) whether
// user may do verb on the resource in ns.
func allowed(t *testing.T, user string, groups []string, ns, verb, group, resource string) bool {
	t.Helper()
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: user, Groups: groups,
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Group: group, Resource: resource},
	}}
	if err := k8s.Create(context.Background(), sar); err != nil {
		t.Fatal(err)
	}
	return sar.Status.Allowed
}

// podServiceAccount returns the ServiceAccount of the one Deployment in ns.
func podServiceAccount(t *testing.T, ns string) string {
	t.Helper()
	list := &appsv1.DeploymentList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		t.Fatalf("%d Deployments in %s, want the operator's only", len(list.Items), ns)
	}
	sa := list.Items[0].Spec.Template.Spec.ServiceAccountName
	if sa == "" || sa == "default" {
		t.Fatalf("the operator's Deployment %s/%s runs as ServiceAccount %q, want its own", ns, list.Items[0].Name, sa)
	}
	return sa
}

func createServiceAccount(t *testing.T, ns, name string) {
	t.Helper()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if err := k8s.Create(context.Background(), sa); err != nil {
		t.Fatal(err)
	}
}

// manifestDocs returns the objects of a multi-document YAML file without
// those of the kinds skipped, as one YAML stream.
func manifestDocs(t *testing.T, path string, skip ...string) string {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(readFile(t, mustRel(t, path))), 4096)
	var docs []string
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("%s: %v", path, err)
		}
		if obj == nil || slices.Contains(skip, fmt.Sprint(obj["kind"])) {
			continue
		}
		b, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	return strings.Join(docs, "---\n")
}

func mustRel(t *testing.T, path string) string {
	t.Helper()
	rel, err := filepath.Rel(root, path)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

// kubectlStdin runs bin/kubectl against the test cluster with stdin.
func kubectlStdin(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "bin", "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
