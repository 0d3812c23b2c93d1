// Package config holds the settings of `bridge run`: the YAML config file,
// the BRIDGE_* environment variables and the flags, and the checks that a
// combination of them makes sense, each problem named by its flag.
//
// Every setting is one row of a single table (see Settings): the flags are
// registered, the environment and the file applied, the help printed and
// docs/configuration.md checked from it. Precedence is flags, then
// environment, then the config file, then defaults.
//
// Config nests the configuration of the components that own one (Streams
// is a publish.Config, Idempotency an idem.StoreConfig, Tracing a
// tracing.Config), and Default starts from their own defaults: a default
// is declared once, by the component that uses it (the NATS ingest
// settings' defaults are ingest's Default... constants). The settings no
// component owns (listeners, NATS credentials, webhook limits) are fields
// of Config, with their defaults here.
//
// The package only reads and checks settings; it starts nothing.
package config
