package asyncapi

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/bridge-dev/bridge/internal/buildinfo"
	"github.com/bridge-dev/bridge/internal/natsembed"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/tracing"
	"github.com/bridge-dev/bridge/internal/transform"
)

// Version is the AsyncAPI version of the documents Build makes.
const Version = "3.0.0"

// Options of Build.
type Options struct {
	// NATSURLs are the NATS servers the bridge stores its events on, as
	// bridge run's --nats-url; default none: the embedded server at
	// NATSListen. User information in a URL is never written.
	NATSURLs []string
	// NATSListen is the embedded server's client address, used when
	// NATSURLs is empty (default bridge run's, "127.0.0.1:4222").
	NATSListen string
	// Stream is the events stream (default "EVENTS").
	Stream string
	// Version is the document's info.version (default the bridge's build
	// version).
	Version string
}

// Document is an AsyncAPI 3.0 document.
type Document struct {
	root object
}

// JSON is the document as indented JSON.
func (d *Document) JSON() ([]byte, error) { return encodeJSON(d.root) }

// YAML is the document as YAML.
func (d *Document) YAML() ([]byte, error) { return encodeYAML(d.root) }

// Build describes every event type set can emit (set.Catalog) as an
// AsyncAPI 3.0 document. It reads the set's mapping files for their
// comments and the schema files its rules validate data against; an error
// names the file that could not be read.
func Build(set *transform.Set, opts Options) (*Document, error) {
	if set == nil {
		return nil, errors.New("asyncapi: no mapping set")
	}
	if opts.NATSListen == "" {
		opts.NATSListen = natsembed.DefaultListen
	}
	if opts.Stream == "" {
		opts.Stream = publish.DefaultStream
	}
	if opts.Version == "" {
		opts.Version = buildinfo.Read().Version
	}
	b := &builder{set: set, opts: opts, comments: map[string]comments{}, schemaKeys: map[string]string{}}
	servers, err := b.servers()
	if err != nil {
		return nil, err
	}
	channels, operations, messages := object{}, object{}, object{}
	cat := set.Catalog()
	for start := 0; start < len(cat); {
		end := start + 1
		for end < len(cat) && cat[end].Type == cat[start].Type {
			end++
		}
		entries := cat[start:end] // the rules that emit one type
		start = end
		t := entries[0].Type
		channels.set(t, b.channel(entries))
		operations.set(t, object{
			{"action", "send"},
			{"channel", ref("#/channels/" + t)},
			{"summary", "The bridge stores " + t + " events."},
			{"messages", []any{ref("#/channels/" + t + "/messages/" + t)}},
		})
		messages.set(t, b.message(entries))
	}
	info := b.info(len(channels))
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	root := object{
		{"asyncapi", Version},
		{"info", info},
		{"defaultContentType", publish.ContentTypeCloudEvents},
		{"servers", servers},
		{"channels", channels},
		{"operations", operations},
	}
	components := object{{"messages", messages}}
	if len(b.schemas) > 0 {
		components.set("schemas", b.schemas)
	}
	root.set("components", components)
	return &Document{root: root}, nil
}

// builder holds what the document's parts share while Build makes them.
type builder struct {
	set        *transform.Set
	opts       Options
	comments   map[string]comments // by mapping file
	schemas    object              // components.schemas: the data schemas
	schemaKeys map[string]string   // schema file -> its key in schemas
	errs       []error
}

func ref(to string) object { return object{{"$ref", to}} }

// info is the document's info object; its tags are the providers, each
// described by the comment at the head of its mapping file.
func (b *builder) info(types int) object {
	desc := fmt.Sprintf(`The events the bridge stores in the JetStream stream %s: %d event type(s), from the mapping files of %d provider(s).

One channel per event type: its address is the NATS subject the bridge stores that type on, which is the type itself. This document describes the bridge, so every operation is a send: the bridge sends (stores) the events, and a subscriber receives them from the stream, with a consumer filtered on `+"`event.>`"+`, on a provider's `+"`event.<provider>.>`"+` or on one channel's address.

Each message is a CloudEvent 1.0 in structured mode (%s, under %d bytes) that follows the bridge's CloudEvents profile; its headers repeat the event's id, type, source and subject, so that a consumer can filter without parsing, and %s is its idempotencykey. data follows the JSON Schema the type's rule validates it against, when the rule names one.

Consumers must be idempotent by idempotencykey (the same delivery stored twice has two ids and one key) and must keep the order of the events of one subject (one entity): the bridge stores them in the order it received them.`,
		b.opts.Stream, types, len(b.set.Providers()), publish.ContentTypeCloudEvents, transform.MaxEventSize, publish.HeaderMsgID)
	var tags []any
	for _, p := range b.set.Providers() {
		m, _ := b.set.Mapping(p)
		tag := object{{"name", p}}
		if c := b.commentsOf(m.File); c.file != "" {
			tag.set("description", c.file)
		}
		tags = append(tags, tag)
	}
	info := object{
		{"title", "bridge events"},
		{"version", b.opts.Version},
		{"description", desc},
	}
	if len(tags) > 0 {
		info.set("tags", tags)
	}
	return info
}

