package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// apiSeries is the response times of one metering API request, repeated.
type apiSeries struct {
	path, what, accept string
	times              []time.Duration
	bytes              int64 // of the last answer
}

func (s *apiSeries) format() string {
	if s.accept == "application/json" {
		return "JSON"
	}
	return "Prometheus text"
}

// apiClient asks the metering API over a new HTTPS connection each time (as
// a Prometheus scraping several operators would after an idle interval):
// the TLS handshake is part of every response time.
type apiClient struct {
	base  string
	token string
	hc    *http.Client
}

func newAPIClient(addr, token string) (*apiClient, error) {
	return &apiClient{base: "https://" + addr, token: token, hc: &http.Client{
		Timeout: 2 * time.Minute,
		Transport: &http.Transport{
			Proxy:             nil,
			DisableKeepAlives: true,
			// The API's certificate is self-signed (no METERING_CERT_DIR).
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		},
	}}, nil
}

// measure GETs s.path n times, one after the other, and records each time
// from sending the request to reading the last byte of the answer.
func (a *apiClient) measure(ctx context.Context, s *apiSeries, n int) error {
	for range n {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+s.path, nil)
		if err != nil {
			return err
		}
		if s.accept != "" {
			req.Header.Set("Accept", s.accept)
		}
		if a.token != "" {
			req.Header.Set("Authorization", "Bearer "+a.token)
		}
		start := time.Now()
		resp, err := a.hc.Do(req)
		if err != nil {
			return fmt.Errorf("GET %s: %w", s.path, err)
		}
		b, err := io.Copy(io.Discard, resp.Body)
		elapsed := time.Since(start)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("GET %s: reading the answer: %w", s.path, err)
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", s.path, resp.Status)
		}
		s.times = append(s.times, elapsed)
		s.bytes = b
	}
	return nil
}

// p50 and max of the times (nearest rank).
func (s *apiSeries) stats() (p50, maxT time.Duration) {
	t := slices.Clone(s.times)
	slices.Sort(t)
	return t[(len(t)-1)/2], t[len(t)-1]
}

// meteringReader makes a ServiceAccount allowed to read the metering API
// (docs/metering.md, "Security") and returns a token of it.
func meteringReader(ctx context.Context, cfg *rest.Config, k8s client.Client) (string, error) {
	const name = "metering-reader"
	objs := []client.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}},
		&rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: "bench-" + name},
			Rules:      []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics", "/metrics/*"}, Verbs: []string{"get"}}},
		},
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "bench-" + name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "bench-" + name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: namespace}},
		},
	}
	for _, o := range objs {
		if err := k8s.Create(ctx, o); err != nil {
			return "", fmt.Errorf("creating the metering reader: %w", err)
		}
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	expiry := int64(2 * time.Hour / time.Second)
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("requesting a token for the metering reader: %w", err)
	}
	return tr.Status.Token, nil
}
