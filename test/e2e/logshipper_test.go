//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/resources"
)

// The log shipper end to end: the operator builds the sidecar; kwok runs no
// containers, so the test runs the real appserver-log-shipper binary as a
// local process with exactly what the operator put in the pod (the
// ConfigMap's config, the container's args and env resolved from the pod
// spec, Secrets included, every volume mapped to a temporary directory), and
// a real log store, VictoriaLogs (built by make tools), receives the records.
//
// LOGSHIPPER_E2E_LINES sets the number of lines per phase (default 500).

const logDir = "/opt/app/logs"

var logLinesPerPhase = func() int {
	if n, err := strconv.Atoi(os.Getenv("LOGSHIPPER_E2E_LINES")); err == nil && n > 0 {
		return n
	}
	return 500
}()

// TestLogShipperElasticsearch: Elasticsearch bulk API over TLS (a test CA)
// with basic auth, into VictoriaLogs serving TLS and basic auth itself. The
// shipper is killed with SIGKILL mid-stream and the store goes away for
// 20 s: every line arrives, duplicates are counted and bounded.
func TestLogShipperElasticsearch(t *testing.T) {
	ns := newNamespace(t, "logs-es")
	ca, certFile, keyFile := testCA(t)
	vl := startVictoriaLogs(t, "-tls", "-tlsCertFile="+certFile, "-tlsKeyFile="+keyFile,
		"-httpAuth.username=shipper", "-httpAuth.password=s3cret-pw")
	vl.ca, vl.user, vl.password = ca, "shipper", "s3cret-pw"

	for _, s := range []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Name: "logs-ca", Namespace: ns}, Data: map[string][]byte{"ca.crt": ca}},
		{ObjectMeta: metav1.ObjectMeta{Name: "logs-auth", Namespace: ns}, Type: corev1.SecretTypeBasicAuth,
			Data: map[string][]byte{"username": []byte("shipper"), "password": []byte("s3cret-pw")}},
	} {
		if err := k8s.Create(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	host, port := vl.hostPort(t)
	as := logShipperServer(ns, "shop", &v1alpha1.LogShipperSpec{Elasticsearch: &v1alpha1.ElasticsearchSpec{
		Host: host, Port: port, Path: "/insert/elasticsearch", Index: "webotx",
		TLS: &v1alpha1.ElasticsearchTLS{Enabled: ptr.To(true), Verification: ptr.To(true),
			CACert: &v1alpha1.CACertSpec{Secret: v1alpha1.SecretKey{Name: "logs-ca", Key: "ca.crt"}}},
		Auth: &v1alpha1.ElasticsearchAuth{Enabled: ptr.To(true), SecretName: "logs-auth"},
	}})
	sh := shipperFromOperator(t, as)

	w := sh.writer(t)
	sh.start(t)
	w.lines(t, logLinesPerPhase)
	vl.waitSeqs(t, w.written/2)

	// kill -9 in the middle of a stream, then start again.
	w.lines(t, logLinesPerPhase/2)
	sh.kill(t)
	w.lines(t, logLinesPerPhase/2)
	sh.start(t)
	vl.waitSeqs(t, w.written)

	// The store goes away for 20 s while lines keep coming.
	vl.stop(20 * time.Second)
	outage := time.Now()
	for time.Since(outage) < 20*time.Second {
		w.lines(t, logLinesPerPhase/10)
		time.Sleep(time.Second) // the outage's length is the scenario, not a wait for a condition
	}
	vl.restart(t)

	// A Java stack trace is one record.
	w.stackTrace(t)
	w.lines(t, logLinesPerPhase)

	got := vl.waitSeqs(t, w.written)
	dups := 0
	for _, n := range got.seqs {
		dups += n - 1
	}
	t.Logf("log shipper (Elasticsearch): %d lines written, %d records in VictoriaLogs, %d duplicates (kill -9 and a 20 s outage)",
		w.written, got.total, dups)
	// At most the batches in flight at the kill (max_size 5000 each, 2 consumers).
	if dups > 2*5000 {
		t.Errorf("%d duplicates, more than the batches in flight", dups)
	}
	got.checkAttributes(t, ns, as.Name)
	got.checkStackTrace(t)
}

// TestLogShipperOTLP: OTLP/HTTP into VictoriaLogs's OpenTelemetry endpoint,
// the path Loki ≥ 3 takes too.
func TestLogShipperOTLP(t *testing.T) {
	ns := newNamespace(t, "logs-otlp")
	vl := startVictoriaLogs(t)
	as := logShipperServer(ns, "otlp", &v1alpha1.LogShipperSpec{
		OTLP:            &v1alpha1.OTLPSpec{Endpoint: vl.base + "/insert/opentelemetry", Protocol: "http/protobuf"},
		ExtraAttributes: map[string]string{"team": "web"},
	})
	sh := shipperFromOperator(t, as)
	w := sh.writer(t)
	w.lines(t, logLinesPerPhase)
	sh.start(t)
	w.stackTrace(t)
	w.lines(t, logLinesPerPhase)
	got := vl.waitSeqs(t, w.written)
	got.checkAttributes(t, ns, as.Name)
	got.checkStackTrace(t)
	if got.records[0]["team"] != "web" {
		t.Errorf("extraAttributes missing: %v", got.records[0])
	}
}

// TestLogShipperStdout: no destination, the records are on the sidecar's
// stdout (kubectl logs <pod> -c log-shipper).
func TestLogShipperStdout(t *testing.T) {
	ns := newNamespace(t, "logs-stdout")
	as := logShipperServer(ns, "stdout", nil)
	sh := shipperFromOperator(t, as)
	w := sh.writer(t)
	w.lines(t, 20)
	sh.start(t)
	eventually(t, 2*time.Minute, "the last line on the shipper's stdout", func() error {
		out, err := os.ReadFile(sh.log)
		if err != nil {
			return err
		}
		if !bytes.Contains(out, []byte(fmt.Sprintf("seq=%06d", w.written-1))) {
			return fmt.Errorf("not yet (%d bytes of stdout)", len(out))
		}
		return nil
	})
}

func logShipperServer(ns, name string, ls *v1alpha1.LogShipperSpec) *v1alpha1.ApplicationServer {
	as := newAppServer(ns, name, 1)
	as.Spec.Server.Application = &v1alpha1.ApplicationSpec{Logs: []v1alpha1.LogPath{logDir + "/server.log"}}
	as.Spec.Deployment.LogShipper = ls
	return as
}

// shipper is the log-shipper sidecar of a server's pod, run as a local process.
// Its log is its stdout and stderr.
type shipper struct {
	*localProcess
	dir  string
	dirs map[string]string // mount path in the pod → local directory
}

// shipperFromOperator starts the operator, creates as, and prepares the
// sidecar exactly as the operator built it.
func shipperFromOperator(t *testing.T, as *v1alpha1.ApplicationServer) *shipper {
	t.Helper()
	startOperator(t, []string{"LOG_SHIPPER_IMAGE=ghcr.io/appserver-operator/appserver-log-shipper:e2e"})
	if err := k8s.Create(context.Background(), as); err != nil {
		t.Fatal(err)
	}
	dep := &appsv1.Deployment{}
	eventually(t, time.Minute, "the Deployment with the log-shipper sidecar", func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(as), dep); err != nil {
			return err
		}
		if len(dep.Spec.Template.Spec.InitContainers) == 0 {
			return fmt.Errorf("no sidecar yet")
		}
		return nil
	})
	spec := dep.Spec.Template.Spec
	var c corev1.Container
	for _, ic := range spec.InitContainers {
		if ic.Name == resources.LogShipperContainerName {
			c = ic
		}
	}
	if c.Image != "ghcr.io/appserver-operator/appserver-log-shipper:e2e" || ptr.Deref(c.RestartPolicy, "") != corev1.ContainerRestartPolicyAlways {
		t.Fatalf("sidecar %s image %q restartPolicy %v: want the LOG_SHIPPER_IMAGE native sidecar", c.Name, c.Image, c.RestartPolicy)
	}
	sh := &shipper{dir: t.TempDir(), dirs: map[string]string{}}

	// Volumes → local directories, filled as the kubelet would.
	for i, m := range c.VolumeMounts {
		local := filepath.Join(sh.dir, "vol"+strconv.Itoa(i))
		if err := os.MkdirAll(local, 0o755); err != nil {
			t.Fatal(err)
		}
		sh.dirs[m.MountPath] = local
		v := volumeNamed(t, spec.Volumes, m.Name)
		switch {
		case v.ConfigMap != nil:
			cm := &corev1.ConfigMap{}
			eventually(t, time.Minute, "ConfigMap "+v.ConfigMap.Name, func() error {
				return k8s.Get(context.Background(), client.ObjectKey{Namespace: as.Namespace, Name: v.ConfigMap.Name}, cm)
			})
			for k, val := range cm.Data {
				writeFile(t, filepath.Join(local, k), []byte(val))
			}
		case v.Secret != nil:
			s := &corev1.Secret{}
			if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: as.Namespace, Name: v.Secret.SecretName}, s); err != nil {
				t.Fatal(err)
			}
			for _, it := range v.Secret.Items {
				writeFile(t, filepath.Join(local, it.Path), s.Data[it.Key])
			}
		case v.EmptyDir != nil:
		default:
			t.Fatalf("volume %s: a kind the test cannot map", v.Name)
		}
	}
	// The config names pod paths: map them to the local directories,
	// longest first, in the config file and in the arguments.
	mounts := slices.Collect(func(yield func(string) bool) {
		for p := range sh.dirs {
			if !yield(p) {
				return
			}
		}
	})
	slices.SortFunc(mounts, func(a, b string) int { return len(b) - len(a) })
	mapPaths := func(s string) string {
		for _, p := range mounts {
			s = strings.ReplaceAll(s, p, sh.dirs[p])
		}
		return s
	}
	cfgDir := sh.dirs[resources.LogShipperConfigDir]
	cfgFile := filepath.Join(cfgDir, resources.LogShipperConfigFile)
	raw, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfgFile, []byte(mapPaths(string(raw))))
	var args []string
	for _, a := range c.Args {
		args = append(args, mapPaths(a))
	}
	env := resolveEnv(t, as, c)

	// validate, as the golden configs are: the generated config loads.
	bin := filepath.Join(root, "bin", "appserver-log-shipper")
	validate := exec.Command(bin, append([]string{"validate"}, args...)...)
	validate.Env = env
	out, err := validate.CombinedOutput()
	if err != nil {
		t.Fatalf("appserver-log-shipper validate (run 'make build'): %v\n%s", err, out)
	}
	sh.localProcess = newLocalProcess(t, "log shipper", bin, filepath.Join(sh.dir, "stdout.log"), args, env, 10*time.Second, 4096)
	return sh
}

