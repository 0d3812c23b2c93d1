package config

import (
	"strings"
	"testing"
)

// TestNATSURLErrorsShowNoPassword: a NATS URL that does not parse (a
// password with '#', '/', '%' or '[') or has the wrong scheme is named in
// the error without its user and password.
func TestNATSURLErrorsShowNoPassword(t *testing.T) {
	for _, u := range []string{
		"nats://alice:p#ssw0rd@127.0.0.1:4222",
		"nats://alice:p/ss%zz@127.0.0.1:4222",
		"http://alice:hunter2@127.0.0.1:4222",
		"alice:s3cr[t@host:4222",
	} {
		err := checkNATSURL(u)
		if err == nil {
			t.Errorf("%q accepted", u)
			continue
		}
		for _, secret := range []string{"p#ssw0rd", "p/ss%zz", "hunter2", "s3cr[t"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%q: error %q shows the password", u, err)
			}
		}
		if !strings.Contains(err.Error(), "[redacted]@") {
			t.Errorf("%q: error %q does not say where the credential was", u, err)
		}
	}
}
