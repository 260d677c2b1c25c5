package resources

import (
	"testing"

	"github.com/appserver-operator/appserver-operator/internal/wait"
)

// TestWaitForEnvIsWhatTheSubcommandReads: the WAIT_FOR value the builder
// writes parses in `appserver-operator wait` to the same targets; without an
// operator image there is no wait-for container.
func TestWaitForEnvIsWhatTheSubcommandReads(t *testing.T) {
	var as = goldenCases(t)
	for _, tc := range as {
		if tc.name != "depends-on" {
			continue
		}
		dep := Deployment(tc.as, goldenOptions)
		c := dep.Spec.Template.Spec.InitContainers[0]
		if c.Name != WaitForContainerName || len(c.Env) != 1 || c.Env[0].Name != WaitForEnv {
			t.Fatalf("first init container = %+v", c)
		}
		got, err := wait.Parse(c.Env[0].Value)
		if err != nil {
			t.Fatalf("the subcommand cannot parse %s: %v", c.Env[0].Value, err)
		}
		want := WaitTargets(tc.as, goldenOptions)
		if len(got) != len(want) || len(got) != 3 {
			t.Fatalf("targets %+v, want %+v", got, want)
		}
		for i := range got {
			if got[i].String() != want[i].String() || got[i].TimeoutSeconds != want[i].TimeoutSeconds {
				t.Errorf("target %d = %+v, want %+v", i, got[i], want[i])
			}
		}
		for _, ic := range Deployment(tc.as, Options{}).Spec.Template.Spec.InitContainers {
			if ic.Name == WaitForContainerName {
				t.Error("a wait-for container without an operator image to run")
			}
		}
		return
	}
	t.Fatal("no depends-on golden case")
}
