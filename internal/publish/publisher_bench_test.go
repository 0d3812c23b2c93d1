package publish

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"
)

// BenchmarkPublish measures one synchronous Publish of a ~1 KiB event
// (headers as the pipeline sets them) to an embedded server, file store.
func BenchmarkPublish(b *testing.B) {
	e := newEnv(b, nil)
	data := bytes.Repeat([]byte("x"), 1024)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m := event("event.stripe.payments.charge.succeeded", "", "0190b7a2-7c1e-7000-8000-000000000000", data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		m.MsgID = strconv.Itoa(i)
		if _, err := e.pub.Publish(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}
