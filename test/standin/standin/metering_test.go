package standin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/appserver-operator/appserver-operator/internal/metering"
	"github.com/appserver-operator/appserver-operator/test/standin/standin"
)

// TestMeteringAgainstStandIns scrapes one stand-in per mode with the
// operator's scraper, in one round, as the kwok end-to-end test does through
// pods.
func TestMeteringAgainstStandIns(t *testing.T) {
	modes := []struct {
		pod       string
		mode      standin.Mode
		wantError string // prefix; "" = healthy
	}{
		{"pod-normal", standin.ModeNormal, ""},
		{"pod-slow", standin.ModeSlow, "timeout"},
		{"pod-huge", standin.ModeHuge, "body larger than 10 MiB"},
		{"pod-garbage", standin.ModeGarbage, "parse error: "},
		{"pod-500", standin.Mode500, "HTTP 500"},
		{"pod-tls-error", standin.ModeTLSError, "TLS: "},
	}
	var targets []metering.Target
	for i, m := range modes {
		ep, err := standin.Listen(fmt.Sprintf("127.0.78.%d:0", i+1), standin.Options{Pod: m.pod, Mode: m.mode})
		if err != nil {
			t.Fatal(err)
		}
		defer ep.Close()
		targets = append(targets, metering.Target{Namespace: "demo", Server: "app", Pod: m.pod, URL: ep.URL()})
	}
	store := metering.NewStore()
	scraper, err := metering.NewScraper(store, func(context.Context) ([]metering.Target, error) { return targets, nil },
		metering.ScraperOptions{Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := scraper.ScrapeOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("round took %v", d)
	}
	statuses := store.Targets("demo", "app")
	if len(statuses) != len(modes) {
		t.Fatalf("%d targets", len(statuses))
	}
	for _, m := range modes {
		for _, st := range statuses {
			if st.Pod != m.pod {
				continue
			}
			if m.wantError == "" && (st.LastError != "" || st.Families == 0) {
				t.Errorf("%s: want healthy, got %+v", st.Pod, st)
			}
			if m.wantError != "" && !strings.HasPrefix(st.LastError, m.wantError) {
				t.Errorf("%s: error %q, want %q", st.Pod, st.LastError, m.wantError)
			}
		}
	}
	snap := store.Snapshot([]metering.ServerRef{{Namespace: "demo", Name: "app"}})
	var text strings.Builder
	if err := metering.WriteText(&text, snap); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), `base_gc_total{applicationserver="app",name="G1 Young Generation",namespace="demo",pod="pod-normal",server="pod-normal"}`) {
		t.Errorf("normal stand-in's metrics missing:\n%s", text.String())
	}
}
