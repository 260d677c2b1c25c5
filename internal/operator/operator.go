// Package operator assembles the operator process: settings, logging,
// manager, caches, reconciler and runnables. cmd/appserver-operator only
// parses flags and calls Run.
package operator

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/controller"
	"github.com/appserver-operator/appserver-operator/internal/custommetrics"
	"github.com/appserver-operator/appserver-operator/internal/logging"
	"github.com/appserver-operator/appserver-operator/internal/metering"
	"github.com/appserver-operator/appserver-operator/internal/profiling"
	"github.com/appserver-operator/appserver-operator/internal/resources"
	"github.com/appserver-operator/appserver-operator/internal/settings"
	"github.com/appserver-operator/appserver-operator/internal/statemetrics"
	"github.com/appserver-operator/appserver-operator/internal/version"
)

// Options are the operator's command-line options. Settings that WebOTX
// users know come from the environment (internal/settings), not from here.
type Options struct {
	MetricsAddr  string
	ProbeAddr    string
	MeteringAddr string
	// CustomMetricsAddr is where custom.metrics.k8s.io is served (HTTPS,
	// on the leader, with metering on); "0" or empty disables it.
	CustomMetricsAddr string
	// MeteringCAFile, when set, turns certificate verification of scraped
	// HTTPS endpoints on with this CA bundle.
	MeteringCAFile          string
	LeaderElect             bool
	LeaderElectionID        string
	LeaderElectionNamespace string
	MaxConcurrentReconciles int
	// SettingsNamespace and SettingsConfigMap name the ConfigMap whose edits
	// apply without a manual restart. No namespace: not watched.
	SettingsNamespace string
	SettingsConfigMap string
	// RestartOnSettingsChange makes the operator exit cleanly (and its pod
	// restart) when a setting that cannot apply live changes.
	RestartOnSettingsChange bool
	// GracefulShutdown bounds the stop on SIGTERM.
	GracefulShutdown time.Duration
	// RESTConfig, when set, is used instead of the kubeconfig/in-cluster config.
	RESTConfig *rest.Config
	// Getenv reads the settings; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
}

// DefaultOptions are WebOTX's ports: 8383 metrics, 8686 health. The
// operator's own namespace comes from POD_NAMESPACE (the downward API).
func DefaultOptions() Options {
	ns := os.Getenv("POD_NAMESPACE")
	return Options{
		MetricsAddr:             ":8383",
		ProbeAddr:               ":8686",
		MeteringAddr:            ":8989",
		CustomMetricsAddr:       ":6443",
		LeaderElectionID:        "appserver-operator.appserver.dev",
		LeaderElectionNamespace: ns,
		MaxConcurrentReconciles: 4,
		SettingsNamespace:       ns,
		SettingsConfigMap:       settings.ConfigMapName,
		RestartOnSettingsChange: true,
		GracefulShutdown:        20 * time.Second,
	}
}

// BindFlags registers the options as flags.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, "Address of the Prometheus metrics endpoint (0 disables it).")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", o.ProbeAddr, "Address of /healthz and /readyz.")
	fs.StringVar(&o.MeteringAddr, "metering-bind-address", o.MeteringAddr, "Address of the metering API (HTTPS).")
	fs.StringVar(&o.CustomMetricsAddr, "custom-metrics-bind-address", o.CustomMetricsAddr, "Address of the custom.metrics.k8s.io API (HTTPS) served from the metering data for HorizontalPodAutoscalers (0 disables it).")
	fs.StringVar(&o.MeteringCAFile, "metering-ca-file", o.MeteringCAFile, "CA bundle to verify scraped HTTPS endpoints with (default: no verification, as pods have self-signed certificates).")
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect, "Elect a leader with a Lease so that only one replica reconciles.")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", o.LeaderElectionID, "Name of the leader-election Lease (one per installation in a namespace).")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", o.LeaderElectionNamespace, "Namespace of the leader-election Lease (default: $POD_NAMESPACE).")
	fs.IntVar(&o.MaxConcurrentReconciles, "max-concurrent-reconciles", o.MaxConcurrentReconciles, "ApplicationServers reconciled in parallel.")
	fs.StringVar(&o.SettingsNamespace, "settings-namespace", o.SettingsNamespace, "Namespace of the settings ConfigMap to watch (default: $POD_NAMESPACE; empty: do not watch).")
	fs.StringVar(&o.SettingsConfigMap, "settings-configmap", o.SettingsConfigMap, "Name of the settings ConfigMap to watch.")
	fs.BoolVar(&o.RestartOnSettingsChange, "restart-on-settings-change", o.RestartOnSettingsChange, "Exit cleanly, so that the pod restarts, when a setting that cannot apply live changes in the ConfigMap.")
	fs.DurationVar(&o.GracefulShutdown, "graceful-shutdown-timeout", o.GracefulShutdown, "How long to wait for work in flight on SIGTERM.")
}

