package authzotel

import (
	"context"
	"errors"
	"fmt"
	"sync"

	global "go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/jwtguard/jwtguard/authz"
)

// ScopeName is the instrumentation scope of every tracer and meter this
// package creates.
const ScopeName = "github.com/jwtguard/jwtguard/authzotel"

// Span and event names.
const (
	// SpanValidate names the span (or, with EventOnParent, the event) of
	// one Validate call.
	SpanValidate = "jwtguard.validate"
	// SpanFetch names the span of one key fetch from an identity provider:
	// discovery, if needed, and the JWKS.
	SpanFetch = "jwtguard.keys.fetch"
)

// Metric names.
const (
	// MetricValidations counts Validate calls ({validation}).
	MetricValidations = "jwtguard.validations"
	// MetricValidationDuration is the duration of Validate calls (s).
	MetricValidationDuration = "jwtguard.validation.duration"
	// MetricKeyFetches counts key fetches from identity providers ({fetch}).
	MetricKeyFetches = "jwtguard.key.fetches"
	// MetricKeyFetchDuration is the duration of key fetches (s).
	MetricKeyFetchDuration = "jwtguard.key.fetch.duration"
	// MetricKeysAge is the time since each issuer's keys were fetched
	// from its identity provider (s); see Observe.
	MetricKeysAge = "jwtguard.keys.age"
	// MetricKeys is the number of usable keys held per issuer ({key});
	// see Observe.
	MetricKeys = "jwtguard.keys"
	// MetricTokenCacheLookups counts verified-token cache lookups by
	// result ({lookup}); see Observe.
	MetricTokenCacheLookups = "jwtguard.token_cache.lookups"
	// MetricStoreRejections counts documents read from the shared key
	// store and refused — no or a wrong MAC, out of bounds, another
	// issuer's — by issuer and reason (error.type: mac, size, format,
	// issuer, bounds, keys) ({document}). Any of them in a fleet whose
	// replicas share one secret means someone else writes the store.
	MetricStoreRejections = "jwtguard.keys.store_rejections"
)

// Attribute keys of this package. Where OpenTelemetry's semantic
// conventions name an attribute (error.type, url.full,
// http.response.status_code, http.response.body.size), that name is used
// instead.
const (
	// AttrIssuer is the Name of the configured issuer, or UnknownIssuer.
	AttrIssuer = attribute.Key("jwtguard.issuer")
	// AttrOutcome is OutcomeOK, OutcomeDenied or OutcomeError.
	AttrOutcome = attribute.Key("jwtguard.outcome")
	// AttrKeyID is the token's kid header, bounded (spans only).
	AttrKeyID = attribute.Key("jwtguard.token.kid")
	// AttrAlgorithm is the token's alg header: a registered JWS algorithm
	// name, or "other" (spans only).
	AttrAlgorithm = attribute.Key("jwtguard.token.alg")
	// AttrFetchReason is why keys were fetched: "load", "refresh" or
	// "unknown_kid" (authz.FetchInfo.Reason).
	AttrFetchReason = attribute.Key("jwtguard.fetch.reason")
	// AttrKeyCount is the number of usable keys a fetch returned (spans).
	AttrKeyCount = attribute.Key("jwtguard.keys.count")
	// AttrKeysIgnored is the number of keys a fetch skipped as unusable
	// (spans).
	AttrKeysIgnored = attribute.Key("jwtguard.keys.ignored")
	// AttrKeysTTL is the freshness lifetime granted to fetched keys, in
	// seconds (spans).
	AttrKeysTTL = attribute.Key("jwtguard.keys.ttl")
	// AttrCacheResult is "hit" or "miss" on MetricTokenCacheLookups.
	AttrCacheResult = attribute.Key("jwtguard.token_cache.result")
)

// Values of AttrOutcome and AttrIssuer.
const (
	// OutcomeOK: the token was accepted, or the keys were fetched.
	OutcomeOK = "ok"
	// OutcomeDenied: the token was rejected (the caller answers 401),
	// including a missing token.
	OutcomeDenied = "denied"
	// OutcomeError: the work could not be done, through no fault of the
	// token: the keys were unavailable (the caller answers 503), or a key
	// fetch failed.
	OutcomeError = "error"
	// UnknownIssuer is the AttrIssuer value when no configured issuer was
	// identified: the token's iss named none, or the token was rejected
	// before its iss was read.
	UnknownIssuer = "unknown"
)

// SpanMode selects how a validation appears in traces.
type SpanMode int

