package metering

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// Defaults of ScraperOptions.
const (
	DefaultInterval      = time.Minute
	DefaultScrapeTimeout = 10 * time.Second
	DefaultConcurrency   = 16
	DefaultMaxBodyBytes  = 10 << 20
)

// Reasons, the values of the reason label of
// appserver_metering_scrape_errors_total.
const (
	ReasonTimeout    = "timeout"
	ReasonTooLarge   = "too_large"
	ReasonHTTPStatus = "http_status"
	ReasonParse      = "parse"
	ReasonTLS        = "tls"
	ReasonConnect    = "connect"
	ReasonOther      = "other"
	// ReasonTargets counts failures of the TargetSource.
	ReasonTargets = "targets"
)

// maxErrorText bounds the length of a recorded error text.
const maxErrorText = 200

// ScraperOptions configure a Scraper. Zero values mean the defaults.
type ScraperOptions struct {
	// Interval between the starts of two rounds (METERING_INTERVAL).
	Interval time.Duration
	// Timeout of one scrape, from connecting to parsing the whole body
	// (METERING_TIMEOUT_SCRAPE).
	Timeout time.Duration
	// Concurrency is the maximum number of scrapes in flight.
	Concurrency int
	// MaxBodyBytes caps a response body; a larger one is an error.
	MaxBodyBytes int64
	// CAFile is a PEM CA bundle. When empty, HTTPS certificates are not
	// verified (pods usually have self-signed certificates, as with
	// WebOTX); when set, they are verified against it, including that the
	// certificate is valid for the pod IP.
	CAFile string
	// Registerer receives the scraper's own metrics; nil registers none.
	Registerer prometheus.Registerer
	// OnScrape, when set, is called after each completed round.
	OnScrape func()
}

// Scraper scrapes the targets of a TargetSource into a Store every interval.
// It is a controller-runtime manager Runnable that runs on the leader only.
type Scraper struct {
	store        *Store
	source       TargetSource
	client       *http.Client
	concurrency  int
	maxBodyBytes int64
	onScrape     func()
	metrics      scraperMetrics

	mu       sync.Mutex
	interval time.Duration
	timeout  time.Duration
	changed  chan struct{} // signalled (non-blocking) by SetTiming
}

type scraperMetrics struct {
	duration prometheus.Histogram
	round    prometheus.Histogram
	errors   *prometheus.CounterVec
	targets  prometheus.Gauge
	bytes    prometheus.Counter
}

// NewScraper returns a Scraper filling store with the targets of source. It
// registers its metrics on opts.Registerer and fails if they already are.
func NewScraper(store *Store, source TargetSource, opts ScraperOptions) (*Scraper, error) {
	if store == nil || source == nil {
		return nil, errors.New("metering scraper needs a store and a target source")
	}
	tlsConfig := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Pods serve self-signed certificates unless a CA bundle says
		// otherwise; see ScraperOptions.CAFile.
		InsecureSkipVerify: opts.CAFile == "", //nolint:gosec // documented default, as WebOTX
	}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading metering CA bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("metering CA bundle %s holds no PEM certificate", opts.CAFile)
		}
		tlsConfig.RootCAs = pool
	}
	transport := &http.Transport{
		Proxy:                  nil, // pod IPs are never reached through a proxy
		DialContext:            (&net.Dialer{KeepAlive: -1}).DialContext,
		TLSClientConfig:        tlsConfig,
		DisableKeepAlives:      true, // one scrape per pod per interval: no idle connections to dead pods
		MaxResponseHeaderBytes: 64 << 10,
	}
	s := &Scraper{
		store:  store,
		source: source,
		client: &http.Client{
			Transport: transport,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse // a redirect is reported as its status
			},
		},
		concurrency:  opts.Concurrency,
		maxBodyBytes: opts.MaxBodyBytes,
		onScrape:     opts.OnScrape,
		changed:      make(chan struct{}, 1),
		metrics: scraperMetrics{
			duration: prometheus.NewHistogram(prometheus.HistogramOpts{
				Name:    "appserver_metering_scrape_duration_seconds",
				Help:    "Duration of one scrape of one ApplicationServer pod, successful or not.",
				Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
			}),
			round: prometheus.NewHistogram(prometheus.HistogramOpts{
				Name:    "appserver_metering_round_duration_seconds",
				Help:    "Duration of one complete metering round: listing the pods and scraping every one of them.",
				Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
			}),
			errors: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "appserver_metering_scrape_errors_total",
				Help: "Failed scrapes of ApplicationServer pods (and failed target listings, reason=targets), by reason.",
			}, []string{"reason"}),
			targets: prometheus.NewGauge(prometheus.GaugeOpts{
				Name: "appserver_metering_targets",
				Help: "Number of pods in the latest metering round.",
			}),
			bytes: prometheus.NewCounter(prometheus.CounterOpts{
				Name: "appserver_metering_scrape_bytes_total",
				Help: "Response body bytes read from ApplicationServer pods.",
			}),
		},
	}
	if s.concurrency <= 0 {
		s.concurrency = DefaultConcurrency
	}
	if s.maxBodyBytes <= 0 {
		s.maxBodyBytes = DefaultMaxBodyBytes
	}
	s.interval, s.timeout = orDefault(opts.Interval, DefaultInterval), orDefault(opts.Timeout, DefaultScrapeTimeout)
	if opts.Registerer != nil {
		for _, c := range []prometheus.Collector{s.metrics.duration, s.metrics.round, s.metrics.errors, s.metrics.targets, s.metrics.bytes} {
			if err := opts.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("registering metering metrics: %w", err)
			}
		}
	}
	return s, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// NeedLeaderElection returns true: only the leader scrapes.
