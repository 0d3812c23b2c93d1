package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// Load reads the settings of `bridge run`. It registers every setting and
// --config on fs (which must not have them yet), parses args, reads the
// config file named by --config or BRIDGE_CONFIG (none if neither is set),
// applies the BRIDGE_* environment variables found by lookupEnv (nil means
// os.LookupEnv; an empty value counts as unset), applies the flags given
// in args, and validates the result.
//
// An error of fs.Parse (flag.ErrHelp included) is returned as it is.
// Otherwise every problem is reported at once, each naming its source:
// "flag --body-limit: ...", "env BRIDGE_BODY_LIMIT: ...",
// "bridge.yaml:3:5: unknown key \"nats.ur\" (did you mean \"nats.url\"?)", then Validate's.
func Load(fs *flag.FlagSet, args []string, lookupEnv func(string) (string, bool)) (Config, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	def := Default()
	rows := table()

	configValue := &flagValue{}
	fs.Var(configValue, configFlag, configUsage)
	given := make([]*flagValue, len(rows))
	for i, r := range rows {
		given[i] = &flagValue{def: r.format(def), isBool: r.boolean}
		fs.Var(given[i], r.flag, r.usage)
	}
	fs.Usage = func() { printUsage(fs.Output(), fs.Name(), Settings()) }

	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q: bridge run takes only flags", fs.Arg(0))
	}

	cfg := def
	var errs []error
	// Where each setting was read from, for the errors of Validate.
	sources := map[string]string{}
	note := func(flag, source string) {
		sources[flag] = source
		cfg.setSource(flag, source)
	}
	path := configValue.value
	if !configValue.set {
		path, _ = lookupEnv(envName(configFlag))
	}
	if path != "" {
		cfg.File = path
		errs = append(errs, applyFile(&cfg, path, rows, note)...)
	}
	for _, r := range rows {
		name := envName(r.flag)
		if v, ok := lookupEnv(name); ok && v != "" {
			if err := r.parse(&cfg, v); err != nil {
				errs = append(errs, fmt.Errorf("env %s: %w", name, err))
			}
			note(r.flag, "env "+name)
		}
	}
	for i, r := range rows {
		if given[i].set {
			if err := r.parse(&cfg, given[i].value); err != nil {
				errs = append(errs, fmt.Errorf("flag --%s: %w", r.flag, err))
			}
			note(r.flag, "flag --"+r.flag)
		}
	}
	// Secrets come from the environment only: never a flag (visible in ps)
	// nor the config file.
	for name, field := range map[string]*Secret{
		EnvEventsSecret: &cfg.EventsSecret,
		EnvNATSPassword: &cfg.NATSPassword,
		EnvNATSToken:    &cfg.NATSToken,
		EnvAdminToken:   &cfg.AdminToken,
	} {
		if v, ok := lookupEnv(name); ok {
			*field = Secret(v)
		}
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, fromSources(err, sources))
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return cfg, nil
}

// fromSources names, in each of Validate's problems ("--flag: ..."), where
// a value that was not a flag came from: "env BRIDGE_GRACE (--grace): ..."
// or "bridge.yaml:3:3 shutdown.grace (--grace): ...".
func fromSources(err error, sources map[string]string) error {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		flag, rest, ok := strings.Cut(strings.TrimPrefix(l, "--"), ": ")
		if src := sources[flag]; ok && strings.HasPrefix(l, "--") && src != "" && !strings.HasPrefix(src, "flag ") {
			lines[i] = src + " (--" + flag + "): " + rest
		}
	}
	return errors.New(strings.Join(lines, "\n"))
}

// setSource records where the setting of flag was read from, for the
// settings whose origin matters (EventsAuthSource).
func (c *Config) setSource(flag, source string) {
	if flag == "events-auth" {
		c.EventsAuthSource = source
	}
}

// flagValue keeps a flag's text as given; Load parses it once the file and
// environment have been applied, so that flags win and every bad value is
// reported, not only the first.
type flagValue struct {
	def    string // the default, shown in help
	value  string // the last value given
	set    bool
	isBool bool // a bare --flag means true
}

func (v *flagValue) String() string {
	if v.set {
		return v.value
	}
	return v.def
}

func (v *flagValue) Set(s string) error {
	v.value, v.set = s, true
	return nil
}

func (v *flagValue) IsBoolFlag() bool { return v.isBool }
