package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestLoadAdminSettings: the admin listener's extra Host names come from a
// flag, the environment or a YAML list; its token from the environment
// only.
func TestLoadAdminSettings(t *testing.T) {
	tests := []struct {
		name string
		args []string
		file string
		env  map[string]string
		want []string
	}{
		{"none", nil, "", nil, nil},
		{"flag", []string{"--admin-hosts", "Bridge-Admin.internal, 10.0.0.5"}, "", nil, []string{"bridge-admin.internal", "10.0.0.5"}},
		{"env", nil, "", map[string]string{"BRIDGE_ADMIN_HOSTS": "[fd00::1]"}, []string{"fd00::1"}},
		{"file list", nil, "admin_hosts:\n  - admin.example\n  - bridge\n", nil, []string{"admin.example", "bridge"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.file != "" {
				args = append([]string{"--config", writeConfig(t, tc.file)}, args...)
			}
			got, _, err := load(t, args, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.AdminHosts, tc.want) {
				t.Errorf("AdminHosts = %q, want %q", got.AdminHosts, tc.want)
			}
		})
	}
	for _, bad := range []string{"http://admin", "admin:9090", "a b", ","} {
		if _, _, err := load(t, []string{"--admin-hosts", bad}, nil); !strings.Contains(errText(err), "want a host name or an IP address") {
			t.Errorf("--admin-hosts %q: %v", bad, err)
		}
	}

	got, _, err := load(t, nil, map[string]string{EnvAdminToken: "adm-tok"})
	if err != nil || got.AdminToken != "adm-tok" {
		t.Errorf("Load with %s = %v; want the token", EnvAdminToken, err)
	}
	if _, _, err := load(t, []string{"--admin-token", "x"}, nil); !strings.Contains(errText(err), "flag provided but not defined") {
		t.Errorf("--admin-token: %v, want no such flag", err)
	}
}
