package metering

import (
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// Defaults of ServerOptions (WebOTX's port and METERING_TIMEOUT_READ/WRITE).
const (
	DefaultAddr         = ":8989"
	DefaultReadTimeout  = 60 * time.Second
	DefaultWriteTimeout = 30 * time.Second
)

// shutdownTimeout bounds the wait for in-flight requests at shutdown.
const shutdownTimeout = 10 * time.Second

// ServerOptions configure a Server. Zero values mean the defaults.
type ServerOptions struct {
	// Addr is the listen address, default ":8989"; "127.0.0.1:0" picks a
	// free port (see Server.Addr).
	Addr string
	// CertDir holds tls.crt and tls.key (a mounted kubernetes.io/tls
	// Secret), reloaded when they change. Empty: a self-signed ECDSA
	// certificate is generated at start.
	CertDir string
	// ReadTimeout and WriteTimeout of the HTTP server
	// (METERING_TIMEOUT_READ/WRITE); they apply from the next Start.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// Authorize, when set, is called for every request to a /metrics path
	// before anything is looked up. A non-nil error rejects the request with
	// the returned status (403 when it is not a 4xx/5xx code) and the
	// error's text. Nil leaves the API open, as WebOTX's is.
	Authorize func(r *http.Request) (int, error)
}

// Server is the metering API: HTTPS GET /metrics, /metrics/<name> and
// /metrics/<namespace>/<name>, answering Prometheus text or, for
// "Accept: application/json", WebOTX's JSON. It is a controller-runtime
// manager Runnable.
type Server struct {
	store *Store
	opts  ServerOptions
	// certCheckEvery is the minimum time between two looks at the
	// certificate files (tests set 0).
	certCheckEvery time.Duration

	ready     chan struct{}
	readyOnce sync.Once
	mu        sync.Mutex
	addr      net.Addr
}

// NewServer returns a Server for store.
func NewServer(store *Store, opts ServerOptions) *Server {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	opts.ReadTimeout = orDefault(opts.ReadTimeout, DefaultReadTimeout)
	opts.WriteTimeout = orDefault(opts.WriteTimeout, DefaultWriteTimeout)
	return &Server{store: store, opts: opts, certCheckEvery: time.Second, ready: make(chan struct{})}
}

// NeedLeaderElection returns true: only the leader serves the API. The
// Scraper runs on the leader only, so another replica's Store is empty;
// rather than answer with empty data, a non-leader does not listen at all
// (clients and Prometheus see it as down, which is what it is for metering).
func (s *Server) NeedLeaderElection() bool { return true }

// Ready is closed once the server listens.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the address the server listens on, nil before it does.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Start serves HTTPS until ctx is done, then shuts down gracefully.
func (s *Server) Start(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName("metering-api")
	certs, err := newCertSource(s.opts.CertDir, logger)
	if err != nil {
		return err
	}
	certs.checkEvery = s.certCheckEvery
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listening for the metering API: %w", err)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.opts.ReadTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.ReadTimeout,
		MaxHeaderBytes:    64 << 10,
		TLSConfig: &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: certs.getCertificate,
		},
		// TLS handshake errors from scanners and probes are noise: debug level.
		ErrorLog: stdlog.New(logWriter{logger.V(1)}, "", 0),
	}
	errCh := make(chan error, 1)
	go func() { errCh <- srv.ServeTLS(ln, "", "") }()
	s.mu.Lock()
	s.addr = ln.Addr()
	s.mu.Unlock()
	s.readyOnce.Do(func() { close(s.ready) })
	logger.Info("Serving the metering API", "address", ln.Addr().String(), "selfSigned", s.opts.CertDir == "")

	select {
	case err := <-errCh:
		return fmt.Errorf("serving the metering API: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down the metering API: %w", err)
	}
	if err := <-errCh; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving the metering API: %w", err)
	}
	return nil
}

