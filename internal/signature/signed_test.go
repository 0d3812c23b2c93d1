package signature

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSignedExpressions: an hmac scheme whose signed is an expression
// MACs what the expression builds from the delivery (body, headers, query,
// url, the signature header's parts), takes the MAC from the header or
// from the part mac names, and checks a timestamp from a header or from
// an expression against the tolerance.
func TestSignedExpressions(t *testing.T) {
	const secret, old, other = "acme-secret", "acme-old", "someone-else"
	now := time.Unix(1_700_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	stale := strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10)
	body := `{"id":"evt_1","type":"order.paid"}`
	hexMAC := func(secret string, parts ...string) string {
		return hex.EncodeToString(hmacSign(sha256.New, secret, parts...))
	}
	// Stripe-like: "t=<ts>,v1=<hex MAC of ts.body>".
	stripeLike := map[string]string{"header": "X-Acme-Signature", "signed": `sig.t + "." + body`, "mac": "sig.v1", "timestamp": "sig.t"}
	stripeSig := func(secret, t, body string) string { return "t=" + t + ",v1=" + hexMAC(secret, t+"."+body) }
	// The timestamp in a header of its own, signed with the body.
	headerTS := map[string]string{"header": "X-Sig", "signed": `headers["X-Ts"] + ":" + body`, "timestamp_header": "x-ts"}
	// The public URL with the request's query, then the body; base64 behind a prefix.
	urlSigned := map[string]string{"header": "X-Sig", "signed": "url + body", "url": "https://bridge.example.com/webhooks/acme",
		"encoding": "base64", "prefix": "sha512=", "algorithm": "sha512"}
	urlSig := func(secret, u, body string) string {
		return "sha512=" + base64.StdEncoding.EncodeToString(hmacSign(sha512.New, secret, u+body))
	}
	// A query parameter and a header, no timestamp.
	querySigned := map[string]string{"header": "X-Sig", "signed": `query["id"] + "|" + headers["X-Request-Id"] + "|" + body`}

	tests := []struct {
		name     string
		settings map[string]string
		query    string
		headers  map[string]string
		body     string
		want     Reason
		detail   string // in the error's detail, when rejected
	}{
		{name: "stripe-like signed", settings: stripeLike, headers: map[string]string{"X-Acme-Signature": stripeSig(secret, ts, body)}, body: body},
		{name: "stripe-like old secret", settings: stripeLike, headers: map[string]string{"X-Acme-Signature": stripeSig(old, ts, body)}, body: body},
		{name: "stripe-like spaces between parts", settings: stripeLike, headers: map[string]string{"X-Acme-Signature": "t=" + ts + ", v1=" + hexMAC(secret, ts+"."+body)}, body: body},
		{name: "stripe-like tampered body", settings: stripeLike, headers: map[string]string{"X-Acme-Signature": stripeSig(secret, ts, body)}, body: body + " ", want: ReasonMismatch},
		{name: "stripe-like wrong secret", settings: stripeLike, headers: map[string]string{"X-Acme-Signature": stripeSig(other, ts, body)}, body: body, want: ReasonMismatch},
		{name: "stripe-like timestamp changed", settings: stripeLike, headers: map[string]string{"X-Acme-Signature": "t=" + strconv.FormatInt(now.Unix()+1, 10) + ",v1=" + hexMAC(secret, ts+"."+body)}, body: body, want: ReasonMismatch},
		{name: "stripe-like stale", settings: stripeLike, headers: map[string]string{"X-Acme-Signature": stripeSig(secret, stale, body)}, body: body, want: ReasonExpired},
		{name: "stripe-like no t", settings: stripeLike, headers: map[string]string{"X-Acme-Signature": "v1=" + hexMAC(secret, "."+body)}, body: body, want: ReasonMissing, detail: "timestamp"},
		{name: "stripe-like t not a time", settings: stripeLike, headers: map[string]string{"X-Acme-Signature": "t=soon,v1=" + hexMAC(secret, "soon."+body)}, body: body, want: ReasonMalformed, detail: "timestamp"},
		{name: "stripe-like no v1", settings: stripeLike, headers: map[string]string{"X-Acme-Signature": "t=" + ts}, body: body, want: ReasonMalformed, detail: "mac: no MAC"},
		{name: "stripe-like v1 not hex", settings: stripeLike, headers: map[string]string{"X-Acme-Signature": "t=" + ts + ",v1=zz"}, body: body, want: ReasonMalformed, detail: "64 hex digits"},
		{name: "stripe-like unsigned", settings: stripeLike, body: body, want: ReasonMissing},
		{name: "stripe-like header too long", settings: stripeLike, headers: map[string]string{"X-Acme-Signature": stripeSig(secret, ts, body) + ",x=" + strings.Repeat("a", hmacMaxSignatureSz)}, body: body, want: ReasonMalformed},
		{name: "timestamp header signed", settings: headerTS, headers: map[string]string{"X-Sig": hexMAC(secret, ts+":"+body), "X-Ts": ts}, body: body},
		{name: "timestamp header changed", settings: headerTS, headers: map[string]string{"X-Sig": hexMAC(secret, ts+":"+body), "X-Ts": strconv.FormatInt(now.Unix()-1, 10)}, body: body, want: ReasonMismatch},
		{name: "timestamp header stale", settings: headerTS, headers: map[string]string{"X-Sig": hexMAC(secret, stale+":"+body), "X-Ts": stale}, body: body, want: ReasonExpired},
		{name: "timestamp header missing", settings: headerTS, headers: map[string]string{"X-Sig": hexMAC(secret, ":"+body)}, body: body, want: ReasonMissing},
		{name: "url and query signed", settings: urlSigned, query: "a=1&b=2", headers: map[string]string{"X-Sig": urlSig(secret, "https://bridge.example.com/webhooks/acme?a=1&b=2", body)}, body: body},
		{name: "url without query", settings: urlSigned, headers: map[string]string{"X-Sig": urlSig(secret, "https://bridge.example.com/webhooks/acme", body)}, body: body},
		{name: "url query changed", settings: urlSigned, query: "a=1&b=3", headers: map[string]string{"X-Sig": urlSig(secret, "https://bridge.example.com/webhooks/acme?a=1&b=2", body)}, body: body, want: ReasonMismatch},
		{name: "url prefix missing", settings: urlSigned, headers: map[string]string{"X-Sig": strings.TrimPrefix(urlSig(secret, "https://bridge.example.com/webhooks/acme", body), "sha512=")}, body: body, want: ReasonMalformed, detail: `want "sha512=" and 88 base64 characters`},
		{name: "query and header signed", settings: querySigned, query: "id=42&id=43", headers: map[string]string{"X-Sig": hexMAC(secret, "42|req-1|"+body), "X-Request-Id": "req-1"}, body: body},
		{name: "query parameter changed", settings: querySigned, query: "id=43", headers: map[string]string{"X-Sig": hexMAC(secret, "42|req-1|"+body), "X-Request-Id": "req-1"}, body: body, want: ReasonMismatch},
		{name: "absent parts read as empty", settings: querySigned, headers: map[string]string{"X-Sig": hexMAC(secret, "||"+body)}, body: body},
		{name: "an evaluation error is a rejection", settings: map[string]string{"header": "X-Sig", "signed": `int(headers["X-Version"]) > 1 ? body : "v1" + body`},
			headers: map[string]string{"X-Sig": hexMAC(secret, body), "X-Version": "two"}, body: body, want: ReasonMalformed, detail: "signed: cannot evaluate"},
		{name: "content over the bound", settings: map[string]string{"header": "X-Sig", "signed": `headers["X-Pad"] + body`},
			headers: map[string]string{"X-Sig": hexMAC(secret, ""), "X-Pad": strings.Repeat("x", signedMaxExtra+1)}, body: body, want: ReasonMalformed, detail: "more than the body and"},
		{name: "values read too many times", settings: map[string]string{"header": "X-Sig", "signed": `headers["X-Pad"] + headers["X-Pad"] + headers["X-Pad"] + body`},
			headers: map[string]string{"X-Sig": hexMAC(secret, ""), "X-Pad": strings.Repeat("x", signedMaxReads/3+1)}, body: body, want: ReasonMalformed, detail: "too large for this expression"},
		{name: "a timestamp checked but not signed", settings: map[string]string{"header": "X-Acme-Signature", "signed": "body", "mac": "sig.v1", "timestamp": "sig.t"},
			headers: map[string]string{"X-Acme-Signature": "t=" + ts + ",v1=" + hexMAC(secret, body)}, body: body, want: ReasonMalformed, detail: "not in the signed content"},
		{name: "body as an expression, mac from a part", settings: map[string]string{"header": "X-Sig", "mac": "sig.sha256"},
			headers: map[string]string{"X-Sig": "keyid=1,sha256=" + hexMAC(secret, body)}, body: body},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := mustNew(t, Config{Scheme: SchemeHMAC, Secrets: []Secret{secret, old}, Settings: tc.settings})
			h := http.Header{}
			for k, val := range tc.headers {
				h.Set(k, val)
			}
			err := VerifyRequest(v, &url.URL{Path: "/webhooks/acme", RawQuery: tc.query}, h, []byte(tc.body), now)
			assertReason(t, err, tc.want)
			if err == nil {
				return
			}
			if !isRejection(err) || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), old) {
				t.Errorf("error %q: want a rejection that names what was wrong and no secret", err)
			}
			if !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("error %q, want it to say %q", err, tc.detail)
			}
			if se := err.(*Error); se.Header != http.CanonicalHeaderKey(tc.settings["header"]) && se.Header != "X-Ts" {
				t.Errorf("error names %q, want the signature header", se.Header)
			}
		})
	}
	// Verify alone (no URL) sees an empty query.
	v := mustNew(t, Config{Scheme: SchemeHMAC, Secrets: []Secret{secret}, Settings: querySigned})
	h := http.Header{"X-Sig": {hexMAC(secret, "||"+body)}}
	assertReason(t, v.Verify(h, []byte(body), now), "")
	if got := CredentialHeaders(v); len(got) != 1 || got[0] != "X-Sig" {
		t.Errorf("CredentialHeaders = %v, want the MAC's header", got)
	}
}

