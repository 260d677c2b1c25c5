package main

import (
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
)

func main() {
	_ = ctrl.SetupSignalHandler()
	os.Exit(0)
}
