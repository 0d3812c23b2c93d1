// Package config holds the settings of `bridge run`: their defaults, the
// YAML config file, the BRIDGE_* environment variables and the flags, and
// the checks that a combination of them makes sense.
//
// Every setting is one row of a single table (see Settings): the flags are
// registered, the environment and the file applied, the help printed and
// docs/configuration.md checked from it. Precedence is flags, then
// environment, then the config file, then defaults.
//
// The package only reads and checks settings; it starts nothing.
package config
