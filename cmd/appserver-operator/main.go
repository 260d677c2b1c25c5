// Command appserver-operator runs the ApplicationServer operator.
package main

import (
	"flag"
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/appserver-operator/appserver-operator/internal/operator"
)

func main() {
	opts := operator.DefaultOptions()
	opts.BindFlags(flag.CommandLine)
	flag.Parse()

	if err := operator.Run(ctrl.SetupSignalHandler(), opts); err != nil {
		fmt.Fprintln(os.Stderr, "appserver-operator:", err)
		os.Exit(1)
	}
}
