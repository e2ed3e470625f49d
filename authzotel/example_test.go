package authzotel_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authzotel"
	"github.com/jwtguard/jwtguard/authztest"
)

func Example() {
	idp, _ := authztest.New() // a local OpenID Connect issuer
	defer idp.Close()

	// In production, leave out the providers to use the global ones.
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	tel, err := authzotel.New(authzotel.WithTracerProvider(tp), authzotel.WithMeterProvider(mp))
	if err != nil {
		panic(err)
	}
	iss := idp.OIDC("api")
	iss.Name = "example-idp"
	v, err := authz.New([]authz.Issuer{iss}, authz.WithHooks(tel.Hooks()), authz.WithoutBackground())
	if err != nil {
		panic(err)
	}
	defer v.Close()
	stop, err := tel.Observe(v) // key-set age, key counts, token-cache lookups
	if err != nil {
		panic(err)
	}
	defer stop()

	ctx := context.Background()
	claims := idp.Claims("user-1", "api")
	good, _ := idp.Mint(claims)
	claims["exp"] = time.Now().Add(-time.Hour).Unix()
	expired, _ := idp.Mint(claims)
	_, _ = v.Validate(ctx, good)
	_, _ = v.Validate(ctx, expired)

	show := func(set attribute.Set, keys ...attribute.Key) string {
		var out []string
		for _, k := range keys {
			if val, ok := set.Value(k); ok {
				out = append(out, string(k)+"="+val.Emit())
			}
		}
		return strings.Join(out, " ")
	}
	for _, s := range spans.Ended() {
		set := attribute.NewSet(s.Attributes()...)
		fmt.Println(s.Name(), show(set, authzotel.AttrIssuer, authzotel.AttrFetchReason, authzotel.AttrOutcome, "error.type"))
	}

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(ctx, &rm)
	var lines []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == authzotel.MetricValidations {
				for _, p := range sum.DataPoints {
					lines = append(lines, fmt.Sprintf("%s{%s} %d", m.Name, show(p.Attributes, authzotel.AttrIssuer, authzotel.AttrOutcome, "error.type"), p.Value))
				}
			}
		}
	}
	slices.Sort(lines)
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// jwtguard.keys.fetch jwtguard.issuer=example-idp jwtguard.fetch.reason=load jwtguard.outcome=ok
	// jwtguard.validate jwtguard.issuer=example-idp jwtguard.outcome=ok
	// jwtguard.validate jwtguard.issuer=example-idp jwtguard.outcome=denied error.type=expired
	// jwtguard.validations{jwtguard.issuer=example-idp jwtguard.outcome=denied error.type=expired} 1
	// jwtguard.validations{jwtguard.issuer=example-idp jwtguard.outcome=ok} 1
}
