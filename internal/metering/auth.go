package metering

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authenticationv1client "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationv1client "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
)

// Cache lifetimes of KubernetesAuthorizer decisions, so that a Prometheus
// scraping every few seconds does not cost two API requests each time.
const (
	authAllowTTL  = time.Minute
	authDenyTTL   = 10 * time.Second
	authCacheSize = 1024
	authTimeout   = 10 * time.Second
)

// KubernetesAuthorizer returns a ServerOptions.Authorize function that
// accepts a request only with "Authorization: Bearer <token>" where the token
// passes a TokenReview and its user may "get" the request's path as a
// non-resource URL (SubjectAccessReview), the scheme controller-runtime's
// metrics filters and kube-rbac-proxy use. Grant it with a ClusterRole rule
// such as:
//
//	nonResourceURLs: ["/metrics", "/metrics/*"]
//	verbs: ["get"]
//
// The operator's service account needs create on tokenreviews
// (authentication.k8s.io) and subjectaccessreviews (authorization.k8s.io).
// Decisions are cached per token and path for a minute (denials for ten
// seconds). Missing or invalid tokens give 401, denials 403, failures of the
// reviews 500.
func KubernetesAuthorizer(cfg *rest.Config) (func(r *http.Request) (int, error), error) {
	authn, err := authenticationv1client.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the TokenReview client: %w", err)
	}
	authz, err := authorizationv1client.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the SubjectAccessReview client: %w", err)
	}
	return newKubeAuthorizer(authn.TokenReviews(), authz.SubjectAccessReviews()).authorize, nil
}

type tokenReviewer interface {
	Create(ctx context.Context, tr *authenticationv1.TokenReview, opts metav1.CreateOptions) (*authenticationv1.TokenReview, error)
}

type accessReviewer interface {
	Create(ctx context.Context, sar *authorizationv1.SubjectAccessReview, opts metav1.CreateOptions) (*authorizationv1.SubjectAccessReview, error)
}

type kubeAuthorizer struct {
	tokens tokenReviewer
	access accessReviewer
	now    func() time.Time

	mu    sync.Mutex
	cache map[[sha256.Size]byte]authDecision
}

type authDecision struct {
	code    int
	err     error
	expires time.Time
}

func newKubeAuthorizer(tokens tokenReviewer, access accessReviewer) *kubeAuthorizer {
	return &kubeAuthorizer{tokens: tokens, access: access, now: time.Now, cache: map[[sha256.Size]byte]authDecision{}}
}

var (
	errNoToken      = errors.New("unauthorized: a bearer token is required")
	errInvalidToken = errors.New("unauthorized: invalid bearer token")
)

func (a *kubeAuthorizer) authorize(r *http.Request) (int, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	token = strings.TrimSpace(token)
	if !ok || token == "" {
		return http.StatusUnauthorized, errNoToken
	}
	// The key never holds the token itself.
	key := sha256.Sum256([]byte(token + "\x00" + r.URL.Path))
	now := a.now()
	a.mu.Lock()
	d, hit := a.cache[key]
	a.mu.Unlock()
	if hit && now.Before(d.expires) {
		return d.code, d.err
	}

	code, err := a.review(r.Context(), token, r.URL.Path)
	if code == http.StatusInternalServerError {
		return code, err // not cached: the next request retries
	}
	ttl := authDenyTTL
	if err == nil {
		ttl = authAllowTTL
	}
	a.mu.Lock()
	if len(a.cache) >= authCacheSize {
		for k, v := range a.cache {
			if !now.Before(v.expires) {
				delete(a.cache, k)
			}
		}
		if len(a.cache) >= authCacheSize {
			clear(a.cache)
		}
	}
	a.cache[key] = authDecision{code: code, err: err, expires: now.Add(ttl)}
	a.mu.Unlock()
	return code, err
}

func (a *kubeAuthorizer) review(ctx context.Context, token, path string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, authTimeout)
	defer cancel()
	tr, err := a.tokens.Create(ctx, &authenticationv1.TokenReview{
		Spec: authenticationv1.TokenReviewSpec{Token: token},
	}, metav1.CreateOptions{})
	if err != nil {
		return http.StatusInternalServerError, fmt.Errorf("reviewing the bearer token: %w", err)
	}
	if !tr.Status.Authenticated {
		return http.StatusUnauthorized, errInvalidToken
	}
	user := tr.Status.User
	extra := make(map[string]authorizationv1.ExtraValue, len(user.Extra))
	for k, v := range user.Extra {
		extra[k] = authorizationv1.ExtraValue(v)
	}
	sar, err := a.access.Create(ctx, &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{
			User:   user.Username,
			UID:    user.UID,
			Groups: user.Groups,
			Extra:  extra,
			NonResourceAttributes: &authorizationv1.NonResourceAttributes{
				Path: path,
				Verb: "get",
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return http.StatusInternalServerError, fmt.Errorf("reviewing access to %s: %w", path, err)
	}
	if !sar.Status.Allowed {
		return http.StatusForbidden, fmt.Errorf("forbidden: user %q may not get %s", user.Username, path)
	}
	return http.StatusOK, nil
}
