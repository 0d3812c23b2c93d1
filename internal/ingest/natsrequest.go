package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/problem"
	"github.com/bridge-dev/bridge/internal/tracing"
	"github.com/bridge-dev/bridge/internal/transform"
)

// request answers a core NATS request on <ReplyPrefix>.<provider> with the
// verdict body the webhook path returns (plus its HTTP-equivalent status).
func (n *NATS) request(msg *nats.Msg) {
	select {
	case n.reqs <- struct{}{}:
	default:
		n.reply(msg, http.StatusServiceUnavailable, problem.Problem{Type: problem.TypeURI("too-many-requests"), Status: http.StatusServiceUnavailable,
			Title: "Too many requests in flight", Detail: "retry later"})
		return
	}
	n.reqWG.Add(1)
	go func() {
		defer n.reqWG.Done()
		defer func() { <-n.reqs }()
		defer func() {
			if r := recover(); r != nil {
				n.requestPanicked(msg, r)
			}
		}()
		in, m, reason, err := n.input(msg.Subject, msg.Header, msg.Data, time.Now())
		p := metricsProvider(m)
		n.cfg.Metrics.Received(p, transform.IngestNATS)
		tctx, span := n.startSpan(msg.Subject, m, &in)
		switch reason {
		case deadletter.ReasonNoMapping:
			n.refuse(msg, span, p, in, "unknown_provider", "unknown-provider",
				problem.Problem{Status: http.StatusNotFound, Title: "Unknown provider", Detail: err.Error()})
			return
		case deadletter.ReasonNotJSON:
			n.refuse(msg, span, p, in, "invalid_body", "invalid-body",
				problem.Problem{Status: http.StatusBadRequest, Title: "Invalid body", Detail: err.Error()})
			return
		}
		v := n.door.deliver(tctx, m, in)
		span.Finish(traceResult(v))
		status, body := Answer(v)
		if body == nil {
			p := storeUnavailable(in.Provider)
			p.Type = problem.TypeURI("store-unavailable")
			n.reply(msg, status, p)
			return
		}
		body.Status = status
		n.reply(msg, status, body)
	}()
}

// refuse answers a request refused before the pipeline with the problem p
// of type slug, and counts and traces it as rejected for why.
func (n *NATS) refuse(msg *nats.Msg, span tracing.Span, provider string, in transform.Input, why, slug string, p problem.Problem) {
	n.cfg.Metrics.Rejected(provider, transform.IngestNATS, why, in.ReceivedAt)
	span.Finish(tracing.Result{Outcome: tracing.OutcomeRejected, Reason: why})
	p.Type, p.Ext = problem.TypeURI(slug), members(in.Provider, "")
	n.reply(msg, p.Status, p)
}

// requestPanicked dead-letters a request whose handling panicked, logs the
// stack, and answers as for any dead letter (202, reason panic), or 503
// when the dead letter cannot be stored either.
func (n *NATS) requestPanicked(msg *nats.Msg, r any) {
	in, m := n.rawInput(msg.Subject, msg.Header, msg.Data, time.Now())
	n.log.Error("nats ingest: panic while handling a request; dead-lettering it", "subject", msg.Subject,
		"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.Timeout)
	defer cancel()
	file := ""
	if m != nil {
		file = m.File
	}
	cause := fmt.Errorf("panic: %v", r)
	ack, err := n.dlq.Store(ctx, natsDeliveryKey(msg.Subject), deadletter.Letter{
		Provider: in.Provider, Reason: deadletter.ReasonPanic, Error: cause.Error(), File: file, Ingest: transform.IngestNATS,
		ReceivedAt: in.ReceivedAt, Header: in.Header, Body: in.Body,
	})
	if err != nil {
		n.log.Error("nats ingest: dead letter not stored", "subject", msg.Subject, "reason", deadletter.ReasonPanic, "err", err)
		p := storeUnavailable(in.Provider)
		p.Type = problem.TypeURI("store-unavailable")
		n.reply(msg, http.StatusServiceUnavailable, p)
		return
	}
	if !ack.Duplicate {
		n.cfg.Metrics.DeadLettered(metricsProvider(m), transform.IngestNATS, string(deadletter.ReasonPanic))
	}
	n.reply(msg, http.StatusAccepted, VerdictBody{Status: http.StatusAccepted, DeadLettered: true, Duplicate: ack.Duplicate,
		Reason: string(deadletter.ReasonPanic), Error: cause.Error()})
}

func (n *NATS) reply(msg *nats.Msg, status int, body any) {
	if msg.Reply == "" {
		return
	}
	b, _ := json.Marshal(body)
	r := nats.NewMsg(msg.Reply)
	r.Header.Set("Bridge-Status", fmt.Sprint(status))
	r.Data = b
	if err := msg.RespondMsg(r); err != nil {
		n.log.Warn("nats ingest: reply", "subject", msg.Subject, "err", err)
	}
}
