package transform

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
)

// MaxEventSize is the profile's bound: a serialized event MUST be smaller
// than 12 KB.
const MaxEventSize = 12288

var (
	typeRE    = regexp.MustCompile(`^event\.[a-z0-9_]+\.[a-z0-9_]+\.([a-z0-9_]+)\.[a-z0-9_]+$`)
	subjectRE = regexp.MustCompile(`^([a-z0-9_]+)/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
)

// Check is the verdict of one profile rule on one event.
type Check struct {
	Rule  string `json:"rule"` // the attribute or property checked, e.g. "id", "size"
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// profileView is what the profile rules look at.
type profileView struct {
	SpecVersion, ID, Source, Type, DataContentType, DataSchema, Subject, Time string
	IdempotencyKey                                                            any
	Data                                                                      map[string]any
	dataIsObject                                                              bool
	Size                                                                      int
}

func (v profileView) checks() []Check {
	var out []Check
	add := func(rule string, err error) {
		c := Check{Rule: rule, OK: err == nil}
		if err != nil {
			c.Error = err.Error()
		}
		out = append(out, c)
	}
	add("specversion", expect(v.SpecVersion == "1.0", "must be 1.0, got %q", v.SpecVersion))
	add("id", uuidV7(v.ID))
	add("source", absURI(v.Source))
	add("type", expect(typeRE.MatchString(v.Type), "%q does not read event.<provider>.<module>.<entity_type>.<event_name> in lower case", v.Type))
	add("datacontenttype", expect(v.DataContentType == "application/json", "must be application/json, got %q", v.DataContentType))
	if v.DataSchema != "" {
		add("dataschema", absURI(v.DataSchema))
	}
	add("subject", subject(v.Subject, v.Type))
	_, terr := time.Parse(time.RFC3339Nano, v.Time)
	add("time", expect(terr == nil, "%q is not RFC 3339", v.Time))
	ks, _ := v.IdempotencyKey.(string)
	_, kerr := uuid.Parse(ks)
	add("idempotencykey", expect(ks != "" && kerr == nil && len(ks) == 36, "must be a UUID, got %v", v.IdempotencyKey))
	add("data", expect(v.dataIsObject, "must be a JSON object"))
	if id, ok := v.Data["entity_id"]; ok {
		s, _ := id.(string)
		add("data.entity_id", expect(isEntityUUID(s), "must be the entity's UUID, got %v", id))
	}
	add("size", expect(v.Size < MaxEventSize, "the serialized event is %d bytes; the profile allows fewer than %d", v.Size, MaxEventSize))
	return out
}

func expect(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf(format, args...)
}

func uuidV7(s string) error {
	u, err := uuid.Parse(s)
	switch {
	case err != nil || len(s) != 36:
		return fmt.Errorf("%q is not a canonical UUID", s)
	case u.Version() != 7:
		return fmt.Errorf("%q is a UUID v%d, want v7", s, u.Version())
	case u.Variant() != uuid.RFC4122:
		return fmt.Errorf("%q is not an RFC 9562 UUID", s)
	}
	return nil
}

func absURI(s string) error {
	_, err := parseAbsURI(s)
	return err
}

// parseAbsURI parses s as the profile's absolute URI: a scheme, and a host
// or an opaque part.
func parseAbsURI(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || (u.Host == "" && u.Opaque == "") {
		return nil, fmt.Errorf("%q is not an absolute URI", s)
	}
	return u, nil
}

// isEntityUUID reports whether s is an entity UUID as the profile reads
// it: canonical, or 32 hex digits.
func isEntityUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && (len(s) == 36 || len(s) == 32)
}

func subject(s, typ string) error {
	m := subjectRE.FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("%q does not read <entity_type>/<entity UUID>", s)
	}
	if t := typeRE.FindStringSubmatch(typ); t != nil && t[1] != m[1] {
		return fmt.Errorf("entity type %q differs from the type's %q", m[1], t[1])
	}
	return nil
}

// CheckProfile checks a serialized event against every mechanically
// checkable rule of the profile and returns each rule's verdict.
func CheckProfile(raw []byte) []Check {
	var e struct {
		SpecVersion     string          `json:"specversion"`
		ID              string          `json:"id"`
		Source          string          `json:"source"`
		Type            string          `json:"type"`
		DataContentType string          `json:"datacontenttype"`
		DataSchema      string          `json:"dataschema"`
		Subject         string          `json:"subject"`
		Time            string          `json:"time"`
		IdempotencyKey  any             `json:"idempotencykey"`
		Data            json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return []Check{{Rule: "json", Error: err.Error()}}
	}
	v := profileView{SpecVersion: e.SpecVersion, ID: e.ID, Source: e.Source, Type: e.Type,
		DataContentType: e.DataContentType, DataSchema: e.DataSchema, Subject: e.Subject, Time: e.Time,
		IdempotencyKey: e.IdempotencyKey, Size: len(raw)}
	if d := strings.TrimSpace(string(e.Data)); strings.HasPrefix(d, "{") {
		v.dataIsObject = json.Unmarshal(e.Data, &v.Data) == nil
	}
	return v.checks()
}

// ValidateProfile returns every broken profile rule of a serialized event
// joined, or nil.
func ValidateProfile(raw []byte) error {
	var errs []error
	for _, c := range CheckProfile(raw) {
		if !c.OK {
			errs = append(errs, fmt.Errorf("%s: %s", c.Rule, c.Error))
		}
	}
	return errors.Join(errs...)
}
