package authzotel_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authzotel"
	"github.com/jwtguard/jwtguard/authztest"
)

// BenchmarkValidate measures what the hooks add to a validation: a cached
// repeat token, the cheapest validation there is, so the overhead shows.
func BenchmarkValidate(b *testing.B) {
	idp := authztest.NewT(b)
	token := idp.MustMint(b, idp.Claims("user-1", audience))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(discard{}))
	unsampled := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))

	cases := []struct {
		name string
		opts []authzotel.Option // nil: no hooks
	}{
		{"no hooks", nil},
		{"span", []authzotel.Option{authzotel.WithTracerProvider(tp), authzotel.WithMeterProvider(mp)}},
		{"span not sampled", []authzotel.Option{authzotel.WithTracerProvider(unsampled), authzotel.WithMeterProvider(mp)}},
		{"event", []authzotel.Option{authzotel.WithTracerProvider(tp), authzotel.WithMeterProvider(mp), authzotel.WithSpanMode(authzotel.EventOnParent)}},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			opts := []authz.Option{authz.WithoutBackground(), authz.WithTokenCache(authz.TokenCacheOptions{})}
			if bc.opts != nil {
				in, err := authzotel.New(bc.opts...)
				if err != nil {
					b.Fatal(err)
				}
				opts = append(opts, authz.WithHooks(in.Hooks()))
			}
			v, err := authz.New([]authz.Issuer{idp.OIDC(audience)}, opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			ctx := context.Background()
			if bc.name == "event" {
				ctx, _ = tp.Tracer("bench").Start(ctx, "request")
			}
			if _, err := v.Validate(ctx, token); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Validate(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// discard is a span processor that drops every span, so that a benchmark
// measures recording, not an exporter.
type discard struct{}

func (discard) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (discard) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (discard) Shutdown(context.Context) error                  { return nil }
func (discard) ForceFlush(context.Context) error                { return nil }
