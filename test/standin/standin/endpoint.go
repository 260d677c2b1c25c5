// Package standin is a TEST DOUBLE, not part of the operator: a stand-in for
// an application server's metrics and health endpoints, used by tests and the
// demo on the local kwok cluster, where pods have no containers.
//
// An Endpoint serves, on one 127.0.0.0/8 address, GET /metrics with
// MicroProfile-style Prometheus text whose values change over time, and GET
// /health/live|ready|started. It can misbehave on purpose (see Mode) so that
// the operator's metering can be tested against slow, huge, broken and
// failing servers. A Manager runs one Endpoint per pod.
package standin

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Pod annotations read by the Manager.
const (
	// AnnotationMode selects a Mode for the pod's endpoint.
	AnnotationMode = "standin.appserver.dev/mode"
	// AnnotationPort overrides the port the pod's endpoint listens on.
	AnnotationPort = "standin.appserver.dev/port"
)

// Limits of the misbehaving modes.
const (
	// MaxSlow bounds how long ModeSlow waits before answering.
	MaxSlow = 2 * time.Minute
	// HugeBytes is how much ModeHuge streams.
	HugeBytes = 64 << 20
)

// Mode is how an endpoint answers GET /metrics.
type Mode string

// Modes.
const (
	// ModeNormal answers with valid metrics.
	ModeNormal Mode = ""
	// ModeSlow waits (Options.SlowFor, at most MaxSlow, or until the client
	// goes away) before answering normally.
	ModeSlow Mode = "slow"
	// ModeHuge streams HugeBytes of valid-looking exposition text.
	ModeHuge Mode = "huge"
	// ModeGarbage answers 200 with bytes that are not Prometheus text.
	ModeGarbage Mode = "garbage"
	// Mode500 answers 500 Internal Server Error.
	Mode500 Mode = "500"
	// ModeTLSError breaks every connection: over HTTPS it answers the TLS
	// handshake with plain HTTP bytes; with plain HTTP it sends a TLS alert
	// record instead of an HTTP response. Health endpoints break too.
	ModeTLSError Mode = "tls-error"
)

// ParseMode parses an AnnotationMode value; "" and "normal" are ModeNormal.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeNormal, ModeSlow, ModeHuge, ModeGarbage, Mode500, ModeTLSError:
		return m, nil
	case "normal":
		return ModeNormal, nil
	}
	return ModeNormal, fmt.Errorf("unknown stand-in mode %q (want normal, slow, huge, garbage, 500 or tls-error)", s)
}

// Options configure an Endpoint.
type Options struct {
	// Pod is the pod name, put in the server="<pod>" label of every sample.
	Pod string
	// Mode is the initial mode.
	Mode Mode
	// PlainHTTP serves HTTP instead of HTTPS.
	PlainHTTP bool
	// SlowFor is how long ModeSlow waits; 0 or more than MaxSlow means
	// MaxSlow.
	SlowFor time.Duration
	// LoadFile, when set, holds a number read at every scrape and served
	// as the gauge LoadMetric, so that a test changes what every pod
	// reports at run time; no file (or no number in it), no gauge.
	LoadFile string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// LoadMetric is the gauge served from Options.LoadFile.
const LoadMetric = "application_inflight_requests"

// Endpoint is one running stand-in server.
type Endpoint struct {
	pod     string
	plain   bool
	slowFor time.Duration
	load    string
	logger  *slog.Logger
	start   time.Time
	scrapes atomic.Uint64
	mode    atomic.Value // Mode

	wantAddr  string // the address asked for (a Manager compares it)
	ln        net.Listener
	srv       *http.Server
	served    chan struct{}
	closeOnce sync.Once
}

// CheckLoopback returns an error unless ip is an IPv4 address in
// 127.0.0.0/8: the stand-in never listens anywhere else.
func CheckLoopback(ip string) error {
	parsed := net.ParseIP(ip)
	if parsed == nil || parsed.To4() == nil || !parsed.IsLoopback() {
		return fmt.Errorf("refusing to listen on %q: the stand-in only binds 127.0.0.0/8 addresses", ip)
	}
	return nil
}

// Listen starts an Endpoint on addr ("127.0.0.x:port"; port 0 picks a free
// one). It refuses any address outside 127.0.0.0/8.
func Listen(addr string, opts Options) (*Endpoint, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("parsing stand-in address: %w", err)
	}
	if err := CheckLoopback(host); err != nil {
		return nil, err
	}
	e := &Endpoint{
		pod:     opts.Pod,
		plain:   opts.PlainHTTP,
		slowFor: opts.SlowFor,
		load:    opts.LoadFile,
		logger:  opts.Logger,
		start:   time.Now(),
		served:  make(chan struct{}),
	}
	if e.slowFor <= 0 || e.slowFor > MaxSlow {
		e.slowFor = MaxSlow
	}
	if e.logger == nil {
		e.logger = slog.Default()
	}
	e.mode.Store(opts.Mode)

	var tlsConfig *tls.Config
	if !e.plain {
		cert, err := selfSigned(host)
		if err != nil {
			return nil, err
		}
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	e.ln = ln
	var served net.Listener = &modeListener{Listener: ln, e: e}
	if tlsConfig != nil {
		served = tls.NewListener(served, tlsConfig)
	}
	e.srv = &http.Server{
		Handler:           e.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       30 * time.Second,
		ErrorLog:          slog.NewLogLogger(e.logger.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(e.served)
		if err := e.srv.Serve(served); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.logger.Error("Stand-in endpoint stopped", "pod", e.pod, "address", addr, "error", err)
		}
	}()
	return e, nil
}

// Addr is the address the endpoint listens on.
func (e *Endpoint) Addr() net.Addr { return e.ln.Addr() }

// URL is the endpoint's metrics URL.
func (e *Endpoint) URL() string {
	scheme := "https"
	if e.plain {
		scheme = "http"
	}
	return scheme + "://" + e.ln.Addr().String() + "/metrics"
}

// Mode returns the current mode.
func (e *Endpoint) Mode() Mode { return e.mode.Load().(Mode) }

// SetMode changes the mode for the next requests and connections.
func (e *Endpoint) SetMode(m Mode) { e.mode.Store(m) }

// Close stops listening and closes every connection, including requests in
// flight (a slow or huge answer ends at once).
func (e *Endpoint) Close() error {
	var err error
	e.closeOnce.Do(func() {
		err = e.srv.Close()
		<-e.served
	})
	if err != nil {
		return fmt.Errorf("closing stand-in endpoint: %w", err)
	}
	return nil
}

// modeListener breaks connections while the endpoint is in ModeTLSError.
type modeListener struct {
	net.Listener
	e *Endpoint
}

func (l *modeListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.e.Mode() != ModeTLSError {
			return conn, nil
		}
		go l.e.breakConn(conn)
	}
}

