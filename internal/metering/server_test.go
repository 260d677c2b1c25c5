package metering

import (
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// startServer runs a Server on 127.0.0.1:0 until the test ends and returns
// its base URL and a client that skips verification.
func startServer(t *testing.T, store *Store, opts ServerOptions) (*Server, string, *http.Client) {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	srv := NewServer(store, opts)
	srv.certCheckEvery = 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Start(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server did not start in time")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Start returned %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("server did not stop")
		}
	})
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:    &tls.Config{InsecureSkipVerify: true},
		DisableCompression: true,
		DisableKeepAlives:  true,
	}}
	return srv, "https://" + srv.Addr().String(), client
}

func apiStore(t *testing.T) *Store {
	return storeWith(t, map[Target]string{
		tgt("a", "web", "web-1"): "# HELP up Is up.\n# TYPE up gauge\nup 1\n",
		tgt("b", "web", "web-2"): "# TYPE up gauge\nup 0\n",
		tgt("b", "db", "db-0"):   "# TYPE queries_total counter\nqueries_total 5\n",
	})
}

func TestServerRoutes(t *testing.T) {
	srv, base, client := startServer(t, apiStore(t), ServerOptions{})
	if !srv.NeedLeaderElection() {
		t.Error("the API must run on the leader only")
	}
	tests := []struct {
		name, method, path, accept string
		wantCode                   int
		wantType                   string
		wantIn                     []string // substrings of the body
		wantOut                    []string // not in the body
	}{
		{"all servers", "GET", "/metrics", "", 200, ContentTypeText,
			[]string{`up{applicationserver="web",namespace="a",pod="web-1"} 1`, `up{applicationserver="web",namespace="b",pod="web-2"} 0`, `queries_total{applicationserver="db"`, "# HELP up Is up.\n# TYPE up gauge\n"}, nil},
		{"trailing slash", "GET", "/metrics/", "", 200, ContentTypeText, []string{"queries_total"}, nil},
		{"one server", "GET", "/metrics/db", "", 200, ContentTypeText, []string{"queries_total"}, []string{"up{"}},
		{"namespaced", "GET", "/metrics/b/web", "", 200, ContentTypeText, []string{`pod="web-2"`}, []string{`pod="web-1"`, "queries_total"}},
		{"ambiguous name", "GET", "/metrics/web", "", 409, "application/json", []string{`"candidates":["a/web","b/web"]`, `"error":`}, nil},
		{"unknown name", "GET", "/metrics/nope", "", 404, "application/json", []string{`"error":"applicationserver \"nope\" not found"`}, nil},
		{"unknown namespace", "GET", "/metrics/c/web", "", 404, "application/json", []string{`"error":`}, nil},
		{"too deep", "GET", "/metrics/a/b/c", "", 404, "application/json", []string{`"error":`}, nil},
		{"empty segment", "GET", "/metrics//web", "", 404, "application/json", []string{`"error":`}, nil},
		{"other path", "GET", "/healthz", "", 404, "application/json", []string{`"error":`}, nil},
		{"POST", "POST", "/metrics", "", 405, "application/json", []string{`"error":"method POST not allowed`}, nil},
		{"DELETE one", "DELETE", "/metrics/db", "", 405, "application/json", []string{`"error":`}, nil},
		{"HEAD", "HEAD", "/metrics", "", 200, ContentTypeText, nil, []string{"up"}},
		{"JSON", "GET", "/metrics/db", "application/json", 200, "application/json",
			[]string{`{"db":[{"name":"queries_total","help":"","type":"counter","metrics":[{"labels":{"applicationserver":"db","namespace":"b","pod":"db-0"},"value":"5"}]}]}`}, nil},
		{"JSON all, colliding names", "GET", "/metrics", "application/json", 200, "application/json", []string{`"a/web":`, `"b/web":`, `"db":`}, nil},
		{"JSON preferred", "GET", "/metrics/db", "text/plain;q=0.5, application/json", 200, "application/json", []string{`"db":`}, nil},
		{"text preferred", "GET", "/metrics/db", "application/json;q=0.1, text/plain", 200, ContentTypeText, []string{"# TYPE queries_total counter"}, nil},
		{"Prometheus' Accept", "GET", "/metrics/db", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", 200, ContentTypeText, []string{"queries_total"}, nil},
		{"any", "GET", "/metrics/db", "*/*", 200, ContentTypeText, []string{"queries_total"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, base+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantCode {
				t.Errorf("status %d, want %d; body %s", resp.StatusCode, tc.wantCode, body)
			}
			if got := resp.Header.Get("Content-Type"); got != tc.wantType {
				t.Errorf("Content-Type %q, want %q", got, tc.wantType)
			}
			for _, s := range tc.wantIn {
				if !strings.Contains(string(body), s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			for _, s := range tc.wantOut {
				if strings.Contains(string(body), s) {
					t.Errorf("body has %q:\n%s", s, body)
				}
			}
			if tc.wantCode == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow = %q", resp.Header.Get("Allow"))
			}
			if tc.wantType == "application/json" && tc.method != "HEAD" && !json.Valid(body) {
				t.Errorf("invalid JSON: %s", body)
			}
			if tc.wantCode == 409 {
				var eb errorBody
				if err := json.Unmarshal(body, &eb); err != nil || !slices.Equal(eb.Candidates, []string{"a/web", "b/web"}) {
					t.Errorf("409 body %s (%v)", body, err)
				}
			}
		})
	}
}

func TestServerGzip(t *testing.T) {
	_, base, client := startServer(t, apiStore(t), ServerOptions{})
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if fams := parseText(t, string(body)); len(fams) != 2 {
		t.Errorf("families %v", fams)
	}
}

func TestServerAuthorize(t *testing.T) {
	var seen []string
	authorize := func(r *http.Request) (int, error) {
		seen = append(seen, r.URL.Path)
		switch r.Header.Get("Authorization") {
		case "Bearer good":
			return http.StatusOK, nil
		case "Bearer weak":
			return http.StatusForbidden, errors.New("forbidden: no access")
		case "Bearer odd":
			return 0, errors.New("denied without a code")
		}
		return http.StatusUnauthorized, errors.New("unauthorized: a bearer token is required")
	}
	_, base, client := startServer(t, apiStore(t), ServerOptions{Authorize: authorize})
	tests := []struct {
		path, token string
		wantCode    int
	}{
		{"/metrics", "", 401},
		{"/metrics/db", "weak", 403},
		{"/metrics/db", "odd", 403},
		{"/metrics/db", "good", 200},
		{"/metrics/nope", "", 401}, // names are not revealed before authorization
		{"/other", "", 404},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest("GET", base+tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.wantCode {
			t.Errorf("%s with %q: status %d, want %d (%s)", tc.path, tc.token, resp.StatusCode, tc.wantCode, body)
		}
		if tc.wantCode != 200 && !json.Valid(body) {
			t.Errorf("%s: error body is not JSON: %s", tc.path, body)
		}
	}
	if slices.Contains(seen, "/other") {
		t.Error("Authorize called for a path outside the API")
	}
}

func dialCert(t *testing.T, addr string) *x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

func TestServerSelfSignedCertificate(t *testing.T) {
	srv, _, _ := startServer(t, NewStore(), ServerOptions{})
	cert := dialCert(t, srv.Addr().String())
	if _, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok {
		t.Errorf("key is %T, want ECDSA", cert.PublicKey)
	}
	if err := cert.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	if time.Until(cert.NotAfter) < 300*24*time.Hour {
		t.Errorf("certificate expires %v", cert.NotAfter)
	}
}

func TestServerCertificateReload(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Now().Add(-time.Hour)
	first := writeKeyPair(t, dir, t0)
	srv, _, _ := startServer(t, NewStore(), ServerOptions{CertDir: dir})
	addr := srv.Addr().String()
	if got := dialCert(t, addr); !got.Equal(first) {
		t.Fatal("not serving the certificate from the directory")
	}

	second := writeKeyPair(t, dir, t0.Add(time.Minute))
	if got := dialCert(t, addr); !got.Equal(second) {
		t.Fatal("the changed certificate was not picked up")
	}

	// A broken update keeps the current certificate.
	broken := filepath.Join(dir, CertFile)
	if err := os.WriteFile(broken, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(broken, t0.Add(2*time.Minute), t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := dialCert(t, addr); !got.Equal(second) {
		t.Fatal("a broken update replaced the certificate")
	}

	// And a later good one is taken.
	third := writeKeyPair(t, dir, t0.Add(3*time.Minute))
	if got := dialCert(t, addr); !got.Equal(third) {
		t.Fatal("the certificate after a broken update was not picked up")
	}
}

func TestServerStartErrors(t *testing.T) {
	tests := []struct {
		name string
		opts ServerOptions
	}{
		{"missing certificate directory", ServerOptions{Addr: "127.0.0.1:0", CertDir: filepath.Join(t.TempDir(), "missing")}},
		{"bad address", ServerOptions{Addr: "127.0.0.1:99999"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := NewServer(NewStore(), tc.opts).Start(ctx); err == nil {
				t.Error("Start succeeded")
			}
		})
	}
}

func TestWantsJSON(t *testing.T) {
	tests := map[string]bool{
		"":                                   false,
		"application/json":                   true,
		"application/json; charset=utf-8":    true,
		"*/*":                                false,
		"text/plain, application/json":       false,
		"text/plain;q=0.9, application/json": true,
		"application/json;q=0, text/plain":   false,
		"garbage;;;":                         false,
		"application/json, */*;q=0.1":        true,
	}
	for accept, want := range tests {
		if got := wantsJSON(accept); got != want {
			t.Errorf("wantsJSON(%q) = %v, want %v", accept, got, want)
		}
	}
}
