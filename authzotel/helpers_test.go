package authzotel_test

import (
	"context"
	"encoding/base64"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authzotel"
	"github.com/jwtguard/jwtguard/authztest"
)

const (
	issuerName = "test-idp"
	audience   = "aud-7f3c9e"
)

// rig is a Validator wired to Instruments that record into memory.
type rig struct {
	v      *authz.Validator
	in     *authzotel.Instruments
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
}

// newRig builds a Validator for idp (named issuerName, audience audience)
// with the instruments attached and observed. It never fetches in the
// background: keys are fetched when a request needs them.
func newRig(t *testing.T, idp *authztest.Issuer, otelOpts []authzotel.Option, authzOpts ...authz.Option) *rig {
	t.Helper()
	r := &rig{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	t.Cleanup(func() {
		_ = r.tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	in, err := authzotel.New(append([]authzotel.Option{authzotel.WithTracerProvider(r.tp), authzotel.WithMeterProvider(mp)}, otelOpts...)...)
	if err != nil {
		t.Fatalf("authzotel.New: %v", err)
	}
	r.in = in
	iss := idp.OIDC(audience)
	iss.Name = issuerName
	v, err := authz.New([]authz.Issuer{iss}, append([]authz.Option{authz.WithHooks(in.Hooks()), authz.WithoutBackground()}, authzOpts...)...)
	if err != nil {
		t.Fatalf("authz.New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	r.v = v
	stop, err := in.Observe(v)
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	t.Cleanup(func() { _ = stop() })
	return r
}

// spansNamed returns the ended spans called name.
func (r *rig) spansNamed(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range r.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

func (r *rig) collect(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return rm
}

func findMetric(rm metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

// series is one data point's attributes and value: the sum of a counter,
// the count of a histogram, or the value of a gauge.
type series struct {
	attrs attribute.Set
	value float64
}

// pointsOf returns every data point of the metric name.
func pointsOf(t *testing.T, rm metricdata.ResourceMetrics, name string) []series {
	t.Helper()
	m, ok := findMetric(rm, name)
	if !ok {
		return nil
	}
	var out []series
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			out = append(out, series{p.Attributes, float64(p.Value)})
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			out = append(out, series{p.Attributes, float64(p.Value)})
		}
	case metricdata.Gauge[float64]:
		for _, p := range d.DataPoints {
			out = append(out, series{p.Attributes, p.Value})
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			out = append(out, series{p.Attributes, float64(p.Count)})
		}
	default:
		t.Fatalf("metric %s: unexpected data %T", name, m.Data)
	}
	return out
}

// valueOf returns the value of the data point of name whose attributes
// are exactly attrs, and whether there is one.
func valueOf(t *testing.T, rm metricdata.ResourceMetrics, name string, attrs ...attribute.KeyValue) (float64, bool) {
	t.Helper()
	want := attribute.NewSet(attrs...)
	for _, s := range pointsOf(t, rm, name) {
		if s.attrs.Equals(&want) {
			return s.value, true
		}
	}
	return 0, false
}

// spanAttrs returns a span's attributes by key.
func spanAttrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// rawToken builds an unsigned compact token with the given header and
// payload JSON and a dummy signature.
func rawToken(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + enc([]byte("not-a-signature"))
}
