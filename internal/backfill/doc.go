// Package backfill owns `bridge backfill`: it pages through a provider's
// list API as the provider's mapping file says (its backfill: block,
// compiled by transform), and hands each item to the pipeline as a
// delivery of ingest kind backfill, so that an event the webhook already
// stored is a duplicate and only the missing ones are stored.
//
// It owns the HTTP side (timeouts, a cap on a page's size, retries of 429
// and 5xx answers honouring Retry-After, a cap on pages, a guard against a
// next page that repeats) and the count of outcomes. It does not map,
// de-duplicate or store: the pipeline does, as for every door.
package backfill
