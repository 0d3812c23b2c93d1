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
