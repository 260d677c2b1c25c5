package metering

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// Target is one metrics endpoint: a pod of an ApplicationServer.
type Target struct {
	// Namespace of the ApplicationServer and its pod.
	Namespace string
	// Server is the ApplicationServer's name.
	Server string
	// Pod is the pod's name.
	Pod string
	// URL is the full scrape URL, e.g. https://10.1.2.3:8443/metrics.
	URL string
}

// TargetSource lists the targets to scrape. It is called once per round; an
// error skips the round and keeps the previous results.
type TargetSource func(ctx context.Context) ([]Target, error)

// ServerRef names an ApplicationServer.
type ServerRef struct {
	Namespace string
	Name      string
}

// String returns "namespace/name".
func (r ServerRef) String() string { return r.Namespace + "/" + r.Name }

// Summary is the metering state of one ApplicationServer, for its status.
type Summary struct {
	// Targets is the number of pods being scraped.
	Targets int
	// Healthy is the number of those whose last scrape succeeded.
	Healthy int
	// LastScrape is when the most recent scrape of any of its pods ended;
	// zero before the first one.
	LastScrape time.Time
	// LastError is empty when every pod's last scrape succeeded, otherwise
	// "<pod>: <error>" for the first failing pod by name, followed by
	// " (and N more)" when several fail. The error texts are short and stable
	// ("timeout", "HTTP 500", "body larger than 10 MiB", "TLS: ...",
	// "parse error: ...", "connection refused"), so the text only changes when
	// the situation does.
	LastError string
}

// TargetStatus is the scrape state of one target.
type TargetStatus struct {
	Target
	// LastScrape is when the last scrape attempt ended; zero if none yet.
	LastScrape time.Time
	// LastSuccess is when the last successful scrape ended; zero if none yet.
	LastSuccess time.Time
	// LastError is the last attempt's error, empty if it succeeded or none
	// was made yet.
	LastError string
	// Bytes is the number of body bytes read by the last attempt.
	Bytes int64
	// Families is the number of metric families kept from the last success.
	Families int
}

// ServerMetrics is the merged metric families of one ApplicationServer's pods.
type ServerMetrics struct {
	ServerRef
	// Families are sorted by name, each family's metrics by label set; they
	// share *dto.Metric values with the Store and must not be modified.
	Families []*dto.MetricFamily
}

type targetKey struct {
	namespace, server, pod string
}

type targetState struct {
	url         string
	families    []*dto.MetricFamily // latest successful result; never modified once stored
	lastScrape  time.Time
	lastSuccess time.Time
	// prevFamilies and prevSuccess are the successful result before the
	// latest one (rates of counters are computed over the two).
	prevFamilies []*dto.MetricFamily
	prevSuccess  time.Time
	lastError    string
	bytes        int64
}

// scrapeResult is the outcome of one scrape.
type scrapeResult struct {
	families []*dto.MetricFamily // nil when err != ""
	err      string
	reason   string
	bytes    int64
	end      time.Time
}

// Store holds the latest successful scrape of each target and the health of
// each target. It only knows the targets of the latest target list: pods and
// servers that disappear from it are forgotten. It is safe for concurrent use.
type Store struct {
	mu      sync.RWMutex
	targets map[targetKey]*targetState
}

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{targets: map[targetKey]*targetState{}}
}

// setTargets replaces the target list: new targets are added without data,
// targets no longer listed are forgotten, and a target whose URL changed
// (e.g. a recreated pod with a new IP) starts afresh.
func (s *Store) setTargets(targets []Target) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := make(map[targetKey]*targetState, len(targets))
	for _, t := range targets {
		k := keyOf(t)
		if old, ok := s.targets[k]; ok && old.url == t.URL {
			next[k] = old
			continue
		}
		next[k] = &targetState{url: t.URL}
	}
	s.targets = next
}

// record stores the result of scraping t, unless t is no longer a target.
func (s *Store) record(t Target, r scrapeResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.targets[keyOf(t)]
	if !ok || st.url != t.URL {
		return
	}
	st.lastScrape = r.end
	st.lastError = r.err
	st.bytes = r.bytes
	if r.err == "" {
		if st.families != nil {
			st.prevFamilies, st.prevSuccess = st.families, st.lastSuccess
		}
		st.families = r.families
		st.lastSuccess = r.end
	}
}

func keyOf(t Target) targetKey { return targetKey{t.Namespace, t.Server, t.Pod} }

