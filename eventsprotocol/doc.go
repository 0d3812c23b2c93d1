// Package eventsprotocol speaks the events protocol (Guiabolso's, with
// reference libraries in Kotlin and Python): a service POSTs an envelope
// {name, version, id, flowId, payload, identity, auth, metadata} to an
// /events/ endpoint and gets an envelope back, always with HTTP 200. The
// answer's name is the request's plus a suffix that says how it went
// ("user:name:set:response", "user:name:set:bad_request", ...), or one of
// eventNotFound and badProtocol; error payloads are {"code", "parameters"}.
// The contract is the bridge's spec, events-protocol.md.
//
// The package holds the envelope (Envelope, Version), its parser for
// untrusted bytes (Parse), the rules (ValidateName, Envelope.Validate), the
// answers (ResponseFor, ErrorFor, EventNotFoundFor, BadProtocol), a client
// (Send, Client) that turns error answers into typed errors, and a server
// (Server) that routes requests to a Handler per name and version, and
// that can check a caller's auth.token on the raw bytes before it parses
// anything (WithAuthenticator, with Peek). It does not own what a service
// does with an event: the bridge plugs its own routing in as the server's
// fallback.
//
// A client:
//
//	resp, err := eventsprotocol.Send(ctx, "http://host/events/", "user:name:set", 1,
//		map[string]any{"name": "Ana"})
//	var bad *eventsprotocol.BadRequestError
//	if errors.As(err, &bad) {
//		log.Print(bad.Code, bad.Parameters)
//	}
//
// A server:
//
//	srv, _ := eventsprotocol.NewServer()
//	srv.HandleFunc("user:name:set", 1, func(ctx context.Context, req *eventsprotocol.Envelope) (*eventsprotocol.Envelope, error) {
//		var in struct{ Name string }
//		if err := req.DecodePayload(&in); err != nil {
//			return eventsprotocol.ErrorFor(req, eventsprotocol.SuffixBadRequest, "INVALID_PAYLOAD", nil)
//		}
//		return eventsprotocol.ResponseFor(req, map[string]any{"greeting": "hi " + in.Name})
//	})
//	http.Handle("/events/", srv) // /events/ and /events/others
package eventsprotocol
