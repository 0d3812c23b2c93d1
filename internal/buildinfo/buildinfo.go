// Package buildinfo says which build of the bridge is running: the version
// stamped at build time and the VCS commit and Go version the toolchain
// recorded.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is set at build time:
// -ldflags "-X github.com/bridge-dev/bridge/internal/buildinfo.Version=v1.2.3".
var Version = "dev"

// Info is the running build.
type Info struct {
	Version   string
	Commit    string // "unknown" when the build recorded none; "+dirty" when modified
	GoVersion string
}

// Read returns the running build's info.
func Read() Info {
	info := Info{Version: Version, Commit: "unknown", GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info.Version = version(Version, bi.Main.Version)
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified {
			info.Commit += "+dirty"
		}
	}
	return info
}

// version is the stamped version, else the module's version the go
// command recorded (`go install github.com/bridge-dev/bridge/cmd/bridge@v1.2.3`
// records v1.2.3; a build from a checkout records "(devel)" or nothing).
func version(stamped, module string) string {
	if stamped != "dev" || module == "" || module == "(devel)" {
		return stamped
	}
	return module
}

// String is the one-line form `bridge version` prints.
func (i Info) String() string {
	return fmt.Sprintf("bridge %s (commit %s, %s)", i.Version, i.Commit, i.GoVersion)
}
