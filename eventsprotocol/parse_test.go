package eventsprotocol

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// jsClientRequest is what the published JavaScript client sends, as the
// spec captured it: version as a string, identity {} beside an auth whose
// token is null.
const jsClientRequest = `{"name":"payment:charge:create","version":"1","payload":{"charge_id":"x"},
 "flowId":"df9bf118-57d5-43cb-bcce-e246899d7a4a","id":"2947caab-7abc-458f-9953-7dc9c74bebc5",
 "auth":{"token":null,"x-sid":"d98d2642-f7e9-4bc2-b5eb-425501809605","x-tid":"f70ba15f-6a74-4481-a5d8-288b66d9d489"},
 "metadata":{"origin":"web","createdAt":"2026-11-25T14:34:05.946Z"},"identity":{}}`

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Envelope
	}{
		{
			name: "minimal",
			in:   `{"name":"user:name:set","version":1,"id":"i","flowId":"f","payload":{"a": [1, 2]}}`,
			want: &Envelope{Name: "user:name:set", Version: IntVersion(1), ID: "i", FlowID: "f", Payload: json.RawMessage(`{"a":[1,2]}`),
				Identity: map[string]any{}, Auth: map[string]any{}, Metadata: map[string]any{}},
		},
		{
			name: "version as a string, null maps, unknown fields",
			in:   `{"name":"a:b","version":"2","id":"i","flowId":"f","payload":"p","identity":null,"auth":null,"metadata":null,"extra":{"x":1},"Name":"ignored"}`,
			want: &Envelope{Name: "a:b", Version: StringVersion(2), ID: "i", FlowID: "f", Payload: json.RawMessage(`"p"`),
				Identity: map[string]any{}, Auth: map[string]any{}, Metadata: map[string]any{}},
		},
		{
			name: "version as an integral float, null payload, numbers kept whole",
			in:   ` {"name":"a:b","version":3.0,"id":"i","flowId":"f","payload":null,"identity":{"userId":12345678901234567890}} `,
			want: &Envelope{Name: "a:b", Version: IntVersion(3), ID: "i", FlowID: "f", Payload: json.RawMessage(`null`),
				Identity: map[string]any{"userId": json.Number("12345678901234567890")}, Auth: map[string]any{}, Metadata: map[string]any{}},
		},
		{
			name: "whitespace everywhere",
			in:   "{ \"name\" :\n \"ab:cd\" , \"version\" :\t \"1\" \n, \"id\": \"i\" ,\"flowId\":\"f\",\"payload\": { \"a\" : 1 } , \"identity\" : \n{ } }",
			want: &Envelope{Name: "ab:cd", Version: StringVersion(1), ID: "i", FlowID: "f", Payload: json.RawMessage(`{"a":1}`),
				Identity: map[string]any{}, Auth: map[string]any{}, Metadata: map[string]any{}},
		},
		{
			name: "the JavaScript client's request",
			in:   jsClientRequest,
			want: &Envelope{
				Name: "payment:charge:create", Version: StringVersion(1),
				ID: "2947caab-7abc-458f-9953-7dc9c74bebc5", FlowID: "df9bf118-57d5-43cb-bcce-e246899d7a4a",
				Payload:  json.RawMessage(`{"charge_id":"x"}`),
				Identity: map[string]any{},
				Auth: map[string]any{"token": nil, "x-sid": "d98d2642-f7e9-4bc2-b5eb-425501809605",
					"x-tid": "f70ba15f-6a74-4481-a5d8-288b66d9d489"},
				Metadata: map[string]any{"origin": "web", "createdAt": "2026-11-25T14:34:05.946Z"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse =\n%#v\nwant\n%#v", got, tc.want)
			}
			var viaJSON Envelope
			if err := json.Unmarshal([]byte(tc.in), &viaJSON); err != nil || !reflect.DeepEqual(&viaJSON, tc.want) {
				t.Errorf("json.Unmarshal = %v, %#v; want Parse's result", err, viaJSON)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const valid = `"name":"a:b","version":1,"id":"i","flowId":"f","payload":{}`
	tests := []struct {
		name      string
		in        string
		wantType  string // "malformed", "missing", "invalid"
		wantField string
		wantText  string // a part of the message
	}{
		{name: "garbage", in: "THIS IS NOT A EVENT", wantType: "malformed", wantText: "invalid character"},
		{name: "empty", in: "", wantType: "malformed"},
		{name: "null", in: "null", wantType: "malformed", wantText: "not a JSON object"},
		{name: "array", in: `[{` + valid + `}]`, wantType: "malformed"},
		{name: "string", in: `"x"`, wantType: "malformed"},
		{name: "trailing data", in: `{` + valid + `} {}`, wantType: "malformed"},
		{name: "truncated", in: `{` + valid, wantType: "malformed"},
		{name: "missing name", in: `{"version":1,"id":"i","flowId":"f","payload":{}}`, wantType: "missing", wantField: "name"},
		{name: "missing version", in: `{"name":"a:b","id":"i","flowId":"f","payload":{}}`, wantType: "missing", wantField: "version"},
		{name: "missing id", in: `{"name":"a:b","version":1,"flowId":"f","payload":{}}`, wantType: "missing", wantField: "id"},
		{name: "missing flowId", in: `{"name":"a:b","version":1,"id":"i","payload":{}}`, wantType: "missing", wantField: "flowId"},
		{name: "missing payload", in: `{"name":"a:b","version":1,"id":"i","flowId":"f"}`, wantType: "missing", wantField: "payload"},
		{name: "null name", in: `{"name":null,"version":1,"id":"i","flowId":"f","payload":{}}`, wantType: "missing", wantField: "name"},
		{name: "null version", in: `{"name":"a:b","version":null,"id":"i","flowId":"f","payload":{}}`, wantType: "missing", wantField: "version"},
		{name: "empty id", in: `{"name":"a:b","version":1,"id":"","flowId":"f","payload":{}}`, wantType: "missing", wantField: "id"},
		{name: "flowId in other case", in: `{"name":"a:b","version":1,"id":"i","flowid":"f","payload":{}}`, wantType: "missing", wantField: "flowId"},
		{name: "everything missing reports name first", in: `{}`, wantType: "missing", wantField: "name", wantText: `"payload"`},
		{name: "version a word", in: `{"name":"a:b","version":"one","id":"i","flowId":"f","payload":{}}`, wantType: "invalid", wantField: "version", wantText: `got "one"`},
		{name: "version a fraction", in: `{"name":"a:b","version":1.5,"id":"i","flowId":"f","payload":{}}`, wantType: "invalid", wantField: "version"},
		{name: "version a fraction string", in: `{"name":"a:b","version":"1.0","id":"i","flowId":"f","payload":{}}`, wantType: "invalid", wantField: "version"},
		{name: "version beyond 32 bits", in: `{"name":"a:b","version":4294967296,"id":"i","flowId":"f","payload":{}}`, wantType: "invalid", wantField: "version"},
		{name: "version a boolean", in: `{"name":"a:b","version":true,"id":"i","flowId":"f","payload":{}}`, wantType: "invalid", wantField: "version"},
		{name: "version an empty string", in: `{"name":"a:b","version":"","id":"i","flowId":"f","payload":{}}`, wantType: "invalid", wantField: "version"},
		{name: "version with spaces", in: `{"name":"a:b","version":" 1","id":"i","flowId":"f","payload":{}}`, wantType: "invalid", wantField: "version"},
		{name: "name a number", in: `{"name":7,"version":1,"id":"i","flowId":"f","payload":{}}`, wantType: "invalid", wantField: "name", wantText: "got a number"},
		{name: "id a number", in: `{"name":"a:b","version":1,"id":7,"flowId":"f","payload":{}}`, wantType: "invalid", wantField: "id"},
		{name: "flowId an object", in: `{"name":"a:b","version":1,"id":"i","flowId":{},"payload":{}}`, wantType: "invalid", wantField: "flowId", wantText: "got an object"},
		{name: "identity a string", in: `{` + valid + `,"identity":"u1"}`, wantType: "invalid", wantField: "identity", wantText: "must be an object, got a string"},
		{name: "auth an array", in: `{` + valid + `,"auth":[]}`, wantType: "invalid", wantField: "auth"},
		{name: "metadata a boolean", in: `{` + valid + `,"metadata":false}`, wantType: "invalid", wantField: "metadata"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", got)
			}
			var (
				malformed *MalformedError
				missing   *MissingFieldError
				invalid   *InvalidFieldError
				field     string
			)
			switch {
			case errors.As(err, &malformed):
				if tc.wantType != "malformed" {
					t.Errorf("Parse error %v is a *MalformedError, want %s", err, tc.wantType)
				}
			case errors.As(err, &missing):
				if tc.wantType != "missing" {
					t.Errorf("Parse error %v is a *MissingFieldError, want %s", err, tc.wantType)
				}
				field = missing.Field
			case errors.As(err, &invalid):
				if tc.wantType != "invalid" {
					t.Errorf("Parse error %v is an *InvalidFieldError, want %s", err, tc.wantType)
				}
				field = invalid.Field
			default:
				t.Fatalf("Parse error %v (%T) has none of the package's types", err, err)
			}
			if field != tc.wantField {
				t.Errorf("Parse error %v names field %q, want %q", err, field, tc.wantField)
			}
			if tc.wantField != "" && !strings.Contains(err.Error(), `"`+tc.wantField+`"`) {
				t.Errorf("message %q does not name the field %q", err, tc.wantField)
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("message %q does not contain %q", err, tc.wantText)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse([]byte(`{"version":"x","id":3}`))
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		switch e := e.(type) {
		case *MissingFieldError:
			fields = append(fields, "missing "+e.Field)
		case *InvalidFieldError:
			fields = append(fields, "invalid "+e.Field)
		}
	}
	want := []string{"missing name", "invalid version", "invalid id", "missing flowId", "missing payload"}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("Parse reported %v, want %v", fields, want)
	}
}

func TestValidateIdentityAuth(t *testing.T) {
	tests := []struct {
		name           string
		identity, auth map[string]any
		wantErr        bool
	}{
		{name: "both absent"},
		{name: "both empty", identity: map[string]any{}, auth: map[string]any{}},
		{name: "identity only", identity: map[string]any{"userId": "1"}, auth: map[string]any{}},
		{name: "auth only", identity: map[string]any{}, auth: map[string]any{"token": "t"}},
		{name: "identity with null values beside auth", identity: map[string]any{"userId": nil}, auth: map[string]any{"token": "t"}},
		{name: "auth with null values beside identity", identity: map[string]any{"userId": "1"}, auth: map[string]any{"token": nil}},
		{name: "the JavaScript client's", identity: map[string]any{}, auth: map[string]any{"token": nil, "x-sid": "s"}},
		{name: "both carry values", identity: map[string]any{"userId": "1"}, auth: map[string]any{"token": "t"}, wantErr: true},
		{name: "an empty object is a value", identity: map[string]any{"user": map[string]any{}}, auth: map[string]any{"token": ""}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := &Envelope{Identity: tc.identity, Auth: tc.auth}
			err := e.ValidateIdentityAuth()
			var both *IdentityWithAuthError
			if got := errors.As(err, &both); got != tc.wantErr {
				t.Errorf("ValidateIdentityAuth = %v, want an *IdentityWithAuthError: %v", err, tc.wantErr)
			}
		})
	}
}

func TestEnvelopeValidate(t *testing.T) {
	ok := Envelope{Name: "ab:cd", Version: IntVersion(0), ID: "i", FlowID: "f", Payload: json.RawMessage(`{}`)}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v, want nil", ok, err)
	}
	bad := Envelope{Name: "A", Identity: map[string]any{"u": 1}, Auth: map[string]any{"t": 1}}
	err := bad.Validate()
	var (
		missing *MissingFieldError
		name    *NameError
		both    *IdentityWithAuthError
	)
	if !errors.As(err, &missing) || missing.Field != "version" || !errors.As(err, &name) || !errors.As(err, &both) {
		t.Errorf("Validate = %v, want missing version, id, flowId, payload, a bad name and identity with auth", err)
	}
	for _, field := range []string{`"version"`, `"id"`, `"flowId"`, `"payload"`, `"name"`, `"identity"`} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("Validate error %q does not name %s", err, field)
		}
	}
}

