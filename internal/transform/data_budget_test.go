package transform

import (
	"fmt"
	"testing"
)

// When a data tree's one-expression run fails and its leaves run again
// one by one, they start from the steps spent before the data (here by
// the `when`), not from none: a rule that spends more than its budget in
// all fails as one expression as it does leaf by leaf (1,000,000 steps:
// 100,000 in the `when`, then 320,000 per leaf).
func TestWholeDataRetryKeepsWhatWasSpentBefore(t *testing.T) {
	leaf := fmt.Sprintf("len(map(1..%d, #))", 320000)
	file := `provider: shop
module: test
webhook: {signature: {scheme: none}}
rules:
  - name: r
    when: 'len(map(1..100000, #)) >= 0'
    entity_type: line
    event_name: seen
    entity_id: '"x"'
    source: '"https://shop.example/x"'
    data:
      a: '` + leaf + `'
      b: '` + leaf + `'
      c: '` + leaf + `'
`
	for _, whole := range []bool{true, false} {
		res := applyFile(t, file, `{}`, whole)
		if res.Failure == nil || res.Failure.Field != "data.c" {
			t.Errorf("as one expression first: %v: failure %v, want one naming data.c", whole, res.Failure)
		}
	}
}
