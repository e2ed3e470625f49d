package forwardauth

import (
	"context"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/metadata"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authzotel"
)

// SpanDecision names the server span of one decision.
const SpanDecision = "jwtguard.decision"

// ScopeName is the instrumentation scope of the decision spans.
const ScopeName = "github.com/jwtguard/jwtguard/cmd/jwtguard"

// Attributes of a decision span. Nothing from the request (token, claims,
// headers, host, path) is recorded: only the endpoint, the configured rule
// and issuer names, and fixed codes.
const (
	AttrEndpoint = attribute.Key("jwtguard.endpoint")
	AttrReason   = attribute.Key("jwtguard.decision.reason")
	AttrRule     = attribute.Key("jwtguard.rule")
	AttrStatus   = attribute.Key("http.response.status_code")
)

// tracing holds what traces need: nil when traces are off.
type tracing struct {
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	hooks  authz.Hooks
}

// WithTracing makes a server span, SpanDecision, of every decision,
// continuing the trace that prop extracts from the request (HTTP headers
// or gRPC metadata), and gives every Validator the Authorizer builds the
// hooks of authzotel, whose validation and key-fetch spans are children of
// the decision's. tp is kept across reloads; the caller shuts it down.
// Without this option no span is made.
func WithTracing(tp trace.TracerProvider, prop propagation.TextMapPropagator) Option {
	return func(a *Authorizer) {
		if tp == nil {
			return
		}
		if prop == nil {
			prop = propagation.TraceContext{}
		}
		tel, err := authzotel.New(authzotel.WithTracerProvider(tp), authzotel.WithMeterProvider(noop.NewMeterProvider()))
		if err != nil {
			// Only invalid options fail; these are valid.
			a.log.Error("tracing disabled", "error", err.Error())
			return
		}
		a.tracing = &tracing{
			tracer: tp.Tracer(ScopeName, trace.WithInstrumentationVersion(authz.Version)),
			prop:   prop,
			hooks:  tel.Hooks(),
		}
	}
}

// extractHTTP returns ctx with the remote span context of r's headers.
func (tr *tracing) extractHTTP(r *http.Request) context.Context {
	if tr == nil {
		return r.Context()
	}
	return tr.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
}

// extractGRPC returns ctx with the remote span context of the incoming
// gRPC metadata (Envoy sends its traceparent there), not of the checked
// request's headers.
func (tr *tracing) extractGRPC(ctx context.Context) context.Context {
	if tr == nil {
		return ctx
	}
	md, _ := metadata.FromIncomingContext(ctx)
	return tr.prop.Extract(ctx, mdCarrier(md))
}

// mdCarrier adapts gRPC metadata to propagation.TextMapCarrier.
type mdCarrier metadata.MD

func (c mdCarrier) Get(key string) string {
	if vs := metadata.MD(c).Get(key); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

func (c mdCarrier) Set(key, value string) { metadata.MD(c).Set(key, value) }

func (c mdCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// start starts the decision span; the returned end records d on it.
func (tr *tracing) start(ctx context.Context, endpoint string) (context.Context, func(d *decision)) {
	if tr == nil {
		return ctx, func(*decision) {}
	}
	ctx, span := tr.tracer.Start(ctx, SpanDecision, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(AttrEndpoint.String(endpoint)))
	return ctx, func(d *decision) {
		code := reasonCode(d.reason)
		attrs := []attribute.KeyValue{AttrStatus.Int(d.status), AttrReason.String(code)}
		if d.rule != "" {
			attrs = append(attrs, AttrRule.String(d.rule))
		}
		if d.issuer != "" {
			attrs = append(attrs, authzotel.AttrIssuer.String(d.issuer))
		}
		span.SetAttributes(attrs...)
		if d.status >= 500 {
			span.SetStatus(codes.Error, code)
		}
		span.End()
	}
}

// reasonCode cuts a decision's reason to its code, the text before ":"
// (the rest may carry an error's text).
func reasonCode(reason string) string {
	if i := strings.Index(reason, ":"); i >= 0 {
		return reason[:i]
	}
	return reason
}