func (s *Scraper) NeedLeaderElection() bool { return true }

// SetTiming changes the interval and the per-scrape timeout; a value <= 0
// keeps the current one. A new interval applies from the current round's
// start (a shorter one may start the next round at once); a new timeout from
// the next round. Safe for concurrent use.
func (s *Scraper) SetTiming(interval, timeout time.Duration) {
	s.mu.Lock()
	if interval > 0 {
		s.interval = interval
	}
	if timeout > 0 {
		s.timeout = timeout
	}
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// Interval returns the current interval between two rounds.
func (s *Scraper) Interval() time.Duration {
	interval, _ := s.timing()
	return interval
}

func (s *Scraper) timing() (interval, timeout time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.interval, s.timeout
}

// Start scrapes at once, then every interval, until ctx is done. Rounds never
// overlap: a round that takes longer than the interval delays the next.
func (s *Scraper) Start(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName("metering")
	for {
		roundStart := time.Now()
		if err := s.ScrapeOnce(ctx); err != nil && ctx.Err() == nil {
			logger.Error(err, "Metering round failed")
		}
		if !s.waitNextRound(ctx, roundStart) {
			return nil
		}
	}
}

// waitNextRound waits until roundStart plus the interval, re-reading the
// interval whenever SetTiming changes it. It returns false when ctx is done.
func (s *Scraper) waitNextRound(ctx context.Context, roundStart time.Time) bool {
	for {
		interval, _ := s.timing()
		wait := time.Until(roundStart.Add(interval))
		if wait <= 0 {
			return ctx.Err() == nil
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return false
		case <-s.changed:
			timer.Stop()
		case <-timer.C:
			return true
		}
	}
}

// ScrapeOnce runs one round: lists the targets, forgets those gone, scrapes
// the others concurrently and records the results, then calls OnScrape. It
// returns when every scrape has ended; an error means the target list could
// not be had (the previous results are kept) or ctx ended. A complete round
// is observed in appserver_metering_round_duration_seconds.
func (s *Scraper) ScrapeOnce(ctx context.Context) error {
	start := time.Now()
	targets, err := s.source(ctx)
	if err != nil {
		s.metrics.errors.WithLabelValues(ReasonTargets).Inc()
		return fmt.Errorf("listing metering targets: %w", err)
	}
	s.store.setTargets(targets)
	s.metrics.targets.Set(float64(len(targets)))
	_, timeout := s.timing()

	work := make(chan Target)
	var wg sync.WaitGroup
	for range min(s.concurrency, len(targets)) {
		wg.Go(func() {
			for t := range work {
				r := s.scrape(ctx, t, timeout)
				if ctx.Err() != nil {
					continue // shutting down: not the target's fault
				}
				s.metrics.duration.Observe(r.duration.Seconds())
				s.metrics.bytes.Add(float64(r.bytes))
				if r.reason != "" {
					s.metrics.errors.WithLabelValues(r.reason).Inc()
				}
				s.store.record(t, r.scrapeResult)
			}
		})
	}
feed:
	for _, t := range targets {
		select {
		case work <- t:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("metering round interrupted: %w", err)
	}
	s.metrics.round.Observe(time.Since(start).Seconds())
	if s.onScrape != nil {
		s.onScrape()
	}
	return nil
}

type timedResult struct {
	scrapeResult
	duration time.Duration
}

// scrape fetches and parses one target within timeout.
func (s *Scraper) scrape(ctx context.Context, t Target, timeout time.Duration) timedResult {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fams, n, err := s.fetch(ctx, t, timeout)
	end := time.Now()
	r := timedResult{scrapeResult: scrapeResult{bytes: n, end: end}, duration: end.Sub(start)}
	if err != nil {
		var se *scrapeError
		if !errors.As(err, &se) {
			se = classify(ctx, err)
		}
		r.reason, r.err = se.reason, truncate(se.text)
		return r
	}
	addTargetLabels(fams, t)
	r.families = fams
	return r
}

// scrapeError is a failed scrape with its metric reason and stable text.
type scrapeError struct {
	reason, text string
}

func (e *scrapeError) Error() string { return e.text }

func (s *Scraper) fetch(ctx context.Context, t Target, timeout time.Duration) ([]*dto.MetricFamily, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
	if err != nil {
		return nil, 0, &scrapeError{ReasonOther, "bad URL"}
	}
	req.Header.Set("Accept", acceptHeader)
	req.Header.Set("User-Agent", "appserver-operator-metering")
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, &scrapeError{ReasonHTTPStatus, "HTTP " + strconv.Itoa(resp.StatusCode)}
	}
	body := &cappedReader{r: io.LimitReader(resp.Body, s.maxBodyBytes+1), max: s.maxBodyBytes}
	fams, err := parseFamilies(body, resp.Header.Get("Content-Type"))
	switch {
	case body.exceeded:
		return nil, body.n, &scrapeError{ReasonTooLarge, "body larger than " + formatBytes(s.maxBodyBytes)}
	case err != nil && ctx.Err() != nil:
		return nil, body.n, &scrapeError{ReasonTimeout, "timeout"}
	case err != nil && body.readErr != nil:
		return nil, body.n, body.readErr
	case err != nil:
		return nil, body.n, &scrapeError{ReasonParse, "parse error: " + err.Error()}
	}
	return fams, body.n, nil
}

// errBodyTooLarge stops the parser when the body exceeds the cap.
var errBodyTooLarge = errors.New("body too large")

// cappedReader counts the bytes read and fails once more than max were read
// (it wraps an io.LimitReader of max+1 bytes, so it never reads further).
type cappedReader struct {
	r        io.Reader
	n, max   int64
	exceeded bool
	readErr  error // a read error other than io.EOF
}

func (c *cappedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		c.exceeded = true
		return 0, errBodyTooLarge
	}
	if err != nil && !errors.Is(err, io.EOF) {
		c.readErr = err
	}
	return n, err
}