const (
	// SpanPerValidation starts a span, SpanValidate, for every Validate
	// call, a child of the span in the caller's context if any. The
	// default.
	SpanPerValidation SpanMode = iota
	// EventOnParent adds an event, SpanValidate, to the span in the
	// caller's context, carrying the same attributes, and starts no span
	// of its own. Nothing is recorded in traces when the context holds no
	// recording span. Cheaper, and keeps traces short.
	EventOnParent
)

// Option configures Instruments.
type Option func(*config)

type config struct {
	tp    trace.TracerProvider
	mp    metric.MeterProvider
	mode  SpanMode
	extra []attribute.KeyValue
}

// WithTracerProvider sets the tracer provider [the global one, from
// go.opentelemetry.io/otel.GetTracerProvider, at New].
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

// WithMeterProvider sets the meter provider [the global one, from
// go.opentelemetry.io/otel.GetMeterProvider, at New].
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// WithSpanMode sets how validations appear in traces [SpanPerValidation].
// Key fetches always get a span.
func WithSpanMode(m SpanMode) Option {
	return func(c *config) { c.mode = m }
}

// WithAttributes adds attributes to every span, event and metric data
// point, for example to tell two Validators in one process apart. Keep
// them few and of bounded cardinality.
func WithAttributes(attrs ...attribute.KeyValue) Option {
	return func(c *config) { c.extra = append(c.extra, attrs...) }
}

// Instruments holds the tracer and the metric instruments. Create one with
// New, attach it with authz.WithHooks(in.Hooks()), and call Observe with
// the Validator for the observed metrics. It is safe for concurrent use.
type Instruments struct {
	tracer trace.Tracer
	meter  metric.Meter
	mode   SpanMode
	extra  []attribute.KeyValue

	validations        metric.Int64Counter
	validationDuration metric.Float64Histogram
	fetches            metric.Int64Counter
	fetchDuration      metric.Float64Histogram
	keysAge            metric.Float64ObservableGauge
	keys               metric.Int64ObservableGauge
	cacheLookups       metric.Int64ObservableCounter
	storeRejections    metric.Int64Counter

	namesMu sync.RWMutex
	names   map[string]string // issuer URL → configured Name

	validateStart []trace.SpanStartOption

	setsMu sync.RWMutex
	sets   map[setKey]*measurement

	observedMu sync.Mutex
	observed   map[*authz.Validator]bool
}

// measurement holds one attribute set as ready-made options, so that
// recording allocates nothing.
type measurement struct {
	add     []metric.AddOption
	record  []metric.RecordOption
	observe []metric.ObserveOption
}

