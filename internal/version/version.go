// Package version holds the operator's version, set at build time:
//
//	go build -ldflags "-X github.com/appserver-operator/appserver-operator/internal/version.Version=v0.1.0"
package version

// Version of the operator binary. "dev" when built without ldflags.
var Version = "dev"