// classify turns a transport error into a reason and a short stable text.
func classify(ctx context.Context, err error) *scrapeError {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return &scrapeError{ReasonTimeout, "timeout"}
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // drop "Get <url>:", which the pod name already tells
	}
	var (
		recordErr tls.RecordHeaderError
		verifyErr *tls.CertificateVerificationError
		alertErr  tls.AlertError
	)
	switch {
	case errors.As(err, &recordErr):
		return &scrapeError{ReasonTLS, "TLS: server did not answer with TLS"}
	case errors.As(err, &verifyErr):
		return &scrapeError{ReasonTLS, "TLS: " + verifyErr.Err.Error()}
	case errors.As(err, &alertErr):
		return &scrapeError{ReasonTLS, "TLS: " + strings.TrimPrefix(alertErr.Error(), "tls: ")}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &scrapeError{ReasonConnect, "connection refused"}
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return &scrapeError{ReasonConnect, "host unreachable"}
	}
	msg := err.Error()
	if strings.Contains(msg, "server gave HTTP response to HTTPS client") { // net/http's rewording of a RecordHeaderError
		return &scrapeError{ReasonTLS, "TLS: server did not answer with TLS"}
	}
	if i := strings.Index(msg, "tls: "); i >= 0 {
		return &scrapeError{ReasonTLS, "TLS: " + msg[i+len("tls: "):]}
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return &scrapeError{ReasonConnect, "connect: " + opErr.Err.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &scrapeError{ReasonOther, "connection closed by the server"}
	}
	return &scrapeError{ReasonOther, msg}
}

func truncate(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	cut := maxErrorText
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// formatBytes writes a size as "10 MiB" when it is a whole number of MiB or
// KiB, else in bytes.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