// durationBuckets span a cached token (under a microsecond) to a
// validation that waited for a slow key fetch (seconds).
var durationBuckets = []float64{
	0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005,
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// fetchBuckets span a fetch from a nearby IdP to one at FetchTimeout.
var fetchBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// New creates the instruments. It fails when an option is invalid or an
// instrument cannot be created.
func New(opts ...Option) (*Instruments, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.mode != SpanPerValidation && c.mode != EventOnParent {
		return nil, fmt.Errorf("otel: unknown SpanMode %d", c.mode)
	}
	if c.tp == nil {
		c.tp = global.GetTracerProvider()
	}
	if c.mp == nil {
		c.mp = global.GetMeterProvider()
	}
	for _, kv := range c.extra {
		if !kv.Valid() {
			return nil, fmt.Errorf("otel: WithAttributes: invalid attribute %q", kv.Key)
		}
	}
	in := &Instruments{
		tracer: c.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(authz.Version), trace.WithSchemaURL(semconv.SchemaURL)),
		meter:  c.mp.Meter(ScopeName, metric.WithInstrumentationVersion(authz.Version), metric.WithSchemaURL(semconv.SchemaURL)),
		mode:   c.mode,
		extra:  c.extra,
		names:  map[string]string{},
		sets:   map[setKey]*measurement{},
		validateStart: []trace.SpanStartOption{
			trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithAttributes(c.extra...),
		},
	}
	var errs [8]error
	in.validations, errs[0] = in.meter.Int64Counter(MetricValidations,
		metric.WithUnit("{validation}"),
		metric.WithDescription("Tokens validated, by issuer, outcome and reason."))
	in.validationDuration, errs[1] = in.meter.Float64Histogram(MetricValidationDuration,
		metric.WithUnit("s"),
		metric.WithDescription("Duration of token validation, including any wait for keys."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	in.fetches, errs[2] = in.meter.Int64Counter(MetricKeyFetches,
		metric.WithUnit("{fetch}"),
		metric.WithDescription("Key fetches from identity providers, by issuer, reason and outcome."))
	in.fetchDuration, errs[3] = in.meter.Float64Histogram(MetricKeyFetchDuration,
		metric.WithUnit("s"),
		metric.WithDescription("Duration of key fetches (discovery and JWKS)."),
		metric.WithExplicitBucketBoundaries(fetchBuckets...))
	in.keysAge, errs[4] = in.meter.Float64ObservableGauge(MetricKeysAge,
		metric.WithUnit("s"),
		metric.WithDescription("Time since the issuer's keys were fetched from the identity provider."))
	in.keys, errs[5] = in.meter.Int64ObservableGauge(MetricKeys,
		metric.WithUnit("{key}"),
		metric.WithDescription("Usable keys held for the issuer (0 when none)."))
	in.cacheLookups, errs[6] = in.meter.Int64ObservableCounter(MetricTokenCacheLookups,
		metric.WithUnit("{lookup}"),
		metric.WithDescription("Verified-token cache lookups, by result (hit or miss)."))
	in.storeRejections, errs[7] = in.meter.Int64Counter(MetricStoreRejections,
		metric.WithUnit("{document}"),
		metric.WithDescription("Documents read from the shared key store and refused, by issuer and reason."))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("otel: %w", err)
	}
	return in, nil
}

// Hooks returns the hooks to pass to authz.WithHooks — the one step that
// wires tracing and every metric: the observed ones (key age, keys, cache
// lookups) are registered when New makes the Validator and unregistered by
// its Close, so Observe need not be called. Pass them once per Validator.
func (in *Instruments) Hooks() authz.Hooks {
	return authz.Hooks{Validate: in.wrapValidate, Fetch: in.wrapFetch, StoreRejected: in.storeRejected, Attach: in.attach}
}

// attach observes v for its life (see Hooks).
func (in *Instruments) attach(v *authz.Validator) func() {
	stop, err := in.Observe(v)
	if err != nil {
		global.Handle(err)
		return nil
	}
	return func() { _ = stop() }
}

// storeRejected counts a refused stored document.
func (in *Instruments) storeRejected(r authz.StoreRejection) {
	in.learn(r.IssuerURL, r.Issuer)
	in.storeRejections.Add(context.Background(), 1, in.measurement(setKey{kind: setIssuer, issuer: r.Issuer, reason: r.Reason}).add...)
}

// setKey identifies one metric attribute set; every field has bounded
// cardinality (issuer names are configured, the rest are fixed codes).
type setKey struct {
	kind                         int
	issuer, outcome, reason, aux string
}

const (
	setValidation = iota
	setFetch
	setIssuer
	setCache
)

// measurement returns the attribute options for k, built once.
func (in *Instruments) measurement(k setKey) *measurement {
	in.setsMu.RLock()
	o, ok := in.sets[k]
	in.setsMu.RUnlock()
	if ok {
		return o
	}
	kvs := make([]attribute.KeyValue, 0, 4+len(in.extra))
	kvs = append(kvs, in.extra...)
	switch k.kind {
	case setValidation:
		kvs = append(kvs, AttrIssuer.String(k.issuer), AttrOutcome.String(k.outcome))
	case setFetch:
		kvs = append(kvs, AttrIssuer.String(k.issuer), AttrFetchReason.String(k.aux), AttrOutcome.String(k.outcome))
	case setIssuer:
		kvs = append(kvs, AttrIssuer.String(k.issuer))
	case setCache:
		kvs = append(kvs, AttrCacheResult.String(k.aux))
	}
	if k.reason != "" {
		kvs = append(kvs, semconv.ErrorTypeKey.String(k.reason))
	}
	opt := metric.WithAttributeSet(attribute.NewSet(kvs...))
	o = &measurement{add: []metric.AddOption{opt}, record: []metric.RecordOption{opt}, observe: []metric.ObserveOption{opt}}
	in.setsMu.Lock()
	in.sets[k] = o
	in.setsMu.Unlock()
	return o
}

// learn records the configured Name of the issuer at url.
func (in *Instruments) learn(url, name string) {
	if url == "" || name == "" {
		return
	}
	in.namesMu.RLock()
	known := in.names[url] == name
	in.namesMu.RUnlock()
	if known {
		return
	}
	in.namesMu.Lock()
	in.names[url] = name
	in.namesMu.Unlock()
}

// issuerName maps the issuer URL of a *authz.ValidationError (always a
// configured issuer's URL, never the token's iss) to the issuer's Name.
// The names are learnt from key fetches and from Observe; until one is, the
// URL stands for the name.
func (in *Instruments) issuerName(url string) string {
	if url == "" {
		return UnknownIssuer
	}
	in.namesMu.RLock()
	name, ok := in.names[url]
	in.namesMu.RUnlock()
	if ok {
		return name
	}
	return url
}