// servers are the NATS servers subscribers connect to.
func (b *builder) servers() (object, error) {
	if len(b.opts.NATSURLs) == 0 {
		host, port, err := net.SplitHostPort(b.opts.NATSListen)
		if err != nil {
			return nil, fmt.Errorf("asyncapi: nats listen address %q: %w", b.opts.NATSListen, err)
		}
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		return object{{"nats", object{
			{"host", net.JoinHostPort(host, port)},
			{"protocol", "nats"},
			{"description", "The bridge's embedded NATS server (--nats-listen)."},
		}}}, nil
	}
	servers := object{}
	var errs []error
	for i, raw := range b.opts.NATSURLs {
		s := strings.TrimSpace(raw)
		if !strings.Contains(s, "://") {
			s = "nats://" + s
		}
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			// The URL may hold a password: the error names its position only.
			errs = append(errs, fmt.Errorf("asyncapi: nats url %d of %d: not a URL", i+1, len(b.opts.NATSURLs)))
			continue
		}
		server := object{{"host", u.Host}, {"protocol", "nats"}}
		switch u.Scheme {
		case "tls":
			server.set("description", "A NATS server of the bridge (--nats-url), over TLS.")
		case "nats":
			server.set("description", "A NATS server of the bridge (--nats-url).")
		default:
			server.set("protocol", u.Scheme) // ws, wss: NATS over WebSocket
			server.set("description", "A NATS server of the bridge (--nats-url), over "+u.Scheme+".")
		}
		key := "nats"
		if len(b.opts.NATSURLs) > 1 {
			key = fmt.Sprintf("nats-%d", i+1)
		}
		servers.set(key, server)
	}
	return servers, errors.Join(errs...)
}

// commentsOf reads a mapping file's comments once.
func (b *builder) commentsOf(file string) comments {
	if c, ok := b.comments[file]; ok {
		return c
	}
	var c comments
	data, err := os.ReadFile(file)
	if err == nil {
		c, err = readComments(data)
	}
	if err != nil {
		b.errs = append(b.errs, fmt.Errorf("asyncapi: mapping file %s: %w", file, err))
	}
	b.comments[file] = c
	return c
}

// channel is one event type's channel: its address, and a description
// from the comments above its rules.
func (b *builder) channel(entries []transform.CatalogEntry) object {
	t := entries[0].Type
	var parts []string
	for _, e := range entries {
		if c := b.commentsOf(e.File).rules[e.Line]; c != "" {
			parts = append(parts, c)
		}
	}
	var from []string
	for _, e := range entries {
		from = append(from, fmt.Sprintf("rule %q of %s (line %d)", e.Rule, filepath.Base(e.File), e.Line))
	}
	parts = append(parts, fmt.Sprintf("Stored on subject %s of stream %s by %s.", t, b.opts.Stream, strings.Join(from, " and ")))
	return object{
		{"address", t},
		{"title", t},
		{"description", strings.Join(parts, "\n\n")},
		{"messages", object{{t, ref("#/components/messages/" + t)}}},
	}
}

// message is one event type's message: the headers the bridge sets on
// the NATS message and the structured CloudEvent.
func (b *builder) message(entries []transform.CatalogEntry) object {
	e := entries[0]
	payload := b.payload(entries) // adds the data schemas
	m := object{{"name", e.Type}, {"title", e.Type}}
	if e.SchemaFile != "" {
		s, _ := b.schemas.get(b.schemaKeys[e.SchemaFile])
		if s, ok := s.(object); ok {
			if title, ok := s.get("title"); ok {
				if title, ok := title.(string); ok {
					m.set("summary", title) // the data schema's title: "Stripe charge succeeded"
				}
			}
		}
	}
	m = append(m, object{
		{"contentType", publish.ContentTypeCloudEvents},
		{"tags", []any{object{{"name", e.Provider}}}},
		{"headers", headers(e.Type)},
		{"payload", payload},
	}...)
	return m
}

