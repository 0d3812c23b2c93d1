// Package playground is the mapping playground of the admin listener: a
// page (GET /playground, plain HTML, CSS and a small script embedded in the
// binary) and the JSON API behind it. It maps a payload with a mapping
// file's text as edited, without publishing anything: POST /api/map runs
// the same dry run as `bridge map` (Map), answers the events, the rule that
// matched, the profile checks or the dead-letter reason, and the fixture
// test that pins the result. GET /api/mappings describes the running
// mapping set and GET /api/catalog lists the types it can emit.
//
// It never touches NATS or the running mapping set: an edited mapping is
// compiled aside, with placeholder secrets. The page's other views use the
// admin listener's other APIs: Dead letters the dead-letter API
// (deadletter/replay: GET /api/dlq, POST /api/dlq/replay), Events the
// stored events (eventlog: GET /api/events), and the catalogue links the
// AsyncAPI document (asyncapi: GET /api/asyncapi).
package playground