// breakConn answers with bytes of the wrong protocol and hangs up.
func (e *Endpoint) breakConn(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	reply := []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	if e.plain {
		reply = []byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28} // TLS alert: handshake failure
	}
	_, _ = conn.Write(reply)
}

func (e *Endpoint) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", e.serveMetrics)
	health := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"UP","checks":[]}`+"\n")
	}
	for _, p := range []string{"/health", "/health/live", "/health/ready", "/health/started"} {
		mux.HandleFunc("GET "+p, health)
	}
	return mux
}

func (e *Endpoint) serveMetrics(w http.ResponseWriter, r *http.Request) {
	n := e.scrapes.Add(1)
	switch e.Mode() {
	case ModeSlow:
		timer := time.NewTimer(e.slowFor)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return
		}
	case ModeHuge:
		e.serveHuge(w)
		return
	case ModeGarbage:
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write(garbage)
		return
	case Mode500:
		http.Error(w, "stand-in: simulated internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	if err := WriteMetrics(w, e.pod, time.Since(e.start), n); err != nil {
		e.logger.Debug("Writing stand-in metrics failed", "pod", e.pod, "error", err)
	}
	if v, ok := readLoad(e.load); ok {
		if err := WriteLoad(w, e.pod, v); err != nil {
			e.logger.Debug("Writing the stand-in load failed", "pod", e.pod, "error", err)
		}
	}
}

// garbage is what ModeGarbage answers: binary bytes, then HTML.
var garbage = []byte("\x00\x01\x02\x03\xff\xfe garbage {{{ \"\n<html><body><h1>Not metrics</h1></body></html>\n")

// serveHuge streams HugeBytes of exposition lines, stopping as soon as the
// client goes away.
func (e *Endpoint) serveHuge(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	bw := bufio.NewWriterSize(w, 64<<10)
	written, _ := bw.WriteString("# HELP standin_filler A filler series of the stand-in's huge mode.\n# TYPE standin_filler gauge\n")
	line := make([]byte, 0, 128)
	for i := 0; written < HugeBytes; i++ {
		line = append(line[:0], `standin_filler{i="`...)
		line = strconv.AppendInt(line, int64(i), 10)
		line = append(line, `",server="`...)
		line = append(line, e.pod...)
		line = append(line, `"} `...)
		line = strconv.AppendInt(line, int64(i%1000), 10)
		line = append(line, '\n')
		n, err := bw.Write(line)
		written += n
		if err != nil {
			return
		}
	}
	_ = bw.Flush()
}

// selfSigned makes an ECDSA certificate for the endpoint's IP.
func selfSigned(ip string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generating stand-in key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generating stand-in serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "appserver stand-in " + ip},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP(ip)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("creating stand-in certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
