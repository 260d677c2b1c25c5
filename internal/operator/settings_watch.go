package operator

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	"github.com/appserver-operator/appserver-operator/internal/logging"
	"github.com/appserver-operator/appserver-operator/internal/profiling"
	"github.com/appserver-operator/appserver-operator/internal/settings"
)

// liveSettings applies edits of the settings ConfigMap while the operator
// runs: the settings that can change live (settings.AppliesLive) change at
// once; for the others the operator exits cleanly so that its pod restarts
// with them (when restart is set), or logs that they wait for a restart.
type liveSettings struct {
	mu sync.Mutex
	// current is the settings last seen (at start, then in the ConfigMap).
	current  settings.Settings
	getenv   func(string) (string, bool)
	log      logr.Logger
	logs     *logging.Handle
	profiler *profiling.Runner
	// metering receives interval and scrape-timeout changes; may be nil.
	metering interface {
		SetTiming(interval, timeout time.Duration)
	}
	restart func(names []string)
}

// apply takes the ConfigMap's data laid over the environment: a key present
// in the ConfigMap wins, a key absent keeps the value the process started
// with (a variable set directly on the container, say).
func (l *liveSettings) apply(data map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	next, err := settings.Load(func(name string) (string, bool) {
		if v, ok := data[name]; ok {
			return v, true
		}
		return l.getenv(name)
	})
	if err != nil {
		l.log.Error(err, "Ignoring the settings ConfigMap: it has invalid values; the current settings stay")
		return
	}
	if unknown := settings.UnknownKeys(data); len(unknown) > 0 {
		l.log.Info("The settings ConfigMap has keys that are not settings; they are ignored", "keys", unknown)
	}
	live, restart := l.current.Diff(next)
	for _, name := range live {
		if err := l.applyLive(name, next); err != nil {
			l.log.Error(err, "Could not apply a setting", "setting", name)
			continue
		}
		v, _ := next.Value(name)
		l.log.Info("Applied a setting change", "setting", name, "value", v)
	}
	// current is the last settings seen: a restart-only change is reported
	// once, not at every later edit of the ConfigMap.
	l.current = next
	if len(restart) == 0 {
		return
	}
	if l.restart != nil {
		l.log.Info("Settings that need a restart changed: restarting", "settings", restart)
		l.restart(restart)
		return
	}
	l.log.Info("Settings that need a restart changed; they apply when the operator restarts", "settings", restart)
}

func (l *liveSettings) applyLive(name string, next settings.Settings) error {
	switch name {
	case settings.EnvLogLevel:
		return l.logs.SetLevel(string(next.LogLevel))
	case settings.EnvPprofEnabled:
		l.profiler.SetEnabled(next.PprofEnabled)
	case settings.EnvPprofInterval, settings.EnvPprofRotation:
		return l.profiler.Set(next.PprofInterval, next.PprofRotation)
	case settings.EnvMeteringInterval, settings.EnvMeteringTimeoutScrape:
		if l.metering != nil {
			l.metering.SetTiming(next.MeteringInterval, next.MeteringTimeoutScrape)
		}
	default:
		return fmt.Errorf("no live handler for %s", name)
	}
	return nil
}

// settingsWatcher feeds every version of the settings ConfigMap to apply. It
// runs on every replica (not only the leader): each applies its own settings.
type settingsWatcher struct {
	cache           cache.Cache
	namespace, name string
	apply           func(map[string]string)
}

func (w *settingsWatcher) NeedLeaderElection() bool { return false }

func (w *settingsWatcher) Start(ctx context.Context) error {
	inf, err := w.cache.GetInformer(ctx, &corev1.ConfigMap{})
	if err != nil {
		return fmt.Errorf("watching the settings ConfigMap: %w", err)
	}
	handle := func(obj any) {
		if cm, ok := obj.(*corev1.ConfigMap); ok && cm.Namespace == w.namespace && cm.Name == w.name {
			w.apply(cm.Data)
		}
	}
	reg, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    handle,
		UpdateFunc: func(_, obj any) { handle(obj) },
	})
	if err != nil {
		return fmt.Errorf("watching the settings ConfigMap: %w", err)
	}
	<-ctx.Done()
	_ = inf.RemoveEventHandler(reg)
	return nil
}

// configMapNote is what startupSettings has to say once the logger exists.
type configMapNote struct {
	msg string
	err error
}

func (n configMapNote) log(log logr.Logger) {
	switch {
	case n.err != nil:
		log.Error(n.err, n.msg)
	case n.msg != "":
		log.Info(n.msg)
	}
}

// startupSettings lays the settings ConfigMap over the environment by the
// rule the live watch applies (liveSettings.apply): a key present in the
// ConfigMap wins, an absent key keeps the environment's value. The process
// then starts with exactly what the watch computes when it first sees the
// ConfigMap, and so never restarts because the two disagree. That matters
// when a variable is set on the container itself, which Kubernetes lets win
// over the ConfigMap's envFrom: WATCH_NAMESPACE from the downward API in the
// namespaced install. Without the ConfigMap (not found, not readable, or
// invalid, which the watch ignores as well) the environment's settings stay.
func startupSettings(ctx context.Context, cfg *rest.Config, env settings.Settings, getenv func(string) (string, bool), namespace, name string) (settings.Settings, configMapNote) {
	if namespace == "" {
		return env, configMapNote{}
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return env, configMapNote{msg: "Could not read the settings ConfigMap at start; using the environment", err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cm, err := cs.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return env, configMapNote{msg: "No settings ConfigMap " + namespace + "/" + name + " yet; using the environment"}
	}
	if err != nil {
		return env, configMapNote{msg: "Could not read the settings ConfigMap at start; using the environment", err: err}
	}
	s, err := settings.Load(func(key string) (string, bool) {
		if v, ok := cm.Data[key]; ok {
			return v, true
		}
		return getenv(key)
	})
	if err != nil {
		return env, configMapNote{msg: "Ignoring the settings ConfigMap at start: it has invalid values; using the environment", err: err}
	}
	return s, configMapNote{}
}
