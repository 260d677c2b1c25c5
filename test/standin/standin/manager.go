package standin

import (
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// ManagerOptions configure a Manager.
type ManagerOptions struct {
	// Port is the default port of every endpoint (AnnotationPort overrides
	// it); 0 picks a free port per endpoint, for tests.
	Port int
	// PlainHTTP serves HTTP instead of HTTPS.
	PlainHTTP bool
	// SlowFor is passed to every Endpoint (see Options.SlowFor).
	SlowFor time.Duration
	// LoadFile is passed to every Endpoint (see Options.LoadFile).
	LoadFile string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Manager runs one Endpoint per Running pod with a loopback IP, following
// the pods it is told about. It is safe for concurrent use.
type Manager struct {
	opts ManagerOptions

	mu        sync.Mutex
	endpoints map[string]*Endpoint // by namespace/name
	refused   map[string]string    // namespace/name -> address refused, to log once
}

// NewManager returns a Manager without endpoints.
func NewManager(opts ManagerOptions) *Manager {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Manager{opts: opts, endpoints: map[string]*Endpoint{}, refused: map[string]string{}}
}

// Sync brings the pod's endpoint in line with the pod: started when the pod
// is Running with an IP in 127.0.0.0/8, moved when its IP or port changes,
// its mode updated from AnnotationMode, and closed when it leaves Running.
func (m *Manager) Sync(pod *corev1.Pod) {
	key := pod.Namespace + "/" + pod.Name
	if pod.Status.Phase != corev1.PodRunning || pod.Status.PodIP == "" {
		m.Remove(pod.Namespace, pod.Name)
		return
	}
	log := m.opts.Logger.With("pod", key)
	mode, err := ParseMode(pod.Annotations[AnnotationMode])
	if err != nil {
		log.Warn("Ignoring the mode annotation", "error", err)
	}
	port := m.opts.Port
	if v, ok := pod.Annotations[AnnotationPort]; ok {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			log.Warn("Ignoring the port annotation: want 1-65535", "value", v)
		} else {
			port = p
		}
	}
	addr := net.JoinHostPort(pod.Status.PodIP, strconv.Itoa(port))

	m.mu.Lock()
	defer m.mu.Unlock()
	if err := CheckLoopback(pod.Status.PodIP); err != nil {
		if m.refused[key] != addr {
			log.Warn("Not serving this pod", "error", err)
			m.refused[key] = addr
		}
		m.closeLocked(key)
		return
	}
	delete(m.refused, key)
	if ep, ok := m.endpoints[key]; ok {
		if ep.wantAddr == addr {
			if ep.Mode() != mode {
				log.Info("Changing mode", "mode", modeName(mode))
				ep.SetMode(mode)
			}
			return
		}
		m.closeLocked(key)
	}
	ep, err := Listen(addr, Options{Pod: pod.Name, Mode: mode, PlainHTTP: m.opts.PlainHTTP, SlowFor: m.opts.SlowFor, LoadFile: m.opts.LoadFile, Logger: m.opts.Logger})
	if err != nil {
		log.Error("Cannot serve this pod", "error", err)
		return
	}
	ep.wantAddr = addr
	m.endpoints[key] = ep
	log.Info("Serving", "url", ep.URL(), "mode", modeName(mode))
}

// Remove closes the pod's endpoint, if any.
func (m *Manager) Remove(namespace, name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := namespace + "/" + name
	delete(m.refused, key)
	m.closeLocked(key)
}

func (m *Manager) closeLocked(key string) {
	ep, ok := m.endpoints[key]
	if !ok {
		return
	}
	delete(m.endpoints, key)
	if err := ep.Close(); err != nil {
		m.opts.Logger.Warn("Closing an endpoint failed", "pod", key, "error", err)
		return
	}
	m.opts.Logger.Info("Stopped serving", "pod", key)
}

// Endpoint returns the pod's running endpoint, or nil.
func (m *Manager) Endpoint(namespace, name string) *Endpoint {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.endpoints[namespace+"/"+name]
}

// Len is the number of running endpoints.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.endpoints)
}

// Close closes every endpoint.
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for key := range m.endpoints {
		m.closeLocked(key)
	}
}

func modeName(m Mode) string {
	if m == ModeNormal {
		return "normal"
	}
	return string(m)
}
