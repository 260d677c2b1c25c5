package custommetrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"

	"github.com/spf13/pflag"
	"sigs.k8s.io/controller-runtime/pkg/log"
	basecmd "sigs.k8s.io/custom-metrics-apiserver/pkg/cmd"
)

// ServerOptions configure the custom metrics API server.
type ServerOptions struct {
	// Addr is host:port to listen on with HTTPS, e.g. :6443.
	Addr string
	// CertDir holds tls.crt and tls.key; empty means a self-signed
	// certificate made at start (the APIService then skips verification or
	// carries no caBundle).
	CertDir string
	// Kubeconfig is used for the delegated authentication and
	// authorization (TokenReview, SubjectAccessReview, the
	// extension-apiserver-authentication ConfigMap); empty means the
	// in-cluster config.
	Kubeconfig string
}

// Server is the custom.metrics.k8s.io API server: a manager Runnable that
// runs on the leader only, because only the leader scrapes.
type Server struct {
	provider *Provider
	opts     ServerOptions
}

// NewServer returns a Server answering from p.
func NewServer(p *Provider, opts ServerOptions) (*Server, error) {
	if p == nil || p.Store == nil || p.Pods == nil || p.Interval == nil {
		return nil, errors.New("custom metrics server needs a provider with a store, a pod reader and an interval")
	}
	if _, _, err := splitAddr(opts.Addr); err != nil {
		return nil, err
	}
	return &Server{provider: p, opts: opts}, nil
}

// NeedLeaderElection reports true: a standby has no scrapes to serve.
func (s *Server) NeedLeaderElection() bool { return true }

// Start serves until ctx is done.
func (s *Server) Start(ctx context.Context) error {
	host, port, err := splitAddr(s.opts.Addr)
	if err != nil {
		return err
	}
	// The library's adapter base assembles the generic API server with
	// delegated authentication and authorization; its flags are set here
	// rather than parsed from the command line.
	adapter := &basecmd.AdapterBase{Name: "appserver-operator-custom-metrics", FlagSet: pflag.NewFlagSet("custom-metrics", pflag.ContinueOnError)}
	adapter.InstallFlags()
	o := adapter.CustomMetricsAdapterServerOptions
	o.SecureServing.BindAddress = net.ParseIP(host)
	if host == "" {
		o.SecureServing.BindAddress = net.IPv4zero
	}
	o.SecureServing.BindPort = port
	o.SecureServing.ServerCert.CertDirectory = "" // self-signed in memory, never written to disk
	if s.opts.CertDir != "" {
		o.SecureServing.ServerCert.CertKey.CertFile = filepath.Join(s.opts.CertDir, "tls.crt")
		o.SecureServing.ServerCert.CertKey.KeyFile = filepath.Join(s.opts.CertDir, "tls.key")
	}
	o.EnableMetrics = false // the operator's own metrics are on its metrics endpoint
	adapter.RemoteKubeConfigFile = s.opts.Kubeconfig
	o.Authentication.RemoteKubeConfigFile = s.opts.Kubeconfig
	o.Authorization.RemoteKubeConfigFile = s.opts.Kubeconfig
	adapter.WithCustomMetrics(s.provider)
	logger := log.FromContext(ctx).WithName("custommetrics")
	logger.Info("Serving custom.metrics.k8s.io", "addr", s.opts.Addr)
	// The custom metrics API is an add-on to the operator's work: when it
	// cannot run (no permission to read the API server's client CA, the
	// port taken), the error is logged and the operator goes on without it
	// rather than stopping its reconciles; the APIService then shows
	// Available=False.
	if err := adapter.Run(ctx); err != nil {
		logger.Error(err, "Cannot serve custom.metrics.k8s.io; HPAs on pod metrics get no values", "addr", s.opts.Addr)
	}
	return nil
}

func splitAddr(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("custom metrics address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("custom metrics address %q: port must be 1-65535", addr)
	}
	if host != "" && net.ParseIP(host) == nil {
		return "", 0, fmt.Errorf("custom metrics address %q: host must be an IP address or empty", addr)
	}
	return host, port, nil
}
