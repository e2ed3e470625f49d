package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/jwtguard/jwtguard/authz"
)

// Bounds of the trace pipeline: a collector that is slow or down costs
// memory up to the queue, and delays shutdown by at most traceShutdown.
const (
	traceQueue         = 2048
	traceBatch         = 512
	traceBatchInterval = 5 * time.Second
	traceExportTimeout = 10 * time.Second // per export request, retries included
	traceShutdown      = 5 * time.Second  // flush on shutdown
)

// tracesEnabled tells whether the environment asks for traces: an OTLP
// endpoint is set, and OTEL_TRACES_EXPORTER is not "none" and
// OTEL_SDK_DISABLED not "true".
func tracesEnabled() bool {
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER")), "none") {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// newTracerProvider builds the OTLP/HTTP trace pipeline the standard
// OpenTelemetry environment variables describe, or returns nil when they
// ask for none. The exporter reads the endpoint, headers, compression,
// TLS files and timeout from the environment itself; the timeout is capped
// at traceExportTimeout.
func newTracerProvider(ctx context.Context, log *slog.Logger) (*sdktrace.TracerProvider, error) {
	if !tracesEnabled() {
		return nil, nil
	}
	if e := strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER")); e != "" && !strings.EqualFold(e, "otlp") {
		log.Warn("OTEL_TRACES_EXPORTER: only otlp (or none) is supported; using otlp", "value", e)
	}
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := strings.TrimSpace(os.Getenv(k)); p != "" {
			if p != "http/protobuf" {
				log.Warn(k+": only http/protobuf is supported; using it", "value", p)
			}
			break
		}
	}
	exp, err := otlptracehttp.New(ctx,
		otlptracehttp.WithTimeout(exportTimeout()),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{
			Enabled:         true,
			InitialInterval: 500 * time.Millisecond,
			MaxInterval:     2 * time.Second,
			MaxElapsedTime:  traceExportTimeout,
		}))
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(
			attribute.String("service.name", "jwtguard"),
			attribute.String("service.version", authz.Version),
		),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
		resource.WithTelemetrySDK(),
	)
	if err != nil && res == nil {
		_ = exp.Shutdown(ctx)
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	if err != nil {
		// A partial resource (a malformed OTEL_RESOURCE_ATTRIBUTES): use
		// what could be read.
		log.Warn("trace resource", "error", err.Error())
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithBatcher(exp,
			sdktrace.WithMaxQueueSize(traceQueue),
			sdktrace.WithMaxExportBatchSize(traceBatch),
			sdktrace.WithBatchTimeout(traceBatchInterval),
			sdktrace.WithExportTimeout(traceExportTimeout),
		),
	)
	// Export failures are reported through OpenTelemetry's global error
	// handler: send them to the log rather than to stderr.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("opentelemetry", "error", err.Error())
	}))
	return tp, nil
}

// exportTimeout is the exporter's timeout: OTEL_EXPORTER_OTLP_TRACES_TIMEOUT
// or OTEL_EXPORTER_OTLP_TIMEOUT (milliseconds) when set and lower than
// traceExportTimeout, else traceExportTimeout.
func exportTimeout() time.Duration {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			ms, err := strconv.Atoi(v)
			if err == nil && ms > 0 && time.Duration(ms)*time.Millisecond < traceExportTimeout {
				return time.Duration(ms) * time.Millisecond
			}
			break
		}
	}
	return traceExportTimeout
}

// shutdownTracing flushes the spans still queued and stops tp, waiting at
// most traceShutdown.
func shutdownTracing(tp *sdktrace.TracerProvider, log *slog.Logger) {
	if tp == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), traceShutdown)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Warn("flushing traces", "error", err.Error())
	}
}

// tracePropagator is the W3C trace context propagator (traceparent,
// tracestate).
var tracePropagator propagation.TextMapPropagator = propagation.TraceContext{}
