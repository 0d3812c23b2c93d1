package idem

import (
	"crypto/sha1"
	"strconv"

	"github.com/google/uuid"
)

// The namespaces are UUID v5 of the URL namespace and a fixed name, written
// out so that a consumer in any language can reproduce the derivations:
//
//	DeliveryNamespace = v5(NameSpaceURL, "urn:bridge:idempotencykey")
//	EntityNamespace   = v5(NameSpaceURL, "urn:bridge:entity")
//	UUID5Namespace    = v5(NameSpaceURL, "urn:bridge:uuid5")
var (
	DeliveryNamespace = uuid.MustParse("9b0e1ec3-5b9c-5780-8728-5748379b8105")
	EntityNamespace   = uuid.MustParse("102ab9fc-18ee-54d1-b436-11e9145b4469")
	UUID5Namespace    = uuid.MustParse("39921948-6809-5e18-b0ac-3a2205824934")
)

// KeyFor returns the idempotency key of a delivery: v5(DeliveryNamespace,
// provider + "/" + id), where id is the value of the mapping's
// idempotency_key (the provider's delivery or event id) or, when the mapping
// names none, the hex SHA-256 of the raw body. Provider tokens hold no "/",
// so the join is unambiguous.
func KeyFor(provider, id string) uuid.UUID {
	return v5(DeliveryNamespace, provider, "/", id)
}

// EventKey returns the idempotency key of the index-th event that one
// delivery yields through a rule with `each`: v5(delivery, index + "/" + rule).
// A delivery that yields one event uses the delivery key itself.
func EventKey(delivery uuid.UUID, rule string, index int) uuid.UUID {
	var n [20]byte
	return v5(delivery, string(strconv.AppendInt(n[:0], int64(index), 10)), "/", rule)
}

// EntityID returns the UUID of a provider's entity: id itself when it is
// already a UUID (with or without dashes, canonicalized), else
// v5(EntityNamespace, provider + "/" + entityType + "/" + id), so the same
// entity always gets the same UUID.
func EntityID(provider, entityType, id string) uuid.UUID {
	if u, ok := ParseUUID(id); ok {
		return u
	}
	return v5(EntityNamespace, provider, "/", entityType, "/", id)
}

// ParseUUID accepts the canonical dashed form and the 32-digit hex form the
// profile's examples use, when the value carries an RFC 9562 variant and a
// version from 1 to 8: a provider id that merely happens to be 32 hex digits
// (a Pix endToEndId can) is taken for a UUID only if its bits say it is one.
// The urn: and braced forms are not accepted.
func ParseUUID(s string) (uuid.UUID, bool) {
	if len(s) != 36 && len(s) != 32 {
		return uuid.UUID{}, false
	}
	u, err := uuid.Parse(s)
	if err != nil || u.Variant() != uuid.RFC4122 || u.Version() < 1 || u.Version() > 8 {
		return uuid.UUID{}, false
	}
	return u, true
}

// UUID5 is the mapping function uuid5(parts...): v5(UUID5Namespace, the parts
// joined by "/").
func UUID5(parts ...string) uuid.UUID {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			b = append(b, '/')
		}
		b = append(b, p...)
	}
	return uuid.NewSHA1(UUID5Namespace, b)
}

// v5 is uuid.NewSHA1(space, the parts concatenated), hashed from a buffer
// on the stack when the name is short (every delivery derives two or three
// keys; NewSHA1 allocates its hash, the name and the sum).
func v5(space uuid.UUID, parts ...string) uuid.UUID {
	var stack [256]byte
	b := append(stack[:0], space[:]...)
	for _, p := range parts {
		b = append(b, p...)
	}
	sum := sha1.Sum(b)
	var u uuid.UUID
	copy(u[:], sum[:])
	u[6] = (u[6] & 0x0f) | 0x50 // version 5
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 9562 variant
	return u
}
