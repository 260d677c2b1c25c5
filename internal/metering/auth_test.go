package metering

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

type fakeTokens struct {
	calls int
	err   error
}

func (f *fakeTokens) Create(_ context.Context, tr *authenticationv1.TokenReview, _ metav1.CreateOptions) (*authenticationv1.TokenReview, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	out := tr.DeepCopy()
	users := map[string]string{"reader": "system:serviceaccount:monitoring:prometheus", "stranger": "system:serviceaccount:default:someone"}
	if user, ok := users[tr.Spec.Token]; ok {
		out.Status.Authenticated = true
		out.Status.User = authenticationv1.UserInfo{
			Username: user,
			Groups:   []string{"system:serviceaccounts"},
			Extra:    map[string]authenticationv1.ExtraValue{"scopes": {"a"}},
		}
	}
	return out, nil
}

type fakeAccess struct {
	calls int
	last  *authorizationv1.SubjectAccessReview
	err   error
}

func (f *fakeAccess) Create(_ context.Context, sar *authorizationv1.SubjectAccessReview, _ metav1.CreateOptions) (*authorizationv1.SubjectAccessReview, error) {
	f.calls++
	f.last = sar
	if f.err != nil {
		return nil, f.err
	}
	out := sar.DeepCopy()
	out.Status.Allowed = sar.Spec.User == "system:serviceaccount:monitoring:prometheus"
	return out, nil
}

func TestKubernetesAuthorizer(t *testing.T) {
	tests := []struct {
		name, header string
		tokenErr     error
		accessErr    error
		wantCode     int
		wantErr      bool
	}{
		{"no header", "", nil, nil, 401, true},
		{"not bearer", "Basic dXNlcjpwYXNz", nil, nil, 401, true},
		{"empty token", "Bearer ", nil, nil, 401, true},
		{"invalid token", "Bearer forged", nil, nil, 401, true},
		{"authenticated but not allowed", "Bearer stranger", nil, nil, 403, true},
		{"allowed", "Bearer reader", nil, nil, 200, false},
		{"token review fails", "Bearer reader", errors.New("apiserver down"), nil, 500, true},
		{"access review fails", "Bearer reader", nil, errors.New("apiserver down"), 500, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tokens, access := &fakeTokens{err: tc.tokenErr}, &fakeAccess{err: tc.accessErr}
			a := newKubeAuthorizer(tokens, access)
			r := httptest.NewRequest("GET", "/metrics/web", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			code, err := a.authorize(r)
			if code != tc.wantCode || (err != nil) != tc.wantErr {
				t.Errorf("got %d, %v; want %d, error %v", code, err, tc.wantCode, tc.wantErr)
			}
			if tc.wantCode == 200 {
				attrs := access.last.Spec.NonResourceAttributes
				if attrs == nil || attrs.Path != "/metrics/web" || attrs.Verb != "get" {
					t.Errorf("SubjectAccessReview attributes %+v", attrs)
				}
				if access.last.Spec.Extra["scopes"][0] != "a" || len(access.last.Spec.Groups) != 1 {
					t.Errorf("user info not passed on: %+v", access.last.Spec)
				}
			}
			if token, ok := strings.CutPrefix(tc.header, "Bearer "); ok && token != "" && err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("error text leaks the token: %v", err)
			}
		})
	}
}

func TestKubernetesAuthorizerCache(t *testing.T) {
	tokens, access := &fakeTokens{}, &fakeAccess{}
	a := newKubeAuthorizer(tokens, access)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	call := func(token, path string) int {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Authorization", "Bearer "+token)
		code, _ := a.authorize(r)
		return code
	}
	for range 3 {
		if code := call("reader", "/metrics"); code != http.StatusOK {
			t.Fatalf("code %d", code)
		}
	}
	if tokens.calls != 1 || access.calls != 1 {
		t.Errorf("reviews made %d/%d times, want once while cached", tokens.calls, access.calls)
	}
	call("reader", "/metrics/web") // another path is another decision
	if access.calls != 2 {
		t.Errorf("access reviews %d, want 2", access.calls)
	}
	now = now.Add(authAllowTTL + time.Second)
	call("reader", "/metrics")
	if tokens.calls != 3 {
		t.Errorf("token reviews %d, want a new one after the TTL", tokens.calls)
	}

	// Failures of the reviews are not cached.
	tokens.err = errors.New("down")
	if code := call("other", "/metrics"); code != http.StatusInternalServerError {
		t.Fatalf("code %d", code)
	}
	tokens.err = nil
	if code := call("other", "/metrics"); code != http.StatusUnauthorized {
		t.Errorf("code %d after the API server came back", code)
	}

	// The cache stays bounded.
	for i := range authCacheSize + 10 {
		call("forged-"+string(rune('a'+i%26))+time.Duration(i).String(), "/metrics")
	}
	if n := len(a.cache); n > authCacheSize {
		t.Errorf("cache holds %d entries", n)
	}
}

func TestKubernetesAuthorizerConstructor(t *testing.T) {
	authorize, err := KubernetesAuthorizer(&rest.Config{Host: "https://127.0.0.1:1"})
	if err != nil || authorize == nil {
		t.Fatalf("KubernetesAuthorizer: %v", err)
	}
	code, err := authorize(httptest.NewRequest("GET", "/metrics", nil))
	if code != http.StatusUnauthorized || err == nil {
		t.Errorf("without a token: %d, %v", code, err)
	}
}