var (
	uuidPattern   = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
	uuidV7Pattern = "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)

func headers(eventType string) object {
	return object{
		{"type", "object"},
		{"required", []any{publish.HeaderContentType, publish.HeaderMsgID, publish.HeaderCEID, publish.HeaderCEType, publish.HeaderCESource, publish.HeaderCESubject}},
		{"properties", object{
			{publish.HeaderContentType, object{{"const", publish.ContentTypeCloudEvents}}},
			{publish.HeaderMsgID, object{
				{"description", "The event's idempotencykey: JetStream stores one message per key within the stream's duplicate window."},
				{"type", "string"}, {"format", "uuid"}}},
			{publish.HeaderCEID, object{{"description", "The event's id."}, {"type", "string"}, {"format", "uuid"}}},
			{publish.HeaderCEType, object{{"description", "The event's type."}, {"const", eventType}}},
			{publish.HeaderCESource, object{{"description", "The event's source."}, {"type", "string"}, {"format", "uri"}}},
			{publish.HeaderCESubject, object{{"description", "The event's subject."}, {"type", "string"}}},
			{tracing.HeaderTraceParent, object{{"description", "The W3C trace context of the delivery, when it carried one (as the event's traceparent)."}, {"type", "string"}}},
			{tracing.HeaderTraceState, object{{"description", "The W3C trace state, with traceparent."}, {"type", "string"}}},
		}},
	}
}

// payload is the structured-mode CloudEvent of a type, per the profile.
func (b *builder) payload(entries []transform.CatalogEntry) object {
	e := entries[0]
	entityType := ""
	if tokens := strings.Split(e.Type, "."); len(tokens) == 5 {
		entityType = tokens[3]
	}
	required := []any{"specversion", "id", "source", "type", "subject", "time", "datacontenttype", transform.ExtIdempotencyKey}
	props := object{
		{"specversion", object{{"description", "The CloudEvents version."}, {"const", "1.0"}}},
		{"id", object{{"description", "The event's id: a UUID v7, so that ids sort by time."}, {"type", "string"}, {"format", "uuid"}, {"pattern", uuidV7Pattern}}},
		{"source", object{{"description", "The entity where the event comes from: the provider's URI for it."}, {"type", "string"}, {"format", "uri"}}},
		{"type", object{{"const", e.Type}}},
		{"subject", object{{"description", "The entity: <entity_type>/<entity UUID>. The events of one subject are stored in the order the bridge received them."},
			{"type", "string"}, {"pattern", "^" + regexp.QuoteMeta(entityType) + "/" + uuidPattern + "$"}}},
		{"time", object{{"description", "When it happened: the rule's time, else when the bridge received the delivery."}, {"type", "string"}, {"format", "date-time"}}},
		{"datacontenttype", object{{"const", transform.ContentJSON}}},
	}
	// dataschema: the URIs the type's rules write, if every rule writes one.
	var uris []any
	all := true
	for _, e := range entries {
		if e.DataSchema == "" {
			all = false
		} else if !containsString(uris, e.DataSchema) {
			uris = append(uris, e.DataSchema)
		}
	}
	switch {
	case len(uris) == 1:
		props.set("dataschema", object{{"description", "The URI of data's JSON Schema."}, {"const", uris[0]}})
	case len(uris) > 1:
		props.set("dataschema", object{{"description", "The URI of data's JSON Schema."}, {"enum", uris}})
	}
	if len(uris) > 0 && all {
		required = append(required, "dataschema")
	}
	props.set(transform.ExtIdempotencyKey, object{
		{"description", "The delivery's key: the same delivery stored twice has two ids and this one key. Handle each key once."},
		{"type", "string"}, {"format", "uuid"}, {"pattern", "^" + uuidPattern + "$"}})
	if m, ok := b.set.Mapping(e.Provider); ok && m.Accepts(transform.IngestEvents) {
		props.set(transform.ExtFlowID, object{{"description", "The events protocol's flowId of the call that made the event, when it had one."}, {"type", "string"}})
	}
	props.set(transform.ExtTraceParent, object{{"description", "The W3C trace context of the delivery, when it carried one."}, {"type", "string"}})
	props.set(transform.ExtTraceState, object{{"description", "The W3C trace state, with traceparent."}, {"type", "string"}})
	props.set("data", b.data(entries))
	required = append(required, "data")
	return object{{"type", "object"}, {"required", required}, {"properties", props}}
}

func containsString(list []any, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// data is the schema of a type's data: its rule's JSON Schema, or a choice
// between its rules' when they differ.
func (b *builder) data(entries []transform.CatalogEntry) any {
	var choices []any
	for _, e := range entries {
		var s any
		switch {
		case e.SchemaFile != "":
			s = ref("#/components/schemas/" + b.schema(e))
		case e.DataSchema != "":
			s = object{{"description", "Described by " + e.DataSchema + ", which the bridge has no local copy of: data is not validated."}, {"type", "object"}}
		default:
			s = object{{"description", "The rule names no JSON Schema."}, {"type", "object"}}
		}
		if !containsSchema(choices, s) {
			choices = append(choices, s)
		}
	}
	if len(choices) == 1 {
		return choices[0]
	}
	return object{{"oneOf", choices}}
}

func containsSchema(list []any, s any) bool {
	a, _ := encodeJSON(s)
	for _, v := range list {
		if b, _ := encodeJSON(v); string(a) == string(b) {
			return true
		}
	}
	return false
}

// schemaKeyRE matches what AsyncAPI accepts as a component key.
var schemaKeyRE = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// schema adds the schema file of e to components.schemas, once, and
// returns its key: its dataschema URI's path with dots for slashes and
// without .json (stripe.payments.charge.succeeded.v1), else the file's
// name.
func (b *builder) schema(e transform.CatalogEntry) string {
	if key, ok := b.schemaKeys[e.SchemaFile]; ok {
		return key
	}
	base := strings.TrimSuffix(filepath.Base(e.SchemaFile), filepath.Ext(e.SchemaFile))
	if u, err := url.Parse(e.DataSchema); err == nil && strings.Trim(u.Path, "/") != "" {
		base = strings.ReplaceAll(strings.TrimSuffix(strings.Trim(u.Path, "/"), ".json"), "/", ".")
	}
	base = schemaKeyRE.ReplaceAllString(base, "_")
	key := base
	for n := 2; ; n++ {
		if _, taken := b.schemas.get(key); !taken {
			break
		}
		key = fmt.Sprintf("%s_%d", base, n)
	}
	b.schemaKeys[e.SchemaFile] = key
	s, err := readSchema(e.SchemaFile, key)
	if err != nil {
		b.errs = append(b.errs, fmt.Errorf("asyncapi: schema of %s (%s:%d): %w", e.Type, e.File, e.Line, err))
		s = object{}
	}
	b.schemas.set(key, s)
	return key
}

// readSchema reads a JSON Schema file to be the component key. The schema
// keeps its keywords in its file's order, without $schema and $id: in the
// document it is an AsyncAPI Schema (a superset of JSON Schema draft 07,
// whose keywords the 2020-12 schemas of a mapping set use), identified by
// the dataschema URI of the events. So that its references still point at
// what they did, a reference within the file ("#/$defs/x") is rewritten to
// its place in the document and any other one is made absolute against
// the schema's $id.
func readSchema(file, key string) (any, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	v, err := decodeOrdered(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	s, ok := v.(object)
	if !ok {
		if _, isBool := v.(bool); isBool {
			return v, nil
		}
		return nil, fmt.Errorf("%s: a schema is a JSON object or a boolean", file)
	}
	var base *url.URL
	if id, ok := s.get("$id"); ok {
		if id, ok := id.(string); ok {
			base, _ = url.Parse(id)
		}
	}
	return rewriteRefs(s.without("$schema", "$id"), "#/components/schemas/"+key, base), nil
}

// rewriteRefs returns v with every "$ref" moved to the schema's place in
// the document (local references) or made absolute against base.
func rewriteRefs(v any, at string, base *url.URL) any {
	switch v := v.(type) {
	case object:
		out := make(object, len(v))
		for i, m := range v {
			out[i] = member{m.key, rewriteRefs(m.val, at, base)}
			r, isString := m.val.(string)
			if m.key != "$ref" || !isString {
				continue
			}
			switch {
			case r == "#" || strings.HasPrefix(r, "#/"):
				out[i].val = at + strings.TrimPrefix(r, "#")
			case base != nil:
				if u, err := url.Parse(r); err == nil {
					out[i].val = base.ResolveReference(u).String()
				}
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = rewriteRefs(e, at, base)
		}
		return out
	}
	return v
}
