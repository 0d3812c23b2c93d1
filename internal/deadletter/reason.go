package deadletter

// Reason says why a payload is a dead letter. It is the last token of the
// dead letter's subject and its HeaderReason, a label of the
// bridge_dead_letters_total metric, and the "reason" of a dead-lettered
// answer; every package that dead-letters uses these values.
type Reason string

// Reasons of a mapping (transform.Failure): a rule was looked for.
const (
	// ReasonNoRule: no rule's when is true for the payload.
	ReasonNoRule Reason = "no_rule"
	// ReasonEvalError: an expression failed on the payload (a missing
	// field, a wrong type, an exceeded budget, an empty idempotency key).
	ReasonEvalError Reason = "eval_error"
	// ReasonInvalidEvent: the built event breaks the CloudEvents profile
	// (data not an object, too deep or too big, a bad source).
	ReasonInvalidEvent Reason = "invalid_event"
	// ReasonSchema: the event's data does not match the rule's JSON Schema.
	ReasonSchema Reason = "schema"
)

// Reasons of an ingestor: the payload never reached a rule, or could not
// be stored.
const (
	// ReasonNotJSON: the payload does not parse as JSON.
	ReasonNotJSON Reason = "not_json"
	// ReasonMaxDeliveries: JetStream could not store the payload's events in
	// the NATS consumer's MaxDeliver attempts.
	ReasonMaxDeliveries Reason = "max_deliveries"
	// ReasonNoMapping: no mapping file takes NATS payloads of the provider.
	ReasonNoMapping Reason = "no_mapping"
	// ReasonPanic: the bridge panicked while handling the payload (a bug;
	// the stack is logged). The payload is kept; replay it once fixed.
	ReasonPanic Reason = "panic"
)

// Reasons lists every reason, those of a mapping first.
func Reasons() []Reason {
	return []Reason{ReasonNoRule, ReasonEvalError, ReasonInvalidEvent, ReasonSchema,
		ReasonNotJSON, ReasonMaxDeliveries, ReasonNoMapping, ReasonPanic}
}
