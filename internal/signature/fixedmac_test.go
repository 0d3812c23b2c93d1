package signature

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// providerSigner signs body as the provider does with secret at a time,
// and returns the headers of the delivery.
type providerSigner func(secret string, at time.Time, body []byte) http.Header

// testProviderScheme runs the cases every provider scheme must pass: a
// delivery signed as the provider does verifies with either of two active
// secrets; a tampered body, another secret, a missing or garbled header
// (and for schemes that sign a timestamp, a stale or future one) are each
// refused with their reason and the header to blame.
func testProviderScheme(t *testing.T, scheme string, sign providerSigner, sigHeader, tsHeader string) {
	t.Helper()
	const current, old, other = "current-signing-secret", "old-signing-secret-still-active", "someone-else's-secret"
	body := []byte(`{"type":"payment.created","data":{"id":"pay_123"}}`)
	now := time.Unix(1_700_000_000, 0)
	v := mustNew(t, Config{Scheme: scheme, Secrets: []Secret{current, old}})
	with := func(h http.Header, name, value string) http.Header {
		h = h.Clone()
		if value == "" {
			h.Del(name)
		} else {
			h.Set(name, value)
		}
		return h
	}
	good := sign(current, now, body)
	tests := []struct {
		name    string
		h       http.Header
		body    []byte
		want    Reason // "" = accepted
		wantHdr string
	}{
		{name: "signed with the current secret", h: good, body: body},
		{name: "signed with the old secret", h: sign(old, now, body), body: body},
		{name: "tampered body", h: good, body: append([]byte(`{"x":1,`), body[1:]...), want: ReasonMismatch, wantHdr: sigHeader},
		{name: "empty body", h: good, body: nil, want: ReasonMismatch, wantHdr: sigHeader},
		{name: "wrong secret", h: sign(other, now, body), body: body, want: ReasonMismatch, wantHdr: sigHeader},
		{name: "signature missing", h: with(good, sigHeader, ""), body: body, want: ReasonMissing, wantHdr: sigHeader},
		{name: "signature garbled", h: with(good, sigHeader, "v1=zz"+good.Get(sigHeader)), body: body, want: ReasonMalformed, wantHdr: sigHeader},
		{name: "signature truncated", h: with(good, sigHeader, good.Get(sigHeader)[:len(good.Get(sigHeader))-4]), body: body, want: ReasonMalformed, wantHdr: sigHeader},
		{name: "signature of other content", h: with(good, sigHeader, sign(current, now, []byte("other")).Get(sigHeader)), body: body, want: ReasonMismatch, wantHdr: sigHeader},
	}
	if tsHeader != "" {
		tests = append(tests, []struct {
			name    string
			h       http.Header
			body    []byte
			want    Reason
			wantHdr string
		}{
			{name: "timestamp at the tolerance", h: sign(current, now.Add(-DefaultTolerance), body), body: body},
			{name: "expired", h: sign(current, now.Add(-DefaultTolerance-time.Second), body), body: body, want: ReasonExpired, wantHdr: tsHeader},
			{name: "from the future", h: sign(current, now.Add(DefaultTolerance+time.Second), body), body: body, want: ReasonExpired, wantHdr: tsHeader},
			{name: "timestamp changed", h: with(good, tsHeader, strconv.FormatInt(now.Unix()+1, 10)), body: body, want: ReasonMismatch, wantHdr: sigHeader},
			{name: "timestamp missing", h: with(good, tsHeader, ""), body: body, want: ReasonMissing, wantHdr: tsHeader},
			{name: "timestamp not a number", h: with(good, tsHeader, "yesterday"), body: body, want: ReasonMalformed, wantHdr: tsHeader},
		}...)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := v.Verify(tc.h, tc.body, now)
			assertReason(t, err, tc.want)
			if tc.want == "" {
				return
			}
			se := err.(*Error)
			if se.Header != tc.wantHdr {
				t.Errorf("header = %q, want %q", se.Header, tc.wantHdr)
			}
			for _, s := range []string{current, old, other} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the error %q holds a secret", err)
				}
			}
		})
	}
}