func volumeNamed(t *testing.T, vs []corev1.Volume, name string) corev1.Volume {
	t.Helper()
	for _, v := range vs {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no volume %s", name)
	return corev1.Volume{}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// resolveEnv is the container's environment as the kubelet would give it:
// values, the downward API for a pod on a loopback node, Secrets.
func resolveEnv(t *testing.T, as *v1alpha1.ApplicationServer, c corev1.Container) []string {
	t.Helper()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for _, e := range c.Env {
		v := e.Value
		if f := e.ValueFrom; f != nil {
			switch {
			case f.FieldRef != nil:
				v = map[string]string{
					"metadata.namespace": as.Namespace, "metadata.name": as.Name + "-7d9f8-abcde",
					"spec.nodeName": "kwok-node-0", "status.podIP": "127.0.10.7",
				}[f.FieldRef.FieldPath]
			case f.SecretKeyRef != nil:
				s := &corev1.Secret{}
				if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: as.Namespace, Name: f.SecretKeyRef.Name}, s); err != nil {
					t.Fatalf("env %s: %v", e.Name, err)
				}
				v = string(s.Data[f.SecretKeyRef.Key])
			case f.ResourceFieldRef != nil && f.ResourceFieldRef.Resource == "limits.memory":
				v = strconv.FormatInt(c.Resources.Limits.Memory().Value(), 10)
			default:
				t.Fatalf("env %s: a source the test cannot resolve", e.Name)
			}
		}
		env = append(env, e.Name+"="+v)
	}
	return env
}