// Summary returns the metering summary of one ApplicationServer; the zero
// Summary when it has no targets.
func (s *Store) Summary(namespace, server string) Summary {
	var sum Summary
	var failing []TargetStatus
	for _, ts := range s.Targets(namespace, server) {
		sum.Targets++
		if ts.LastScrape.After(sum.LastScrape) {
			sum.LastScrape = ts.LastScrape
		}
		switch {
		case ts.LastError != "":
			failing = append(failing, ts)
		case !ts.LastScrape.IsZero():
			sum.Healthy++
		}
	}
	if len(failing) > 0 {
		sum.LastError = failing[0].Pod + ": " + failing[0].LastError
		if len(failing) > 1 {
			sum.LastError += fmt.Sprintf(" (and %d more)", len(failing)-1)
		}
	}
	return sum
}

// Targets returns the state of one ApplicationServer's targets, sorted by pod.
func (s *Store) Targets(namespace, server string) []TargetStatus {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []TargetStatus
	for k, st := range s.targets {
		if k.namespace != namespace || k.server != server {
			continue
		}
		out = append(out, TargetStatus{
			Target:      Target{Namespace: k.namespace, Server: k.server, Pod: k.pod, URL: st.url},
			LastScrape:  st.lastScrape,
			LastSuccess: st.lastSuccess,
			LastError:   st.lastError,
			Bytes:       st.bytes,
			Families:    len(st.families),
		})
	}
	slices.SortFunc(out, func(a, b TargetStatus) int { return cmp.Compare(a.Pod, b.Pod) })
	return out
}

// Servers returns every ApplicationServer with at least one target, sorted by
// namespace and name.
func (s *Store) Servers() []ServerRef {
	s.mu.RLock()
	seen := map[ServerRef]struct{}{}
	for k := range s.targets {
		seen[ServerRef{Namespace: k.namespace, Name: k.server}] = struct{}{}
	}
	s.mu.RUnlock()
	out := make([]ServerRef, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	slices.SortFunc(out, compareRefs)
	return out
}

// Lookup returns the servers called name, in any namespace, sorted by
// namespace.
func (s *Store) Lookup(name string) []ServerRef {
	var out []ServerRef
	for _, r := range s.Servers() {
		if r.Name == name {
			out = append(out, r)
		}
	}
	return out
}

// Snapshot returns the latest metrics of the given servers, in the given
// order, each merged over its pods (see [WriteText] for the merge rules).
// Unknown servers give an entry without families.
func (s *Store) Snapshot(refs []ServerRef) []ServerMetrics {
	want := make(map[ServerRef]int, len(refs))
	for i, r := range refs {
		want[r] = i
	}
	type podFams struct {
		pod  string
		fams []*dto.MetricFamily
	}
	perServer := make([][]podFams, len(refs))
	s.mu.RLock()
	for k, st := range s.targets {
		i, ok := want[ServerRef{Namespace: k.namespace, Name: k.server}]
		if !ok || len(st.families) == 0 {
			continue
		}
		perServer[i] = append(perServer[i], podFams{pod: k.pod, fams: st.families})
	}
	s.mu.RUnlock()

	out := make([]ServerMetrics, len(refs))
	for i, r := range refs {
		pods := perServer[i]
		slices.SortFunc(pods, func(a, b podFams) int { return cmp.Compare(a.pod, b.pod) })
		lists := make([][]*dto.MetricFamily, len(pods))
		for j, p := range pods {
			lists[j] = p.fams
		}
		out[i] = ServerMetrics{ServerRef: r, Families: mergeFamilies(lists)}
	}
	return out
}

func compareRefs(a, b ServerRef) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

// PodScrape is the last two successful scrapes of one pod (one target).
type PodScrape struct {
	// Namespace, Server and Pod name the target.
	Namespace, Server, Pod string
	// Families is the latest successful scrape, ended at At; nil before
	// the first one. The families are shared with the Store and must not be
	// modified.
	Families []*dto.MetricFamily
	At       time.Time
	// Previous is the successful scrape before it, ended at PreviousAt; nil
	// when there was none (yet) for this pod at its current address.
	// Failed scrapes in between are skipped: Previous is then older than
	// one interval.
	Previous   []*dto.MetricFamily
	PreviousAt time.Time
}

// PodScrapes returns the last two successful scrapes of every target in
// namespace (every namespace when it is empty), sorted by namespace and pod.
func (s *Store) PodScrapes(namespace string) []PodScrape {
	s.mu.RLock()
	var out []PodScrape
	for k, st := range s.targets {
		if namespace != "" && k.namespace != namespace {
			continue
		}
		out = append(out, PodScrape{
			Namespace: k.namespace, Server: k.server, Pod: k.pod,
			Families: st.families, At: st.lastSuccess,
			Previous: st.prevFamilies, PreviousAt: st.prevSuccess,
		})
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b PodScrape) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Pod, b.Pod))
	})
	return out
}
