// Command appserver-operator runs the ApplicationServer operator.
//
// Settings come from environment variables with WebOTX's names (normally
// from the ConfigMap appserver-operator-config); see docs/operator-settings.md.
// A bad setting stops it at once with exit code 2 and one line per variable.
//
// `appserver-operator wait` is the wait-for init container of servers with
// spec.dependsOn (internal/wait); `appserver-operator convert` converts
// WebOTX ApplicationServers into ours (internal/convert).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/appserver-operator/appserver-operator/internal/convert"
	"github.com/appserver-operator/appserver-operator/internal/operator"
	"github.com/appserver-operator/appserver-operator/internal/version"
	"github.com/appserver-operator/appserver-operator/internal/wait"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "wait" {
		os.Exit(wait.Main(ctrl.SetupSignalHandler(), os.Args[2:], os.Getenv, os.Stderr))
	}
	if len(os.Args) > 1 && os.Args[1] == "convert" {
		os.Exit(convert.Main(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	opts := operator.DefaultOptions()
	opts.BindFlags(flag.CommandLine)
	showVersion := flag.Bool("version", false, "Print the version, commit and Go version, and exit.")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.String())
		return
	}

	err := operator.Run(ctrl.SetupSignalHandler(), opts)
	var bad *operator.SettingsError
	switch {
	case errors.As(err, &bad):
		for _, line := range strings.Split(bad.Error(), "\n") {
			fmt.Fprintln(os.Stderr, "appserver-operator: invalid setting:", line)
		}
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "appserver-operator:", err)
		os.Exit(1)
	}
}