// logWriter appends numbered lines to the server's log file, as the server
// would, in the directory the pod shares with the sidecar.
type logWriter struct {
	f       *os.File
	written int
}

func (sh *shipper) writer(t *testing.T) *logWriter {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(sh.dirs[logDir], "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &logWriter{f: f}
}

func (w *logWriter) lines(t *testing.T, n int) {
	t.Helper()
	var b bytes.Buffer
	for range n {
		fmt.Fprintf(&b, "%s INFO  [main] seq=%06d request handled in 3 ms\n", time.Now().UTC().Format("2006-01-02 15:04:05.000"), w.written)
		w.written++
	}
	if _, err := w.f.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
}

func (w *logWriter) stackTrace(t *testing.T) {
	t.Helper()
	trace := fmt.Sprintf("%s ERROR [main] seq=%06d request failed\n", time.Now().UTC().Format("2006-01-02 15:04:05.000"), w.written) +
		"java.lang.IllegalStateException: boom\n" +
		"\tat com.example.shop.Cart.checkout(Cart.java:42)\n" +
		"\tat com.example.shop.CartServlet.doPost(CartServlet.java:17)\n" +
		"Caused by: java.io.IOException: disk full\n" +
		"\t... 2 more\n"
	w.written++
	if _, err := w.f.WriteString(trace); err != nil {
		t.Fatal(err)
	}
}

// victoriaLogs is a VictoriaLogs process on loopback.
type victoriaLogs struct {
	*localProcess
	base                 string
	ca                   []byte
	user, password, data string
}

func startVictoriaLogs(t *testing.T, extra ...string) *victoriaLogs {
	t.Helper()
	bin := filepath.Join(root, "bin", "victoria-logs")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is missing: run 'make tools' (it builds VictoriaLogs from hack/tools/victorialogs): %v", bin, err)
	}
	addr := freeAddr(t)
	vl := &victoriaLogs{data: t.TempDir()}
	args := append([]string{"-httpListenAddr=" + addr, "-storageDataPath=" + vl.data, "-retentionPeriod=100y",
		"-loggerLevel=WARN"}, extra...)
	scheme := "http"
	if slices.Contains(extra, "-tls") {
		scheme = "https"
	}
	vl.base = scheme + "://" + addr
	vl.localProcess = newLocalProcess(t, "VictoriaLogs", bin, filepath.Join(t.TempDir(), "victoria-logs.log"), args, nil, 10*time.Second, 2048)
	vl.restart(t)
	return vl
}

