// Package remap runs the current mappings over the deliveries kept in the
// raw archive (archive.Reader), for `bridge remap` and the admin API's dry
// run: what was dead-lettered or unmapped then is stored now (under the
// key the live path would give it, so a provider's retry is a duplicate),
// what was stored is a duplicate and left alone, and with Reissue a stored
// event the mappings now build differently is stored again, corrected,
// under a new deterministic key, naming the event it supersedes.
package remap
