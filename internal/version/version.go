// Package version holds the operator's version, set at build time by the
// Makefile from `git describe` and the commit:
//
//	go build -ldflags "-X github.com/appserver-operator/appserver-operator/internal/version.Version=v0.1.0 \
//	  -X github.com/appserver-operator/appserver-operator/internal/version.Commit=$(git rev-parse HEAD)"
package version

import (
	"fmt"
	"runtime"
)

var (
	// Version of the operator binary. "dev" when built without ldflags.
	Version = "dev"
	// Commit is the full git commit the binary was built from; "unknown"
	// when built without ldflags.
	Commit = "unknown"
)

// String is what `appserver-operator --version` prints: the version, the
// commit, the Go version and the platform.
func String() string {
	return fmt.Sprintf("appserver-operator %s (commit %s, %s, %s/%s)",
		Version, Commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