// restart starts VictoriaLogs (again) and waits until it listens.
func (vl *victoriaLogs) restart(t *testing.T) {
	t.Helper()
	vl.start(t)
	eventually(t, time.Minute, "VictoriaLogs to listen", func() error {
		u, _ := url.Parse(vl.base)
		c, err := net.DialTimeout("tcp", u.Host, time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	})
}

func (vl *victoriaLogs) hostPort(t *testing.T) (string, int32) {
	t.Helper()
	u, _ := url.Parse(vl.base)
	h, p, err := net.SplitHostPort(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return h, int32(n)
}

func (vl *victoriaLogs) client() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if vl.ca != nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(vl.ca)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// query runs a LogsQL query and returns the records (JSON lines).
func (vl *victoriaLogs) query(q string) ([]map[string]string, error) {
	req, err := http.NewRequest(http.MethodGet, vl.base+"/select/logsql/query?"+url.Values{"query": {q}}.Encode(), nil)
	if err != nil {
		return nil, err
	}
	if vl.user != "" {
		req.SetBasicAuth(vl.user, vl.password)
	}
	resp, err := vl.client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("query: %s", resp.Status)
	}
	var out []map[string]string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		rec := map[string]string{}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("query result: %w", err)
		}
		out = append(out, rec)
	}
	return out, sc.Err()
}

type delivered struct {
	records []map[string]string
	seqs    map[int]int // seq → records
	total   int
}

var seqRE = regexp.MustCompile(`seq=(\d{6})`)

// waitSeqs waits until every seq below n is in the store, once or more.
func (vl *victoriaLogs) waitSeqs(t *testing.T, n int) delivered {
	t.Helper()
	var d delivered
	eventually(t, 3*time.Minute, fmt.Sprintf("lines 0..%d in VictoriaLogs", n-1), func() error {
		recs, err := vl.query("*")
		if err != nil {
			return err
		}
		d = delivered{records: recs, seqs: map[int]int{}, total: len(recs)}
		for _, r := range recs {
			if m := seqRE.FindStringSubmatch(r["_msg"]); m != nil {
				s, _ := strconv.Atoi(m[1])
				d.seqs[s]++
			}
		}
		for s := range n {
			if d.seqs[s] == 0 {
				return fmt.Errorf("line %d missing (%d records so far)", s, len(recs))
			}
		}
		return nil
	})
	return d
}

func (d delivered) checkAttributes(t *testing.T, ns, name string) {
	t.Helper()
	want := map[string]string{
		"k8s.namespace.name": ns, "k8s.pod.name": name + "-7d9f8-abcde", "k8s.node.name": "kwok-node-0",
		"k8s.pod.ip": "127.0.10.7", "service.name": name,
	}
	for _, r := range d.records {
		for k, v := range want {
			if r[k] != v {
				t.Fatalf("record %v: %s = %q, want %q", r, k, r[k], v)
			}
		}
		if !strings.HasSuffix(r["log.file.path"], "/server.log") {
			t.Fatalf("record %v: no log.file.path", r)
		}
	}
}

func (d delivered) checkStackTrace(t *testing.T) {
	t.Helper()
	for _, r := range d.records {
		if strings.Contains(r["_msg"], "request failed") {
			for _, part := range []string{"IllegalStateException: boom", "\tat com.example.shop.Cart.checkout", "Caused by: java.io.IOException", "... 2 more"} {
				if !strings.Contains(r["_msg"], part) {
					t.Errorf("the stack trace record lacks %q: %q", part, r["_msg"])
				}
			}
			return
		}
		if strings.HasPrefix(r["_msg"], "\tat ") || strings.HasPrefix(r["_msg"], "java.lang.") {
			t.Errorf("a stack trace line is a record of its own: %q", r["_msg"])
		}
	}
	t.Error("no record of the stack trace")
}

// testCA returns a CA (PEM) and a certificate and key for 127.0.0.1 signed by it.
func testCA(t *testing.T) (caPEM []byte, certFile, keyFile string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "e2e log store CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), certFile, keyFile
}