func TestVersionJSON(t *testing.T) {
	tests := []struct {
		in       string
		want     Version
		wantBack string
	}{
		{in: `1`, want: IntVersion(1), wantBack: `1`},
		{in: `"1"`, want: StringVersion(1), wantBack: `"1"`},
		{in: `"+7"`, want: StringVersion(7), wantBack: `"7"`},
		{in: `-2`, want: IntVersion(-2), wantBack: `-2`},
		{in: `1e1`, want: IntVersion(10), wantBack: `10`},
		{in: `2147483647`, want: IntVersion(2147483647), wantBack: `2147483647`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var v Version
			if err := json.Unmarshal([]byte(tc.in), &v); err != nil {
				t.Fatalf("Unmarshal(%s): %v", tc.in, err)
			}
			if v != tc.want {
				t.Errorf("Unmarshal(%s) = %#v, want %#v", tc.in, v, tc.want)
			}
			back, err := json.Marshal(v)
			if err != nil || string(back) != tc.wantBack {
				t.Errorf("Marshal(%#v) = %s, %v; want %s", v, back, err, tc.wantBack)
			}
		})
	}
	if back, _ := json.Marshal(Version{}); string(back) != "null" {
		t.Errorf("Marshal(Version{}) = %s, want null", back)
	}
}

func TestEnvelopeMarshal(t *testing.T) {
	e := Envelope{Name: "a:b:response", Version: StringVersion(1), ID: "i", FlowID: "f", Payload: json.RawMessage(`{"html":"<b>&"}`)}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		t.Fatal(err)
	}
	want := `{"name":"a:b:response","version":"1","id":"i","flowId":"f","payload":{"html":"<b>&"},"identity":{},"auth":{},"metadata":{}}` + "\n"
	if buf.String() != want {
		t.Errorf("encoded\n%s\nwant\n%s", buf.String(), want)
	}
}
