package controller

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/metering"
	"github.com/appserver-operator/appserver-operator/internal/resources"
)

// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

// meteringStatusRefresh bounds how stale status.metering.lastScrapeTime may
// get while nothing else about the scrapes changes.
const meteringStatusRefresh = 10 * time.Minute

// MeteringSummaries gives the metering summary of one server.
type MeteringSummaries interface {
	Summary(namespace, server string) metering.Summary
}

// meteringOn reports whether the operator scrapes this server.
func meteringOn(as *v1alpha1.ApplicationServer) bool {
	return as.Spec.Server.Metering != nil && as.Spec.Server.Metering.Enabled
}

// MeteringStatus is the status.metering that a summary gives, starting from
// the current one: lastScrapeTime moves only when something else changed or
// the old one is older than meteringStatusRefresh, so that steady scraping
// does not mean a status write every interval.
func MeteringStatus(cur *v1alpha1.MeteringStatus, sum metering.Summary) *v1alpha1.MeteringStatus {
	next := &v1alpha1.MeteringStatus{
		Targets:        int32(min(sum.Targets, 1<<30)), //nolint:gosec // bounded above
		HealthyTargets: int32(min(sum.Healthy, 1<<30)), //nolint:gosec // bounded above
		LastError:      sum.LastError,
	}
	if !sum.LastScrape.IsZero() {
		next.LastScrapeTime = &metav1.Time{Time: sum.LastScrape.Truncate(time.Second)}
	}
	if cur != nil && cur.Targets == next.Targets && cur.HealthyTargets == next.HealthyTargets &&
		cur.LastError == next.LastError && cur.LastScrapeTime != nil && next.LastScrapeTime != nil &&
		next.LastScrapeTime.Sub(cur.LastScrapeTime.Time) < meteringStatusRefresh {
		next.LastScrapeTime = cur.LastScrapeTime
	}
	return next
}

// MeteringTargets lists, from the cache, the ready pods of every
// ApplicationServer with metering enabled, as scrape targets.
func MeteringTargets(c client.Reader) metering.TargetSource {
	return func(ctx context.Context) ([]metering.Target, error) {
		list := &v1alpha1.ApplicationServerList{}
		if err := c.List(ctx, list); err != nil {
			return nil, fmt.Errorf("listing ApplicationServers: %w", err)
		}
		var targets []metering.Target
		for i := range list.Items {
			as := &list.Items[i]
			if !meteringOn(as) || !as.DeletionTimestamp.IsZero() {
				continue
			}
			pods := &corev1.PodList{}
			if err := c.List(ctx, pods, client.InNamespace(as.Namespace), client.MatchingLabels(resources.SelectorLabels(as))); err != nil {
				return nil, fmt.Errorf("listing pods of %s/%s: %w", as.Namespace, as.Name, err)
			}
			scheme, port, path := resources.MetricsEndpoint(as.Spec.Server.Metering)
			for j := range pods.Items {
				p := &pods.Items[j]
				if p.Status.PodIP == "" || !p.DeletionTimestamp.IsZero() || !podReady(p) {
					continue
				}
				targets = append(targets, metering.Target{
					Namespace: as.Namespace, Server: as.Name, Pod: p.Name,
					URL: scheme + "://" + net.JoinHostPort(p.Status.PodIP, strconv.Itoa(int(port))) + path,
				})
			}
		}
		return targets, nil
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// MeteringNotifier returns the scraper's OnScrape hook: after each round it
// wakes the reconciler for every metered server whose status.metering would
// change, so status follows the scrapes without a write per round.
func MeteringNotifier(c client.Reader, sums MeteringSummaries, events chan<- event.GenericEvent) func() {
	return func() {
		ctx := context.Background()
		list := &v1alpha1.ApplicationServerList{}
		if err := c.List(ctx, list); err != nil {
			log.FromContext(ctx).Error(err, "Listing ApplicationServers after a scrape")
			return
		}
		for i := range list.Items {
			as := &list.Items[i]
			if !meteringOn(as) {
				continue
			}
			next := MeteringStatus(as.Status.Metering, sums.Summary(as.Namespace, as.Name))
			if equality.Semantic.DeepEqual(as.Status.Metering, next) {
				continue
			}
			select {
			case events <- event.GenericEvent{Object: as}:
			default: // the queue is full: the next round tries again
			}
		}
	}
}
