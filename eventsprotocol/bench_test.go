package eventsprotocol

import (
	"context"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	data := []byte(jsClientRequest)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkServerProcess(b *testing.B) {
	srv, err := NewServer()
	if err != nil {
		b.Fatal(err)
	}
	srv.HandleFunc("payment:charge:create", 1, echo)
	data := []byte(jsClientRequest)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if answer, _ := srv.process(ctx, data); answer.Name != "payment:charge:create:response" {
			b.Fatalf("answer %q", answer.Name)
		}
	}
}

// bigEnvelope is an envelope whose payload is a list of n objects: what
// an unauthenticated caller may send up to the body limit.
func bigEnvelope(n int) []byte {
	var b []byte
	b = append(b, `{"name":"payment:charge:create","version":1,"id":"i","flowId":"f","auth":{"token":"wrong"},"payload":{"items":[`...)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"sku":"abc-123","qty":2,"price":"10.00","tags":["a","b"],"meta":{"k":"v"}}`...)
	}
	return append(b, `]}}`...)
}

// BenchmarkPeekLarge and BenchmarkParseLarge compare what an
// unauthenticated caller costs before (Parse) and after (Peek) the
// credential moved ahead of the parser.
func BenchmarkPeekLarge(b *testing.B) {
	data := bigEnvelope(10000)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Peek(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseLarge(b *testing.B) {
	data := bigEnvelope(10000)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPeek(b *testing.B) {
	data := []byte(jsClientRequest)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Peek(data); err != nil {
			b.Fatal(err)
		}
	}
}
