// Package version holds the build's version, set at link time with
// -ldflags "-X github.com/portico-auth/portico/internal/version.Version=v1.2.3".
package version

// Version is the release this binary was built from ("dev" for a local build).
var Version = "dev"