// SettingsError is returned when the environment holds bad settings; each
// line of its message names one variable.
type SettingsError struct{ Err error }

func (e *SettingsError) Error() string { return e.Err.Error() }
func (e *SettingsError) Unwrap() error { return e.Err }

// Scheme holds every type the operator reads or writes.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(v1alpha1.AddToScheme(s))
	return s
}

// CacheOptions restricts what the operator caches: child kinds to objects it
// manages (its memory follows its own objects, not the cluster's) and every
// kind to the watched namespaces. The settings ConfigMap has a cache of its
// own (settingsCache): it lives in the operator's namespace, maybe outside
// the watched ones, and is not the operator's child.
func CacheOptions(watch []string) cache.Options {
	managed := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{v1alpha1.LabelManagedBy: v1alpha1.ManagedByValue})}
	o := cache.Options{ByObject: map[client.Object]cache.ByObject{
		&appsv1.Deployment{}:                     managed,
		&corev1.Service{}:                        managed,
		&autoscalingv2.HorizontalPodAutoscaler{}: managed,
		&networkingv1.Ingress{}:                  managed,
		&policyv1.PodDisruptionBudget{}:          managed,
		&networkingv1.NetworkPolicy{}:            managed,
		&corev1.ServiceAccount{}:                 managed,
		&rbacv1.Role{}:                           managed,
		&rbacv1.RoleBinding{}:                    managed,
		&corev1.ConfigMap{}:                      managed, // the log shipper's configuration
		&corev1.Pod{}:                            managed, // metering targets
	},
		// No managedFields in the caches: the operator does not read them
		// (but for one fact of a Deployment's, kept).
		DefaultTransform: controller.TrimForCache,
	}
	if len(watch) > 0 {
		o.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range watch {
			o.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	return o
}

// settingsCache caches the one settings ConfigMap.
func settingsCache(mgr ctrl.Manager, namespace, name string) (cache.Cache, error) {
	c, err := cache.New(mgr.GetConfig(), cache.Options{
		Scheme: mgr.GetScheme(),
		Mapper: mgr.GetRESTMapper(),
		ByObject: map[client.Object]cache.ByObject{&corev1.ConfigMap{}: {
			Namespaces: map[string]cache.Config{namespace: {}},
			Field:      fields.OneTermEqualSelector("metadata.name", name),
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the settings ConfigMap cache: %w", err)
	}
	if err := mgr.Add(c); err != nil {
		return nil, fmt.Errorf("adding the settings ConfigMap cache: %w", err)
	}
	return c, nil
}

// Run runs the operator until ctx is done, or until a setting that needs a
// restart changes. It returns a *SettingsError for bad settings.
func Run(ctx context.Context, o Options) error {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.LookupEnv
	}
	s, err := settings.Load(getenv)
	if err != nil {
		return &SettingsError{Err: err}
	}
	cfg := o.RESTConfig
	if cfg == nil {
		if cfg, err = ctrl.GetConfig(); err != nil {
			return fmt.Errorf("loading kubeconfig: %w", err)
		}
	}
	// Start with the settings the live watch will compute from the
	// ConfigMap, so that a variable set on the container (WATCH_NAMESPACE
	// from the downward API, say) and the ConfigMap cannot disagree into a
	// restart at every start.
	s, cmNote := startupSettings(ctx, cfg, s, getenv, o.SettingsNamespace, o.SettingsConfigMap)
	log, logs, err := logging.New(logging.Options{
		Level: string(s.LogLevel), Dir: s.LogDir, MaxSizeMB: s.LogFileSizeMB, MaxBackups: s.LogRotation,
	})
	if err != nil {
		return &SettingsError{Err: fmt.Errorf("%s=%q: %w", settings.EnvLogDir, s.LogDir, err)}
	}
	defer func() { _ = logs.Close() }() // flush on every way out
	ctrl.SetLogger(log)
	_ = logs.WriteText("appserver-operator " + version.Version + " settings:\n" + s.Block())
	log.Info("Starting appserver-operator", "version", version.Version, "watchNamespaces", s.WatchNamespaces,
		"leaderElection", o.LeaderElect, "settingsConfigMap", o.SettingsNamespace+"/"+o.SettingsConfigMap)
	cmNote.log(log.WithName("settings"))

	ctx, restart := context.WithCancelCause(ctx)
	defer restart(nil)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        Scheme(),
		Logger:                        log,
		Cache:                         CacheOptions(s.WatchNamespaces),
		Metrics:                       metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:        o.ProbeAddr,
		LeaderElection:                o.LeaderElect,
		LeaderElectionID:              o.LeaderElectionID,
		LeaderElectionNamespace:       o.LeaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       &o.GracefulShutdown,
	})
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	rec := &controller.ApplicationServerReconciler{
		Client:                  mgr.GetClient(),
		APIReader:               mgr.GetAPIReader(),
		Scheme:                  mgr.GetScheme(),
		Recorder:                mgr.GetEventRecorder("appserver-operator"),
		MaxConcurrentReconciles: o.MaxConcurrentReconciles,
		Options: resources.Options{OperatorImage: s.OperatorImage, LogShipperImage: s.LogShipperImage,
			OperatorNamespace: os.Getenv("POD_NAMESPACE")},
		WatchNamespaces: s.WatchNamespaces,
	}
	// The per-server state metrics come from the elected leader only: a
	// standby has no ApplicationServer informer (the controller and the
	// scraper that open it run on the leader) and would otherwise open one
	// for the metrics, and double every series.
	state := statemetrics.New(mgr.GetCache(), func() bool {
		select {
		case <-mgr.Elected():
			return true
		default:
			return false
		}
	}, log.WithName("statemetrics"))
	if err := ctrlmetrics.Registry.Register(state); err != nil {
		return fmt.Errorf("registering the state metrics: %w", err)
	}
	defer ctrlmetrics.Registry.Unregister(state)
	var scraper *metering.Scraper
	if s.MeteringEnabled {
		if scraper, err = addMetering(mgr, rec, s, o, cfg); err != nil {
			return err
		}
	}
	if err := rec.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the ApplicationServer controller: %w", err)
	}

	profiler := &profiling.Runner{Dir: s.PprofDir, Interval: s.PprofInterval, Keep: s.PprofRotation, Log: log.WithName("pprof")}
	profiler.SetEnabled(s.PprofEnabled)
	if err := mgr.Add(profiler); err != nil {
		return fmt.Errorf("adding the profiler: %w", err)
	}

	live := &liveSettings{
		current: s, getenv: getenv, log: log.WithName("settings"), logs: logs, profiler: profiler,
	}
	if scraper != nil {
		live.metering = scraper
	}
	if o.RestartOnSettingsChange {
		live.restart = func(names []string) { restart(&restartNeeded{names: names}) }
	}
	if o.SettingsNamespace != "" {
		sc, err := settingsCache(mgr, o.SettingsNamespace, o.SettingsConfigMap)
		if err != nil {
			return err
		}
		if err := mgr.Add(&settingsWatcher{cache: sc, apply: live.apply,
			namespace: o.SettingsNamespace, name: o.SettingsConfigMap}); err != nil {
			return fmt.Errorf("adding the settings watcher: %w", err)
		}
	}

	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("adding health check: %w", err)
	}
	// Ready once the caches have synced; a standby replica without the lease
	// syncs them too, so it is ready as well.
	if err := mgr.AddReadyzCheck("readyz", func(req *http.Request) error {
		syncCtx, cancel := context.WithTimeout(req.Context(), time.Second)
		defer cancel()
		if !mgr.GetCache().WaitForCacheSync(syncCtx) {
			return errors.New("caches have not synced")
		}
		return nil
	}); err != nil {
		return fmt.Errorf("adding ready check: %w", err)
	}

	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running manager: %w", err)
	}
	var rn *restartNeeded
	if errors.As(context.Cause(ctx), &rn) {
		log.Info("Exiting so that the pod restarts with the new settings", "settings", rn.names)
	} else {
		log.Info("Stopped")
	}
	return nil
}

