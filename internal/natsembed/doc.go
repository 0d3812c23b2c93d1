// Package natsembed runs the nats-server with JetStream that the bridge
// starts inside its own process when no external NATS URL is configured.
//
// It owns the server's lifecycle (Start, Shutdown), its options and the
// routing of the server's log lines to slog. It does not create streams or
// connect clients: see packages publish (streams) and natsconn (connecting).
package natsembed
