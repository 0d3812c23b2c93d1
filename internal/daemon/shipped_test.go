package daemon

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The shipped mappings of mappings/ for Mercado Pago, Slack and Shopify
// through the daemon: each provider's example deliveries, signed as the
// provider signs them with the secret the file names, are stored as the
// events of their fixtures; a retry is a duplicate; a forged one is refused
// and stores nothing.

// storedEvent checks a 202 answer of wantType against the event stored last
// on that subject, and returns its id, idempotency key and subject.
func storedEvent(t *testing.T, b *bridge, r reply, wantType string) (id, key, subject string) {
	t.Helper()
	if r.status != http.StatusAccepted || r.body["type"] != wantType {
		t.Fatalf("%d %s, want 202 and type %s", r.status, r.raw, wantType)
	}
	msg := lastMsg(t, b.js, "EVENTS", wantType)
	var ev struct{ ID, Subject, IdempotencyKey string }
	if err := json.Unmarshal(msg.Data, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ID != r.body["id"] || ev.IdempotencyKey != r.body["idempotencykey"] {
		t.Fatalf("stored %s (key %s), answered %v", ev.ID, ev.IdempotencyKey, r.body)
	}
	return ev.ID, ev.IdempotencyKey, ev.Subject
}

func assertDuplicate(t *testing.T, r reply, id string) {
	t.Helper()
	if r.status != http.StatusOK || r.body["duplicate"] != true || r.body["id"] != id {
		t.Errorf("retry: %d %s, want 200 duplicate of %s", r.status, r.raw, id)
	}
}

func assertBadSignature(t *testing.T, r reply) {
	t.Helper()
	if r.status != http.StatusUnauthorized || r.body["type"] != "urn:bridge:problem:bad-signature" {
		t.Errorf("forged: %d %s, want 401 bad-signature", r.status, r.raw)
	}
}

// TestShippedMercadoPago: payment.created, payment.updated and a later
// payment.updated of one payment, under one notification id, are three
// events (the motivating bug: keyed on the id alone the updates were
// taken for duplicates); a retry of any is a duplicate.
func TestShippedMercadoPago(t *testing.T) {
	b := startBridge(t, nil, nil)
	secret := shippedSecrets["MERCADOPAGO_WEBHOOK_SECRET"]
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	send := func(example, requestID, key string) reply {
		manifest := "id:1324567890;request-id:" + requestID + ";ts:" + ts + ";"
		return post(t, b.base+"/webhooks/mercadopago?data.id=1324567890&type=payment", readExample(t, "mercadopago/"+example),
			map[string]string{"x-request-id": requestID, "x-signature": "ts=" + ts + ",v1=" + hex.EncodeToString(hmacSHA256(key, []byte(manifest)))})
	}
	before := streamMsgs(t, b.js, "EVENTS")
	assertBadSignature(t, send("payment.created.json", "req-created", "not-"+secret))
	if n := streamMsgs(t, b.js, "EVENTS"); n != before {
		t.Fatalf("a forged notification stored %d events", n-before)
	}
	createdID, createdKey, createdSubject := storedEvent(t, b, send("payment.created.json", "req-created", secret), "event.mercadopago.payments.payment.created")
	updatedID, updatedKey, updatedSubject := storedEvent(t, b, send("payment.updated.json", "req-updated", secret), "event.mercadopago.payments.payment.updated")
	againID, againKey, againSubject := storedEvent(t, b, send("payment.updated.again.json", "req-again", secret), "event.mercadopago.payments.payment.updated")
	if keys := map[string]bool{createdKey: true, updatedKey: true, againKey: true}; len(keys) != 3 {
		t.Errorf("three notifications share keys: %v", keys)
	}
	if createdSubject != updatedSubject || updatedSubject != againSubject {
		t.Errorf("one payment, several subjects: %s, %s, %s", createdSubject, updatedSubject, againSubject)
	}
	assertDuplicate(t, send("payment.created.json", "req-created", secret), createdID)
	assertDuplicate(t, send("payment.updated.json", "req-updated", secret), updatedID)
	assertDuplicate(t, send("payment.updated.again.json", "req-again", secret), againID)
	if n := streamMsgs(t, b.js, "EVENTS"); n != before+3 {
		t.Errorf("%d events stored, want 3", n-before)
	}
}

// TestShippedSlack: the url_verification challenge is answered and stores
// nothing; a message and a reaction to it are two events of one entity.
func TestShippedSlack(t *testing.T) {
	b := startBridge(t, nil, nil)
	secret := shippedSecrets["SLACK_WEBHOOK_SECRET"]
	send := func(example, key string) reply {
		body := readExample(t, "slack/"+example)
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		sig := "v0=" + hex.EncodeToString(hmacSHA256(key, []byte("v0:"+ts+":"), body))
		return post(t, b.base+"/webhooks/slack", body, map[string]string{"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig})
	}
	before := streamMsgs(t, b.js, "EVENTS")
	r := send("url_verification.json", secret)
	if r.status != http.StatusOK || r.body["challenge"] != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("url_verification: %d %s, want 200 and the challenge", r.status, r.raw)
	}
	assertBadSignature(t, send("message.json", "not-"+secret))
	if n := streamMsgs(t, b.js, "EVENTS"); n != before {
		t.Fatalf("the handshake or a forged event stored %d events", n-before)
	}
	msgID, _, msgSubject := storedEvent(t, b, send("message.json", secret), "event.slack.chat.message.posted")
	_, _, reactionSubject := storedEvent(t, b, send("reaction_added.json", secret), "event.slack.chat.message.reaction_added")
	if msgSubject != reactionSubject {
		t.Errorf("the reaction's subject %s is not its message's %s", reactionSubject, msgSubject)
	}
	storedEvent(t, b, send("app_mention.json", secret), "event.slack.chat.message.mentioned_app")
	assertDuplicate(t, send("message.json", secret), msgID) // Slack's retry: same event_id, new timestamp
	if n := streamMsgs(t, b.js, "EVENTS"); n != before+3 {
		t.Errorf("%d events stored, want 3", n-before)
	}
}

// TestShippedShopify: the topic and the delivery id come in headers;
// orders/create and orders/paid of one order are two events of one entity,
// a retry (same X-Shopify-Webhook-Id) is a duplicate.
func TestShippedShopify(t *testing.T) {
	b := startBridge(t, nil, nil)
	secret := shippedSecrets["SHOPIFY_WEBHOOK_SECRET"]
	send := func(example, topic, webhookID, key string) reply {
		body := readExample(t, "shopify/"+example)
		return post(t, b.base+"/webhooks/shopify", body, map[string]string{
			"X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": webhookID, "X-Shopify-Shop-Domain": "acme-store.myshopify.com",
			"X-Shopify-Hmac-Sha256": base64.StdEncoding.EncodeToString(hmacSHA256(key, body)),
		})
	}
	before := streamMsgs(t, b.js, "EVENTS")
	assertBadSignature(t, send("orders.create.json", "orders/create", "3f6b2c1e-9d4a-4f7e-8b21-5c0d7e9a1b43", "not-"+secret))
	if n := streamMsgs(t, b.js, "EVENTS"); n != before {
		t.Fatalf("a forged delivery stored %d events", n-before)
	}
	createdID, _, createdSubject := storedEvent(t, b, send("orders.create.json", "orders/create", "3f6b2c1e-9d4a-4f7e-8b21-5c0d7e9a1b43", secret), "event.shopify.commerce.order.created")
	_, _, paidSubject := storedEvent(t, b, send("orders.paid.json", "orders/paid", "8a0e4d72-1c3b-4e5f-9a6d-2b7c8e0f1a35", secret), "event.shopify.commerce.order.paid")
	if createdSubject != paidSubject {
		t.Errorf("one order, two subjects: %s, %s", createdSubject, paidSubject)
	}
	storedEvent(t, b, send("refunds.create.json", "refunds/create", "c2d9e6f1-7a3b-4c8d-9e0f-4a1b6c3d8e27", secret), "event.shopify.commerce.refund.created")
	assertDuplicate(t, send("orders.create.json", "orders/create", "3f6b2c1e-9d4a-4f7e-8b21-5c0d7e9a1b43", secret), createdID)
	if n := streamMsgs(t, b.js, "EVENTS"); n != before+3 {
		t.Errorf("%d events stored, want 3", n-before)
	}
}