// logWriter sends the http.Server's own log lines to a logr.Logger.
type logWriter struct{ logger logr.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.logger.Info(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// ServeHTTP implements the API; see the package documentation and
// docs/metering.md.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var parts []string
	switch path := r.URL.Path; {
	case path == "/metrics" || path == "/metrics/":
	case strings.HasPrefix(path, "/metrics/"):
		parts = strings.Split(strings.TrimSuffix(strings.TrimPrefix(path, "/metrics/"), "/"), "/")
		if len(parts) > 2 || slices.Contains(parts, "") {
			writeError(w, http.StatusNotFound, "not found: use /metrics, /metrics/<name> or /metrics/<namespace>/<name>", nil)
			return
		}
	default:
		writeError(w, http.StatusNotFound, "not found: use /metrics, /metrics/<name> or /metrics/<namespace>/<name>", nil)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use GET", nil)
		return
	}
	if s.opts.Authorize != nil {
		if code, err := s.opts.Authorize(r); err != nil {
			if code < 400 || code > 599 {
				code = http.StatusForbidden
			}
			writeError(w, code, err.Error(), nil)
			return
		}
	}

	var refs []ServerRef
	switch len(parts) {
	case 0:
		refs = s.store.Servers()
	case 1:
		refs = s.store.Lookup(parts[0])
		switch len(refs) {
		case 0:
			writeError(w, http.StatusNotFound, fmt.Sprintf("applicationserver %q not found", parts[0]), nil)
			return
		case 1:
		default:
			candidates := make([]string, len(refs))
			for i, ref := range refs {
				candidates[i] = ref.String()
			}
			writeError(w, http.StatusConflict,
				fmt.Sprintf("applicationserver %q exists in several namespaces: use /metrics/<namespace>/%s", parts[0], parts[0]),
				candidates)
			return
		}
	case 2:
		ref := ServerRef{Namespace: parts[0], Name: parts[1]}
		found := false
		for _, known := range s.store.Lookup(ref.Name) {
			found = found || known == ref
		}
		if !found {
			writeError(w, http.StatusNotFound, fmt.Sprintf("applicationserver %q not found", ref.String()), nil)
			return
		}
		refs = []ServerRef{ref}
	}

	snapshot := s.store.Snapshot(refs)
	asJSON := wantsJSON(r.Header.Get("Accept"))
	if asJSON {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", ContentTypeText)
	}
	w.Header().Set("Vary", "Accept, Accept-Encoding")
	var out io.Writer = w
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		defer gz.Close()
		out = gz
	}
	write := WriteText
	if asJSON {
		write = WriteJSON
	}
	if err := write(out, snapshot); err != nil {
		log.FromContext(r.Context()).V(1).Info("Writing a metering API response failed", "error", err.Error())
	}
}

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error      string   `json:"error"`
	Candidates []string `json:"candidates,omitempty"`
}

func writeError(w http.ResponseWriter, code int, msg string, candidates []string) {
	body, _ := json.Marshal(errorBody{Error: msg, Candidates: candidates}) // cannot fail for strings
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(append(body, '\n'))
}

// wantsJSON reports whether the client's most preferred media type (highest
// q, the first of equals) is application/json. Anything else, including no
// Accept header or */*, gets Prometheus text.
func wantsJSON(accept string) bool {
	bestQ, bestJSON := 0.0, false
	for _, part := range strings.Split(accept, ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if q > bestQ {
			bestQ, bestJSON = q, mediaType == "application/json"
		}
	}
	return bestJSON
}

// acceptsGzip reports whether Accept-Encoding lists gzip with a non-zero q.
func acceptsGzip(acceptEncoding string) bool {
	for _, part := range strings.Split(acceptEncoding, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		params = strings.ReplaceAll(params, " ", "")
		return params != "q=0" && params != "q=0.0" && params != "q=0.00" && params != "q=0.000"
	}
	return false
}