// addMetering adds the scraper and the metering API to the manager and hooks
// the scrape results into the reconciler's status.
func addMetering(mgr ctrl.Manager, rec *controller.ApplicationServerReconciler, s settings.Settings, o Options, cfg *rest.Config) (*metering.Scraper, error) {
	store := metering.NewStore()
	events := make(chan event.GenericEvent, 1024)
	rec.Metering, rec.MeteringEvents = store, events
	scraper, err := metering.NewScraper(store, controller.MeteringTargets(mgr.GetClient()), metering.ScraperOptions{
		Interval:   s.MeteringInterval,
		Timeout:    s.MeteringTimeoutScrape,
		CAFile:     o.MeteringCAFile,
		Registerer: ctrlmetrics.Registry,
		OnScrape:   controller.MeteringNotifier(mgr.GetClient(), store, events),
	})
	if err != nil {
		return nil, fmt.Errorf("setting up metering: %w", err)
	}
	opts := metering.ServerOptions{
		Addr: o.MeteringAddr, CertDir: s.MeteringCertDir,
		ReadTimeout: s.MeteringTimeoutRead, WriteTimeout: s.MeteringTimeoutWrite,
	}
	if s.MeteringAuth == settings.MeteringAuthKubernetes {
		if opts.Authorize, err = metering.KubernetesAuthorizer(cfg); err != nil {
			return nil, fmt.Errorf("setting up metering authentication: %w", err)
		}
	}
	if err := mgr.Add(scraper); err != nil {
		return nil, fmt.Errorf("adding the metering scraper: %w", err)
	}
	if err := mgr.Add(metering.NewServer(store, opts)); err != nil {
		return nil, fmt.Errorf("adding the metering API: %w", err)
	}
	if o.CustomMetricsAddr != "" && o.CustomMetricsAddr != "0" {
		cm, err := custommetrics.NewServer(&custommetrics.Provider{
			Store: store, Pods: mgr.GetClient(), Interval: scraper.Interval,
		}, custommetrics.ServerOptions{Addr: o.CustomMetricsAddr, CertDir: s.MeteringCertDir, Kubeconfig: kubeconfigFlag()})
		if err != nil {
			return nil, fmt.Errorf("setting up the custom metrics API: %w", err)
		}
		if err := mgr.Add(cm); err != nil {
			return nil, fmt.Errorf("adding the custom metrics API: %w", err)
		}
		// The APIService's Service selects the leader's pod by a label the
		// leader sets; a replica first clears it from its own pod (a
		// former leader restarting in the same pod).
		labeler := custommetrics.PodLabeler{Client: mgr.GetClient(), Namespace: os.Getenv("POD_NAMESPACE"), Pod: os.Getenv("POD_NAME")}
		if err := labeler.Set(context.Background(), false); err != nil {
			return nil, fmt.Errorf("clearing the custom metrics leader label: %w", err)
		}
		if err := mgr.Add(&custommetrics.LeaderMarker{Labeler: labeler}); err != nil {
			return nil, fmt.Errorf("adding the custom metrics leader marker: %w", err)
		}
	}
	return scraper, nil
}

// kubeconfigFlag returns the --kubeconfig that controller-runtime's
// GetConfig reads (or $KUBECONFIG); empty in a pod, where the in-cluster
// config applies.
func kubeconfigFlag() string {
	if f := flag.Lookup("kubeconfig"); f != nil && f.Value.String() != "" {
		return f.Value.String()
	}
	return os.Getenv("KUBECONFIG")
}

type restartNeeded struct{ names []string }

func (r *restartNeeded) Error() string { return fmt.Sprintf("settings %v changed", r.names) }
