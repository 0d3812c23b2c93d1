package signature

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"
)

// basicHeader builds the header with the standard library's client side.
func basicHeader(t testing.TB, user, password string) string {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, "http://bridge.example/webhooks/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.SetBasicAuth(user, password)
	return r.Header.Get("Authorization")
}

func TestBasic(t *testing.T) {
	v := mustNew(t, Config{Scheme: SchemeBasic, Secrets: []Secret{"hooks:n3w-pass", "hooks:old:pass"}})
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		name  string
		value string
		want  Reason
	}{
		{"current pair", basicHeader(t, "hooks", "n3w-pass"), ""},
		{"rotated-out pair, password with a colon", basicHeader(t, "hooks", "old:pass"), ""},
		{"scheme name in any case", "BASIC " + b64([]byte("hooks:n3w-pass")), ""},
		{"wrong password", basicHeader(t, "hooks", "n3w-pas"), ReasonMismatch},
		{"wrong user", basicHeader(t, "hook", "n3w-pass"), ReasonMismatch},
		{"user of one, password of the other", basicHeader(t, "hooks", "old"), ReasonMismatch},
		{"missing", "", ReasonMissing},
		{"bearer", "Bearer hooks:n3w-pass", ReasonMalformed},
		{"not base64", "Basic hooks:n3w-pass", ReasonMalformed},
		{"no colon", "Basic " + b64([]byte("hooksn3w-pass")), ReasonMalformed},
		{"empty", "Basic ", ReasonMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.value != "" {
				h.Set("Authorization", tc.value)
			}
			assertReason(t, v.Verify(h, []byte("{}"), time.Time{}), tc.want)
		})
	}
}

// TestBasicRFC7617Example: the example credentials of RFC 7617, section 2.
func TestBasicRFC7617Example(t *testing.T) {
	v := mustNew(t, Config{Scheme: SchemeBasic, Secrets: []Secret{"Aladdin:open sesame"}})
	h := http.Header{"Authorization": {"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}}
	assertReason(t, v.Verify(h, nil, time.Time{}), "")
	if got := basicHeader(t, "Aladdin", "open sesame"); got != h.Get("Authorization") {
		t.Fatalf("net/http builds %q", got)
	}
}

func FuzzBasicHeader(f *testing.F) {
	for _, s := range []string{"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Basic ", "Basic Og==", "basic ===", "Bearer x", strings.Repeat("Basic ", 10)} {
		f.Add(s)
	}
	v, err := New(Config{Scheme: SchemeBasic, Secrets: []Secret{"hooks:fuzz-password"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value string) {
		err := v.Verify(http.Header{"Authorization": {value}}, nil, time.Time{})
		if err == nil {
			r := &http.Request{Header: http.Header{"Authorization": {value}}}
			if u, p, ok := r.BasicAuth(); !ok || u != "hooks" || p != "fuzz-password" {
				t.Fatalf("accepted a forged header %q", value)
			}
		}
		if err != nil && !isRejection(err) {
			t.Fatalf("not a rejection: %v", err)
		}
	})
}

func BenchmarkBasicVerify(b *testing.B) {
	v, _ := New(Config{Scheme: SchemeBasic, Secrets: []Secret{"hooks:n3w-pass", "hooks:old-pass"}})
	h := http.Header{"Authorization": {basicHeader(b, "hooks", "old-pass")}}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(h, nil, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}
