package signature

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// ed25519Key is a fixed key pair from a seed, so failures reproduce.
func ed25519Key(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func ed25519Hex(k ed25519.PrivateKey) string {
	return hex.EncodeToString(k.Public().(ed25519.PublicKey))
}

// ed25519Sign signs as Discord does: the hex Ed25519 signature of
// "<timestamp><body>".
func ed25519Sign(k ed25519.PrivateKey, at time.Time, body []byte) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	h := http.Header{}
	h.Set("X-Signature-Timestamp", ts)
	h.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(k, append([]byte(ts), body...))))
	return h
}

// TestEd25519AgreesWithDiscordgo checks the test signer against
// discordgo's VerifyInteraction (Discord publishes no Go SDK; discordgo is
// the Go library its documentation lists), so what the tests sign is what
// Discord sends.
func TestEd25519AgreesWithDiscordgo(t *testing.T) {
	k := ed25519Key(1)
	body := []byte(`{"type":1,"id":"1234","application_id":"5678"}`)
	h := ed25519Sign(k, time.Now(), body)
	r := httptest.NewRequest(http.MethodPost, "/webhooks/discord", bytes.NewReader(body))
	r.Header = h
	if !discordgo.VerifyInteraction(r, k.Public().(ed25519.PublicKey)) {
		t.Fatal("discordgo refuses the test signature")
	}
	v := mustNew(t, Config{Scheme: SchemeDiscord, Settings: map[string]string{"public_key": ed25519Hex(k)}})
	assertReason(t, v.Verify(h, body, time.Now()), "")
}

func TestEd25519(t *testing.T) {
	current, next, other := ed25519Key(1), ed25519Key(2), ed25519Key(3)
	body := []byte(`{"type":2,"id":"786008729715212338","data":{"name":"pay"}}`)
	now := time.Unix(1_700_000_000, 0)
	good := ed25519Sign(current, now, body)
	set := func(k, v string) http.Header {
		h := good.Clone()
		if v == "" {
			h.Del(k)
		} else {
			h.Set(k, v)
		}
		return h
	}
	tests := []struct {
		name    string
		h       http.Header
		body    []byte
		want    Reason
		wantHdr string
	}{
		{name: "signed with the current key", h: good, body: body},
		{name: "signed with the next key", h: ed25519Sign(next, now, body), body: body},
		{name: "at the tolerance", h: ed25519Sign(current, now.Add(-DefaultTolerance), body), body: body},
		{name: "tampered body", h: good, body: bytes.Replace(body, []byte("pay"), []byte("pax"), 1), want: ReasonMismatch, wantHdr: "X-Signature-Ed25519"},
		{name: "another key", h: ed25519Sign(other, now, body), body: body, want: ReasonMismatch, wantHdr: "X-Signature-Ed25519"},
		{name: "timestamp changed", h: set("X-Signature-Timestamp", strconv.FormatInt(now.Unix()-1, 10)), body: body, want: ReasonMismatch, wantHdr: "X-Signature-Ed25519"},
		{name: "expired", h: ed25519Sign(current, now.Add(-DefaultTolerance-time.Second), body), body: body, want: ReasonExpired, wantHdr: "X-Signature-Timestamp"},
		{name: "from the future", h: ed25519Sign(current, now.Add(DefaultTolerance+time.Second), body), body: body, want: ReasonExpired, wantHdr: "X-Signature-Timestamp"},
		{name: "signature missing", h: set("X-Signature-Ed25519", ""), body: body, want: ReasonMissing, wantHdr: "X-Signature-Ed25519"},
		{name: "timestamp missing", h: set("X-Signature-Timestamp", ""), body: body, want: ReasonMissing, wantHdr: "X-Signature-Timestamp"},
		{name: "signature not hex", h: set("X-Signature-Ed25519", "zz"+good.Get("X-Signature-Ed25519")[2:]), body: body, want: ReasonMalformed, wantHdr: "X-Signature-Ed25519"},
		{name: "signature short", h: set("X-Signature-Ed25519", good.Get("X-Signature-Ed25519")[:64]), body: body, want: ReasonMalformed, wantHdr: "X-Signature-Ed25519"},
		{name: "timestamp not a number", h: set("X-Signature-Timestamp", "now"), body: body, want: ReasonMalformed, wantHdr: "X-Signature-Timestamp"},
	}
	for _, scheme := range []string{SchemeEd25519, SchemeDiscord} {
		v := mustNew(t, Config{Scheme: scheme, Settings: map[string]string{"public_key": ed25519Hex(current) + ", " + strings.ToUpper(ed25519Hex(next))}})
		for _, tc := range tests {
			t.Run(scheme+"/"+tc.name, func(t *testing.T) {
				err := v.Verify(tc.h, tc.body, now)
				assertReason(t, err, tc.want)
				if tc.want != "" && err.(*Error).Header != tc.wantHdr {
					t.Errorf("header = %q, want %q", err.(*Error).Header, tc.wantHdr)
				}
			})
		}
		if got := v.DeliveryHeader(); got != "" {
			t.Errorf("%s: DeliveryHeader = %q, want none", scheme, got)
		}
	}
}

