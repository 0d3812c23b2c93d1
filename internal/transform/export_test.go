package transform

import "testing"

// CheckWholeData is for the tests of package transform_test that run the
// shipped fixtures: it runs r's data tree over in as one expression and
// leaf by leaf, and fails t when they differ. It reports whether there was
// anything to compare (a rule whose data is a map, and for an each rule a
// first item).
func CheckWholeData(t *testing.T, m *Mapping, r *Rule, in Input) bool {
	t.Helper()
	if r.data == nil || !r.data.isMap {
		return false
	}
	if r.data.whole == nil {
		t.Errorf("%s rule %s: data is evaluated leaf by leaf", m.File, r.Name)
		return false
	}
	e := &env{Payload: in.Payload, Headers: in.HeaderValues(), Provider: m.Provider, ReceivedAt: in.ReceivedAt, Envelope: in.Envelope}
	if r.each != nil {
		items, _ := r.each.run(e)
		list, _ := items.([]any)
		if len(list) == 0 {
			return false
		}
		ie := &itemEnv{Payload: e.Payload, Headers: e.Headers, Query: e.Query, Provider: e.Provider, ReceivedAt: e.ReceivedAt, Envelope: e.Envelope, Item: list[0]}
		compareData(t, r, ie)
	} else {
		compareData(t, r, e)
	}
	return true
}