// mpFull is Mercado Pago's manifest as the built-in scheme builds it,
// written as a signed expression: each part only when present, an
// alphanumeric data.id lower-cased.
const mpFull = `(query["data.id"] == "" ? "" : "id:" + (query["data.id"] matches "^[a-zA-Z0-9]+$" ? lower(query["data.id"]) : query["data.id"]) + ";")` +
	` + (headers["X-Request-Id"] == "" ? "" : "request-id:" + headers["X-Request-Id"] + ";") + "ts:" + sig.ts + ";"`

// mpSimple is the manifest as issue 18 writes it, every part present.
const mpSimple = `'id:' + query["data.id"] + ';request-id:' + headers["X-Request-Id"] + ';ts:' + sig.ts + ';'`

// TestSignedMercadoPago: the generic scheme with Mercado Pago's manifest
// as its signed expression (and mac: sig.v1) takes exactly the
// deliveries the built-in mercadopago scheme takes, over the vectors of
// its tests, and verifies docs/signatures.md's example.
func TestSignedMercadoPago(t *testing.T) {
	const secret, old, other = "mp-secret", "mp-old-secret", "someone-else"
	const reqID, dataID = "bb56a2f1-6aae-46ac-982e-9dcd3581d08e", "123456789"
	now := time.Unix(1_704_908_010, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	tsMilli := strconv.FormatInt(now.UnixMilli(), 10)
	set := withHeader
	good := mpSign(secret, dataID, reqID, ts)
	vectors := []struct {
		name   string
		u      *url.URL
		h      http.Header
		simple bool // the simple manifest takes it too (every part present, as sent)
	}{
		{"signed", mpURL(dataID), good, true},
		{"old secret", mpURL(dataID), mpSign(old, dataID, reqID, ts), true},
		{"alphanumeric data.id lower-cased", mpURL("ORD01JQ4S4KY8"), mpSign(secret, "ord01jq4s4ky8", reqID, ts), false},
		{"other data.id as sent", mpURL("AB-12"), mpSign(secret, "AB-12", reqID, ts), true},
		{"no data.id", mpURL(""), mpSign(secret, "", reqID, ts), false},
		{"no x-request-id", mpURL(dataID), mpSign(secret, dataID, "", ts), false},
		{"timestamp in milliseconds", mpURL(dataID), mpSign(secret, dataID, reqID, tsMilli), true},
		{"data.id changed", mpURL("987654321"), good, false},
		{"data.id dropped", mpURL(""), good, false},
		{"x-request-id changed", mpURL(dataID), set(good, "x-request-id", "other"), false},
		{"x-request-id dropped", mpURL(dataID), set(good, "x-request-id", ""), false},
		{"ts changed", mpURL(dataID), set(good, "x-signature", strings.Replace(good.Get("x-signature"), "ts="+ts, "ts=1704908011", 1)), false},
		{"wrong secret", mpURL(dataID), mpSign(other, dataID, reqID, ts), false},
		{"header missing", mpURL(dataID), set(good, "x-signature", ""), false},
		{"no ts", mpURL(dataID), set(good, "x-signature", strings.SplitN(good.Get("x-signature"), ",", 2)[1]), false},
		{"no v1", mpURL(dataID), set(good, "x-signature", "ts="+ts), false},
		{"v1 not hex", mpURL(dataID), set(good, "x-signature", "ts="+ts+",v1=xyz"), false},
		{"ts not a number", mpURL(dataID), set(good, "x-signature", strings.Replace(good.Get("x-signature"), "ts="+ts, "ts=-1", 1)), false},
	}
	builtin := mustNew(t, Config{Scheme: SchemeMercadoPago, Secrets: []Secret{secret, old}})
	settings := func(signed string) map[string]string {
		return map[string]string{"header": "x-signature", "signed": signed, "mac": "sig.v1"}
	}
	full := mustNew(t, Config{Scheme: SchemeHMAC, Secrets: []Secret{secret, old}, Settings: settings(mpFull)})
	simple := mustNew(t, Config{Scheme: SchemeHMAC, Secrets: []Secret{secret, old}, Settings: settings(mpSimple)})
	body := []byte(`{"action":"payment.updated","data":{"id":"123456789"}}`)
	for _, tc := range vectors {
		t.Run(tc.name, func(t *testing.T) {
			// A notification about the URL's data.id: the built-in scheme
			// also ties the body to it, which an expression over the
			// manifest does not do.
			body := []byte(`{"action":"payment.updated","data":{"id":"` + tc.u.Query().Get("data.id") + `"}}`)
			want := VerifyRequest(builtin, tc.u, tc.h, body, now) == nil
			if tc.name == "no data.id" {
				// The built-in scheme refuses a URL without data.id
				// (nothing would tie the body); the manifest verifies.
				want = true
			}
			if got := VerifyRequest(full, tc.u, tc.h, body, now); (got == nil) != want || (got != nil && !isRejection(got)) {
				t.Errorf("signed expression: %v, built-in scheme accepts: %v", got, want)
			}
			if got := VerifyRequest(simple, tc.u, tc.h, body, now); (got == nil) != tc.simple || (got != nil && !isRejection(got)) {
				t.Errorf("the issue's manifest: %v, want accepted %v", got, tc.simple)
			}
		})
	}
	// docs/signatures.md's example, computed apart from Go.
	h := http.Header{}
	h.Set("x-signature", "ts=1704908010,v1=dfdceb2e544f99aec9faa42694b787de40f79e4aae42aa80ad2f08c8ff3b61eb")
	h.Set("x-request-id", "bb56a2f1-6aae-46ac-982e-9dcd3581d08e")
	u, _ := url.Parse("https://bridge.example.com/webhooks/mercadopago?data.id=123456789&type=payment")
	for _, signed := range []string{mpFull, mpSimple} {
		v := mustNew(t, Config{Scheme: SchemeHMAC, Secrets: []Secret{"f3b1e5c2a9d84f0c9e7a6b5d4c3b2a19"}, Settings: settings(signed)})
		assertReason(t, VerifyRequest(v, u, h, body, time.Now()), "")
	}
}

// TestSignedExpressionProblems: a bad expression is refused at load, at
// its line and column in the mapping file, with every other problem of
// the block.
func TestSignedExpressionProblems(t *testing.T) {
	head := "  signature:\n    scheme: hmac\n    secret: '${HMAC_SECRET}'\n    header: X-Sig\n"
	tests := []struct {
		name  string
		lines string // after head; the first is line 8
		want  []string
	}{
		{"syntax error, quoted", `    signed: 'body + + '`,
			[]string{`f.yaml:8:22: webhook.signature: signed: unexpected token EOF`}},
		{"unknown variable, plain", `    signed: sig.t + payload`,
			[]string{`f.yaml:8:21: webhook.signature: signed: unknown name payload (signed is body, timestamp+body, or an expression over body, headers, query, url and sig)`}},
		// In a block scalar the line is exact; YAML keeps no indentation, so
		// the column is counted from the indicator, as for mapping rules.
		{"unknown variable, second line of a literal block", "    signed: |-\n      sig.t + \".\" +\n      bodyy",
			[]string{`f.yaml:10:15: webhook.signature: signed: unknown name bodyy (signed is body, timestamp+body, or an expression over body, headers, query, url and sig)`}},
		{"not a string", `    signed: len(body)`,
			[]string{`f.yaml:8:13: webhook.signature: signed: expression must return a string, got int`}},
		{"mac not a string", "    signed: body\n    mac: sig",
			[]string{`f.yaml:9:10: webhook.signature: mac: expression must return a string, got map[string]string`}},
		{"a built-in left out", `    signed: repeat(body, 2)`,
			[]string{`f.yaml:8:13: webhook.signature: signed: unknown name repeat (signed is body, timestamp+body, or an expression over body, headers, query, url and sig)`}},
		{"empty timestamp expression", "    signed: body\n    timestamp: ''",
			[]string{`f.yaml:9:16: webhook.signature: timestamp: empty expression`}},
		{"url read, url setting missing", `    signed: url + body`,
			[]string{`f.yaml:5:13: webhook.signature: url is required by scheme hmac (the public URL the provider calls, as registered with it)`}},
		{"url with a query", "    signed: url + body\n    url: https://bridge.example.com/x?a=1",
			[]string{`f.yaml:9:10: webhook.signature: url "https://bridge.example.com/x?a=1" must not hold a query or fragment: the query of each request is appended to it`}},
		{"url not read", "    signed: body\n    url: https://bridge.example.com/x",
			[]string{`f.yaml:9:10: webhook.signature: url is only used when an expression reads url`}},
		{"timestamp twice", "    signed: sig.t + body\n    timestamp: sig.t\n    timestamp_header: X-Ts",
			[]string{`f.yaml:9:16: webhook.signature: timestamp and timestamp_header both name the signed timestamp: give one`}},
		{"timestamp_header is the MAC's", "    signed: headers['X-Ts'] + body\n    timestamp_header: x-sig",
			[]string{`f.yaml:9:23: webhook.signature: timestamp_header "X-Sig" is the header of the MAC: one header cannot carry both, no delivery could verify`}},
		{"separator with an expression", "    signed: sig.t + body\n    separator: ':'",
			[]string{`f.yaml:9:16: webhook.signature: separator is only used when signed is timestamp+body (an expression writes its own)`}},
		{"expression settings with timestamp+body", "    signed: timestamp+body\n    timestamp_header: X-Ts\n    mac: sig.v1",
			[]string{`f.yaml:10:10: webhook.signature: mac is only used when signed is an expression (signed timestamp+body has no use for it)`}},
		{"too long", "    signed: '" + strings.Repeat("body + ", signedMaxSource/7) + "body'",
			[]string{`f.yaml:8:13: webhook.signature: signed: the expression is ` + strconv.Itoa(len(strings.Repeat("body + ", signedMaxSource/7)+"body")) + ` bytes; at most 8192 are allowed`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, got := parseSignature(t, head+tc.lines)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if v != nil {
				t.Error("a verifier was returned with the diagnostics")
			}
		})
	}
	// Mercado Pago's manifest loads as a mapping file writes it.
	v, got := parseSignature(t, head+"    signed: >-\n      "+mpFull+"\n    mac: sig.v1")
	if v == nil || len(got) > 0 {
		t.Fatalf("the Mercado Pago manifest: %v", got)
	}
}

func TestParseSigParts(t *testing.T) {
	tests := []struct {
		raw  string
		want map[string]string
	}{
		{"t=123,v1=abc", map[string]string{"t": "123", "v1": "abc"}},
		{"t=123, v1=abc , v1=def", map[string]string{"t": "123", "v1": "abc"}},
		{"ts=1,v1=a=b", map[string]string{"ts": "1", "v1": "a=b"}},
		{"5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd", map[string]string{}},
		{"=x,,k=,novalue", map[string]string{"k": ""}},
		{"", map[string]string{}},
	}
	for _, tc := range tests {
		if got := parseSigParts(tc.raw); !maps.Equal(got, tc.want) {
			t.Errorf("parseSigParts(%q) = %v, want %v", tc.raw, got, tc.want)
		}
	}
}

// FuzzSigParts: any signature header parses without a panic into parts
// whose keys are non-empty and hold neither "," nor "=", and a delivery
// with a fuzzed header and query is refused with a rejection (never
// accepted: its MAC cannot be forged by chance), never a panic.
func FuzzSigParts(f *testing.F) {
	for _, s := range []string{"t=1700000000,v1=" + strings.Repeat("ab", 32), "ts=,v1=", "v1=00,ts=1,ts=2", ",,,", "==", " t = 1 ", "\x00=\xff"} {
		f.Add(s, "data.id=1&x=%zz")
	}
	v, err := New(Config{Scheme: SchemeHMAC, Secrets: []Secret{"s"}, Settings: map[string]string{
		"header": "X-Sig", "signed": mpFull, "mac": "sig.v1", "timestamp": "sig.ts"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw, query string) {
		for k, val := range parseSigParts(raw) {
			if k == "" || strings.ContainsAny(k, ",=") || strings.Contains(val, ",") {
				t.Fatalf("parseSigParts(%q): part %q=%q", raw, k, val)
			}
		}
		h := http.Header{"X-Sig": {raw}, "X-Request-Id": {"r"}}
		if err := VerifyRequest(v, &url.URL{RawQuery: query}, h, []byte("{}"), time.Unix(1_700_000_000, 0)); err == nil || !isRejection(err) {
			t.Fatalf("header %q, query %q: %v, want a rejection", raw, query, err)
		}
	})
}

// BenchmarkSignedMercadoPago is the generic scheme with Mercado Pago's
// manifest beside the built-in scheme, per delivery.
func BenchmarkSignedMercadoPago(b *testing.B) {
	const secret, reqID, dataID = "mp-secret", "bb56a2f1-6aae-46ac-982e-9dcd3581d08e", "123456789"
	h := mpSign(secret, dataID, reqID, "1704908010")
	u := mpURL(dataID)
	body := []byte(`{"action":"payment.updated","data":{"id":"123456789"}}`)
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"builtin", Config{Scheme: SchemeMercadoPago, Secrets: []Secret{secret}}},
		{"signed-expression", Config{Scheme: SchemeHMAC, Secrets: []Secret{secret}, Settings: map[string]string{"header": "x-signature", "signed": mpFull, "mac": "sig.v1"}}},
	} {
		v, err := New(bc.cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := VerifyRequest(v, u, h, body, time.Unix(1_704_908_010, 0)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestSignedShape: the expressions of the attack of 2026-12-06, each of
// which cost seconds or gigabytes per forged request, are refused at
// load; string plumbing loads.
func TestSignedShape(t *testing.T) {
	for _, tc := range []struct{ signed, want string }{
		{`let a = body + body; let b = a + a; b + b`, "let is not allowed"},
		{`toBase64(toBase64(body))`, "unknown"},
		{`body + body`, "body may be read once"},
		{`body + "." + headers["X-A"] + body`, "body may be read once"},
		{`body matches headers["X-Pattern"] ? "a" : "b"`, "literal pattern"},
		{`headers["X-A"] matches headers["X-Pattern"] ? "a" : body`, "literal pattern"},
		{`body matches "^a+$" ? "a" : "b"`, "body may only be concatenated"},
		{`headers["X-A"] matches "` + strings.Repeat("a", signedMaxPattern+1) + `" ? "a" : body`, "literal pattern"},
		{`lower(body)`, "body may only be concatenated"},
		{`string(["a", body])`, "a list is not allowed"},
		{`string({"a": body})`, "a map is not allowed"},
		{`sig.t + "." + body`, ""},
		{`int(headers["X-Version"]) > 1 ? body : "v1:" + body`, ""},
		{`(query["id"] matches "^[a-zA-Z0-9]+$" ? lower(query["id"]) : query["id"]) + ";" + body`, ""},
		{`body == "" ? "empty" : body`, "body may be read once"},
	} {
		_, err := New(Config{Scheme: SchemeHMAC, Secrets: []Secret{"s"}, Settings: map[string]string{"header": "X-Sig", "signed": tc.signed}})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.signed, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error with %q", tc.signed, err, tc.want)
		}
	}
}
