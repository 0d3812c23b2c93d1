// Package natsconn owns how the bridge dials NATS: Connect (reconnect for
// ever, buffer nothing while disconnected, log the connection's life) and
// Security (credentials and TLS for a configured server), for the daemon
// and the command-line tools alike.
//
// It is a package of its own, not part of natsembed, because every client
// connects, to the embedded server or to a configured cluster, while only
// `bridge run` without --nats-url starts a server. It does not start
// servers (natsembed), create streams or store messages (publish).
package natsconn