func TestEd25519Config(t *testing.T) {
	key := ed25519Hex(ed25519Key(1))
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no public key", Config{Scheme: SchemeDiscord}, "public_key is required by scheme discord (the provider's Ed25519 public key, 64 hex digits)"},
		{"empty public key", Config{Scheme: SchemeEd25519, Settings: map[string]string{"public_key": " , "}}, "public_key is empty: want the provider's Ed25519 public key, 64 hex digits"},
		{"not hex", Config{Scheme: SchemeEd25519, Settings: map[string]string{"public_key": key + ",xyz"}}, "public_key 2 is not an Ed25519 public key: want 64 hex digits, got 3 characters"},
		{"a secret", Config{Scheme: SchemeDiscord, Secrets: []Secret{"s"}, Settings: map[string]string{"public_key": key}},
			"scheme discord takes no secret: its public_key setting holds the provider's public key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(tc.cfg)
			var ce *ConfigError
			if v != nil || !errors.As(err, &ce) || err.Error() != tc.want {
				t.Fatalf("New = %v, %v; want only %q", v, err, tc.want)
			}
		})
	}
}

func TestEd25519Block(t *testing.T) {
	k1, k2 := ed25519Key(1), ed25519Key(2)
	v, ds := parseSignature(t, "  signature:\n    scheme: discord\n    public_key: "+ed25519Hex(k1)+" "+ed25519Hex(k2)+"\n    tolerance: 1m")
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	body := []byte(`{"type":1}`)
	now := time.Now()
	assertReason(t, v.Verify(ed25519Sign(k2, now, body), body, now), "")
	assertReason(t, v.Verify(ed25519Sign(k2, now.Add(-2*time.Minute), body), body, now), ReasonExpired)
	_, ds = parseSignature(t, "  signature: {scheme: ed25519, secret: '${HMAC_SECRET}', public_key: "+ed25519Hex(k1)+"}")
	if len(ds) != 1 || !strings.Contains(ds[0], "takes no secret") {
		t.Errorf("a secret on ed25519: %v", ds)
	}
}

func FuzzEd25519Headers(f *testing.F) {
	k := ed25519Key(1)
	body := []byte(`{"type":1}`)
	good := ed25519Sign(k, time.Unix(1_700_000_000, 0), body)
	f.Add(good.Get("X-Signature-Ed25519"), good.Get("X-Signature-Timestamp"))
	f.Add("", "")
	f.Add("00", "1e9")
	v, err := New(Config{Scheme: SchemeEd25519, Settings: map[string]string{"public_key": ed25519Hex(k)}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sig, ts string) {
		h := http.Header{}
		h.Set("X-Signature-Ed25519", sig)
		h.Set("X-Signature-Timestamp", ts)
		if err := v.Verify(h, body, time.Unix(1_700_000_000, 0)); err != nil && !isRejection(err) {
			t.Fatalf("Verify returned %v, not a rejection", err)
		}
	})
}

// TestEd25519Example verifies docs/signatures.md's example: signed with
// the private key of RFC 8032's test 1, whose public key is d75a98...511a
// (Ed25519 signatures are deterministic).
func TestEd25519Example(t *testing.T) {
	body := []byte(`{"type":1,"id":"1091442367934521385","application_id":"1091442367934521300","token":"aW50ZXJhY3Rpb24"}`)
	h := http.Header{}
	h.Set("X-Signature-Ed25519", "717e23c1acd18e51232cb21497d676bd0b6cf7577cd558d3a136191ba1ca1c4d014326621ee76cbb59f85755c7385e50d692f5f604f8e6530d55bdb0aa510504")
	h.Set("X-Signature-Timestamp", "1700000000")
	v := mustNew(t, Config{Scheme: SchemeDiscord, Settings: map[string]string{"public_key": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"}})
	assertReason(t, v.Verify(h, body, time.Unix(1700000000, 0)), "")
	assertReason(t, v.Verify(h, body[1:], time.Unix(1700000000, 0)), ReasonMismatch)
}
