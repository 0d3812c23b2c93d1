package config

import (
	"errors"
	"flag"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadPrecedence(t *testing.T) {
	tests := []struct {
		name string
		file string // config file text; "" for no file
		env  map[string]string
		args []string
		want func(*Config) // changes from Default
	}{
		{
			name: "defaults",
			want: func(*Config) {},
		},
		{
			name: "file over default",
			file: "webhook.body_limit: 2MiB\nlog:\n  level: warn\nnats.url: [nats://f:4222]\n",
			want: func(c *Config) {
				c.BodyLimit, c.LogLevel, c.NATSURLs = 2<<20, slog.LevelWarn, []string{"nats://f:4222"}
			},
		},
		{
			name: "env over default",
			env:  map[string]string{"BRIDGE_BODY_LIMIT": "3MiB", "BRIDGE_NATS_URL": "nats://e1:4222,nats://e2:4222"},
			want: func(c *Config) { c.BodyLimit, c.NATSURLs = 3<<20, []string{"nats://e1:4222", "nats://e2:4222"} },
		},
		{
			name: "env over file",
			file: "webhook.body_limit: 2MiB\nlog:\n  level: warn\nnats.url: [nats://f:4222]\n",
			env:  map[string]string{"BRIDGE_BODY_LIMIT": "3MiB", "BRIDGE_NATS_URL": "nats://e:4222"},
			want: func(c *Config) {
				c.BodyLimit, c.LogLevel, c.NATSURLs = 3<<20, slog.LevelWarn, []string{"nats://e:4222"}
			},
		},
		{
			name: "flag over env over file",
			file: "webhook.body_limit: 2MiB\nlog:\n  level: warn\nnats.url: [nats://f:4222]\n",
			env:  map[string]string{"BRIDGE_BODY_LIMIT": "3MiB", "BRIDGE_NATS_URL": "nats://e:4222", "BRIDGE_LOG_LEVEL": "error"},
			args: []string{"--body-limit", "4MiB", "--nats-url=nats://a:4222,nats://b:4222"},
			want: func(c *Config) {
				c.BodyLimit, c.LogLevel, c.NATSURLs = 4<<20, slog.LevelError, []string{"nats://a:4222", "nats://b:4222"}
			},
		},
		{
			name: "flag over file",
			file: "shutdown:\n  grace: 1m\n",
			args: []string{"-grace=5s"},
			want: func(c *Config) { c.Grace = 5 * time.Second },
		},
		{
			name: "empty env counts as unset",
			file: "shutdown.grace: 1m\n",
			env:  map[string]string{"BRIDGE_GRACE": ""},
			want: func(c *Config) { c.Grace = time.Minute },
		},
		{
			name: "boolean from each source",
			file: "stream.manage: false\n",
			env:  map[string]string{"BRIDGE_MANAGE_STREAMS": "0"},
			args: []string{"--manage-streams"},
			want: func(c *Config) { c.Streams.ManageStreams = true },
		},
		{
			name: "boolean flag false over env true",
			env:  map[string]string{"BRIDGE_MANAGE_STREAMS": "1"},
			args: []string{"--manage-streams=false"},
			want: func(c *Config) { c.Streams.ManageStreams = false },
		},
		{
			name: "last of a repeated flag wins",
			args: []string{"--http", ":1", "--http", ":2"},
			want: func(c *Config) { c.HTTP = ":2" },
		},
		{
			name: "empty nats url flag over file means embedded",
			file: "nats.url: nats://f:4222\n",
			args: []string{"--nats-url="},
			want: func(c *Config) { c.NATSURLs = nil },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := Default()
			tc.want(&want)
			args := tc.args
			if tc.file != "" {
				path := writeConfig(t, tc.file)
				args = append([]string{"--config", path}, args...)
				want.File = path
			}
			got, _, err := load(t, args, tc.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestLoadFileForms(t *testing.T) {
	want := Default()
	want.HTTP = ":8081"
	want.Mappings = "/etc/bridge/mappings"
	want.NATSURLs = []string{"nats://n1:4222", "nats://n2:4222"}
	want.Streams.Replicas = 3
	want.Streams.ManageStreams = false
	want.Streams.DuplicateWindow = 5 * time.Minute
	want.Streams.MaxBytes = 10 << 30
	want.Streams.MaxAge = 720 * time.Hour
	want.BodyLimit = 512 << 10
	want.RequestTimeout = 3 * time.Second
	want.Grace = time.Minute
	want.LogFormat = FormatText
	want.LogLevel = slog.LevelDebug

	for _, name := range []string{"nested", "flat", "mixed"} {
		t.Run(name, func(t *testing.T) {
			path := "testdata/" + name + ".yaml"
			got, _, err := load(t, []string{"--config", path}, nil)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want.File = path
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestLoadConfigFileChoice(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string // the file read
	}{
		{"none", nil, nil, ""},
		{"from env", map[string]string{"BRIDGE_CONFIG": "testdata/empty_sections.yaml"}, nil, "testdata/empty_sections.yaml"},
		{"flag over env", map[string]string{"BRIDGE_CONFIG": "testdata/missing.yaml"},
			[]string{"--config=testdata/empty_sections.yaml"}, "testdata/empty_sections.yaml"},
		{"empty flag reads none", map[string]string{"BRIDGE_CONFIG": "testdata/missing.yaml"}, []string{"--config="}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := load(t, tc.args, tc.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := Default()
			want.File = tc.want
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string // the error's lines
	}{
		{
			name: "unknown keys",
			args: []string{"--config", "testdata/unknown_key.yaml"},
			want: []string{
				`testdata/unknown_key.yaml:3:3: unknown key "nats.ur" (did you mean "nats.url"?)`,
				`testdata/unknown_key.yaml:5:1: unknown key "stream.max_ages" (did you mean "stream.max_age"?)`,
				`testdata/unknown_key.yaml:8:5: unknown key "webhook.body_limit.max"`,
			},
		},
		{
			name: "bad values from every source at once",
			args: []string{"--config", "testdata/bad_values.yaml", "--grace", "soon", "--replicas", "7", "--nats-url", "a:1,,b:2"},
			env:  map[string]string{"BRIDGE_BODY_LIMIT": "lots", "BRIDGE_MANAGE_STREAMS": "yes", "BRIDGE_LOG_FORMAT": "xml"},
			want: []string{
				`testdata/bad_values.yaml:2:13: nats.replicas: invalid number "three"`,
				`testdata/bad_values.yaml:3:11: nats.listen: want a single value`,
				`testdata/bad_values.yaml:5:21: stream.duplicate_window: invalid duration "2 minutes" (want Go syntax such as 500ms, 30s, 2m, 1h30m)`,
				`testdata/bad_values.yaml:6:21: webhook.body_limit: invalid size "-1": must not be negative`,
				`testdata/bad_values.yaml:7:12: log.level: invalid log level "loud" (want debug, info, warn or error)`,
				`env BRIDGE_MANAGE_STREAMS: invalid boolean "yes" (want true, false, 1 or 0)`,
				`env BRIDGE_BODY_LIMIT: invalid size "lots": want a whole number of bytes, optionally with a unit such as KiB, MiB or MB`,
				`env BRIDGE_LOG_FORMAT: invalid log format "xml" (want json or text)`,
				`flag --nats-url: empty URL in list "a:1,,b:2"`,
				`flag --grace: invalid duration "soon" (want Go syntax such as 500ms, 30s, 2m, 1h30m)`,
				`--replicas: must be between 1 and 5, got 7`,
			},
		},
		{
			name: "valid values out of range",
			args: []string{"--replicas=0", "--body-limit=0", "--request-timeout=0s", "--stream-max-bytes=0"},
			want: []string{
				"--body-limit: must be greater than 0, got 0",
				"--replicas: must be between 1 and 5, got 0",
				"--request-timeout: must be greater than 0, got 0",
				"--stream-max-bytes: must be -1 (no cap) or greater than 0, got 0",
			},
		},
		{
			name: "empty required value",
			args: []string{"--http="},
			env:  map[string]string{"BRIDGE_MAPPINGS": ""},
			want: []string{"flag --http: must not be empty"},
		},
		{
			name: "value for a section",
			args: []string{"--config", "testdata/section_value.yaml"},
			want: []string{`testdata/section_value.yaml:1:7: "nats" is a section, want a map of its keys`},
		},
		{
			name: "duplicate key",
			args: []string{"--config", "testdata/duplicate_key.yaml"},
			want: []string{`testdata/duplicate_key.yaml:3:1: duplicate key "nats.url", first set on line 2`},
		},
		{
			name: "yaml syntax",
			args: []string{"--config", "testdata/syntax.yaml"},
			want: []string{`testdata/syntax.yaml:2: did not find expected ',' or ']'`},
		},
		{
			name: "not a map",
			args: []string{"--config", "testdata/not_a_map.yaml"},
			want: []string{`testdata/not_a_map.yaml:1:1: want a map of settings`},
		},
		{
			name: "two documents",
			args: []string{"--config", "testdata/two_documents.yaml"},
			want: []string{`testdata/two_documents.yaml: want one YAML document, found more`},
		},
		{
			name: "missing file",
			env:  map[string]string{"BRIDGE_CONFIG": "testdata/missing.yaml"},
			want: []string{`config file: open testdata/missing.yaml: no such file or directory`},
		},
		{
			name: "positional argument",
			args: []string{"--http", ":1", "extra"},
			want: []string{`unexpected argument "extra": bridge run takes only flags`},
		},
		{
			name: "unknown flag",
			args: []string{"--nats-ur", "x"},
			want: []string{`flag provided but not defined: -nats-ur`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := load(t, tc.args, tc.env)
			if want := strings.Join(tc.want, "\n"); errText(err) != want {
				t.Errorf("Load error =\n%s\nwant\n%s", errText(err), want)
			}
			if !reflect.DeepEqual(got, Config{}) {
				t.Errorf("Load returned %+v with its error, want the zero Config", got)
			}
		})
	}
}

func TestLoadHelp(t *testing.T) {
	_, out, err := load(t, []string{"--help"}, nil)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Load(--help) error = %v, want flag.ErrHelp", err)
	}
	for _, s := range Settings() {
		t.Run(s.Flag, func(t *testing.T) {
			line := ""
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(strings.TrimSpace(l), "--"+s.Flag+" ") {
					line = l
				}
			}
			def := s.Default
			if def == "" {
				def = "none"
			}
			for _, w := range []string{s.Env, def, s.Usage, s.Arg} {
				if !strings.Contains(line, w) {
					t.Errorf("help line %q lacks %q\nhelp:\n%s", line, w, out)
				}
			}
		})
	}
}

// TestLoadSources: Load records where --events-auth came from, the last
// source that applied; the default has none. bridge run reads it to tell
// an events auth of none written on purpose from the default.
func TestLoadSources(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
		args []string
		want string // EventsAuthSource; "FILE" stands for the file's path
	}{
		{name: "default", want: ""},
		{name: "file", file: "events:\n  auth: none\n", want: "FILE:2:3 events.auth"},
		{name: "env over file", file: "events.auth: none\n", env: map[string]string{"BRIDGE_EVENTS_AUTH": "none"}, want: "env BRIDGE_EVENTS_AUTH"},
		{name: "flag over env", env: map[string]string{"BRIDGE_EVENTS_AUTH": "none"}, args: []string{"--events-auth=none"}, want: "flag --events-auth"},
		{name: "empty env is unset", env: map[string]string{"BRIDGE_EVENTS_AUTH": ""}, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args, want := tc.args, tc.want
			if tc.file != "" {
				path := writeConfig(t, tc.file)
				args = append([]string{"--config", path}, args...)
				want = strings.ReplaceAll(want, "FILE", path)
			}
			got, _, err := load(t, args, tc.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if s := got.EventsAuthSource; s != want {
				t.Errorf("EventsAuthSource = %q, want %q", s, want)
			}
		})
	}
}

// A value that breaks a rule is named where it came from: its flag, its
// environment variable, or its file, line and key.
func TestValidateNamesTheSource(t *testing.T) {
	path := writeConfig(t, "shutdown:\n  grace: 0s\nnats:\n  replicas: 9\n")
	_, _, err := load(t, []string{"--config", path, "--http", "bad"}, map[string]string{"BRIDGE_REQUEST_TIMEOUT": "0s"})
	for _, want := range []string{
		path + ":2:3 shutdown.grace (--grace): must be greater than 0",
		path + ":4:3 nats.replicas (--replicas): must be between 1 and 5",
		"env BRIDGE_REQUEST_TIMEOUT (--request-timeout): must be greater than 0",
		"--http: want host:port",
	} {
		if !strings.Contains(errText(err), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
