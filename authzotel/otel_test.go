package authzotel_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	noopmetric "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authzotel"
	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/keystore/memory"
)

func TestValidate(t *testing.T) {
	idp := authztest.NewT(t)
	down := authztest.NewT(t)
	down.SetFailure(authztest.Fail5xx)
	kid := idp.KeyIDs()[0]

	valid := func(idp *authztest.Issuer) map[string]any { return idp.Claims("user-1", audience) }
	mint := func(idp *authztest.Issuer, claims map[string]any, opts ...authztest.TokenOption) string {
		return idp.MustMint(t, claims, opts...)
	}

	tests := []struct {
		name        string
		idp         *authztest.Issuer
		token       func(idp *authztest.Issuer) string
		wantOutcome string
		wantReason  string // error.type; "" when absent
		wantIssuer  string
		wantAlg     string // "" when absent
		wantKid     string // "" when absent
		wantFetches []string
		fetchFails  bool
	}{
		{
			name:        "ok",
			idp:         idp,
			token:       func(idp *authztest.Issuer) string { return mint(idp, valid(idp)) },
			wantOutcome: authzotel.OutcomeOK,
			wantIssuer:  issuerName,
			wantAlg:     "RS256",
			wantKid:     kid,
			wantFetches: []string{"load"},
		},
		{
			name:        "missing token",
			idp:         idp,
			token:       func(*authztest.Issuer) string { return "" },
			wantOutcome: authzotel.OutcomeDenied,
			wantReason:  string(authz.ReasonMissing),
			wantIssuer:  authzotel.UnknownIssuer,
		},
		{
			name:        "malformed",
			idp:         idp,
			token:       func(*authztest.Issuer) string { return "not.a-token" },
			wantOutcome: authzotel.OutcomeDenied,
			wantReason:  string(authz.ReasonMalformed),
			wantIssuer:  authzotel.UnknownIssuer,
		},
		{
			name: "alg none, before iss is read: no kid",
			idp:  idp,
			token: func(idp *authztest.Issuer) string {
				return rawToken(`{"alg":"none","kid":"`+kid+`"}`, `{"iss":"`+idp.URL()+`"}`)
			},
			wantOutcome: authzotel.OutcomeDenied,
			wantReason:  string(authz.ReasonAlgorithm),
			wantIssuer:  authzotel.UnknownIssuer,
			wantAlg:     "none",
		},
		{
			name: "unregistered alg is recorded as other",
			idp:  idp,
			token: func(idp *authztest.Issuer) string {
				return rawToken(`{"alg":"`+strings.Repeat("X", 200)+`"}`, `{"iss":"`+idp.URL()+`"}`)
			},
			wantOutcome: authzotel.OutcomeDenied,
			wantReason:  string(authz.ReasonAlgorithm),
			wantIssuer:  authzotel.UnknownIssuer,
			wantAlg:     "other",
		},
		{
			name: "expired",
			idp:  idp,
			token: func(idp *authztest.Issuer) string {
				c := valid(idp)
				c["exp"] = time.Now().Add(-time.Hour).Unix()
				return mint(idp, c)
			},
			wantOutcome: authzotel.OutcomeDenied,
			wantReason:  string(authz.ReasonExpired),
			wantIssuer:  issuerName,
			wantAlg:     "RS256",
			wantKid:     kid,
		},
		{
			name:        "bad signature",
			idp:         idp,
			token:       func(idp *authztest.Issuer) string { return mint(idp, valid(idp), authztest.WithUnpublishedKey()) },
			wantOutcome: authzotel.OutcomeDenied,
			wantReason:  string(authz.ReasonSignature),
			wantIssuer:  issuerName,
			wantAlg:     "RS256",
			wantKid:     kid,
			wantFetches: []string{"load"},
		},
		{
			name: "unknown issuer: its iss is not recorded",
			idp:  idp,
			token: func(idp *authztest.Issuer) string {
				c := valid(idp)
				c["iss"] = "https://attacker.example/iss-" + strings.Repeat("z", 40)
				return mint(idp, c)
			},
			wantOutcome: authzotel.OutcomeDenied,
			wantReason:  string(authz.ReasonUnknownIssuer),
			wantIssuer:  authzotel.UnknownIssuer,
			wantAlg:     "RS256",
		},
		{
			name: "unknown key: kid bounded",
			idp:  idp,
			token: func(idp *authztest.Issuer) string {
				return mint(idp, valid(idp), authztest.WithKeyID(strings.Repeat("k", 60)+"\n\x01"+strings.Repeat("k", 100)))
			},
			wantOutcome: authzotel.OutcomeDenied,
			wantReason:  string(authz.ReasonUnknownKey),
			wantIssuer:  issuerName,
			wantAlg:     "RS256",
			wantKid:     strings.Repeat("k", 60) + "??kk",
			wantFetches: []string{"load", "unknown_kid"},
		},
		{
			name:        "keys unavailable",
			idp:         down,
			token:       func(idp *authztest.Issuer) string { return mint(idp, valid(idp)) },
			wantOutcome: authzotel.OutcomeError,
			wantReason:  string(authz.ReasonKeysUnavailable),
			wantIssuer:  issuerName,
			wantAlg:     "RS256",
			wantKid:     down.KeyIDs()[0],
			wantFetches: []string{"load"},
			fetchFails:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.idp, nil)
			c, err := r.v.Validate(context.Background(), tt.token(tt.idp))
			if (err == nil) != (tt.wantOutcome == authzotel.OutcomeOK) {
				t.Fatalf("Validate = %v, %v; want outcome %s", c, err, tt.wantOutcome)
			}

			// The validation span.
			spans := r.spansNamed(authzotel.SpanValidate)
			if len(spans) != 1 {
				t.Fatalf("%d %s spans, want 1", len(spans), authzotel.SpanValidate)
			}
			s := spans[0]
			want := map[attribute.Key]attribute.Value{
				authzotel.AttrIssuer:  attribute.StringValue(tt.wantIssuer),
				authzotel.AttrOutcome: attribute.StringValue(tt.wantOutcome),
			}
			if tt.wantReason != "" {
				want["error.type"] = attribute.StringValue(tt.wantReason)
			}
			if tt.wantAlg != "" {
				want[authzotel.AttrAlgorithm] = attribute.StringValue(tt.wantAlg)
			}
			if tt.wantKid != "" {
				want[authzotel.AttrKeyID] = attribute.StringValue(tt.wantKid)
			}
			assertAttrs(t, s, want)
			wantStatus := codes.Unset
			if tt.wantOutcome != authzotel.OutcomeOK {
				wantStatus = codes.Error
			}
			if st := s.Status(); st.Code != wantStatus || (wantStatus == codes.Error && st.Description != tt.wantReason) {
				t.Errorf("status = %v %q, want %v %q", st.Code, st.Description, wantStatus, tt.wantReason)
			}
			if s.SpanKind().String() != "internal" {
				t.Errorf("span kind = %v, want internal", s.SpanKind())
			}

			// The fetch spans.
			var reasons []string
			for _, f := range r.spansNamed(authzotel.SpanFetch) {
				reasons = append(reasons, spanAttrs(f)[authzotel.AttrFetchReason].AsString())
			}
			if !slices.Equal(reasons, tt.wantFetches) {
				t.Errorf("fetch reasons = %q, want %q", reasons, tt.wantFetches)
			}

			// The metrics.
			rm := r.collect(t)
			series := []attribute.KeyValue{authzotel.AttrIssuer.String(tt.wantIssuer), authzotel.AttrOutcome.String(tt.wantOutcome)}
			if tt.wantReason != "" {
				series = append(series, attribute.String("error.type", tt.wantReason))
			}
			for _, name := range []string{authzotel.MetricValidations, authzotel.MetricValidationDuration} {
				if n := len(pointsOf(t, rm, name)); n != 1 {
					t.Errorf("%s: %d series, want 1", name, n)
				}
				if got, ok := valueOf(t, rm, name, series...); !ok || got != 1 {
					t.Errorf("%s%v = %v (found %v), want 1", name, series, got, ok)
				}
			}
			fetchOutcome := authzotel.OutcomeOK
			var fetchErr []attribute.KeyValue
			if tt.fetchFails {
				fetchOutcome = authzotel.OutcomeError
				fetchErr = []attribute.KeyValue{attribute.String("error.type", "503")}
			}
			for _, reason := range tt.wantFetches {
				attrs := append([]attribute.KeyValue{
					authzotel.AttrIssuer.String(issuerName),
					authzotel.AttrFetchReason.String(reason),
					authzotel.AttrOutcome.String(fetchOutcome),
				}, fetchErr...)
				for _, name := range []string{authzotel.MetricKeyFetches, authzotel.MetricKeyFetchDuration} {
					if got, ok := valueOf(t, rm, name, attrs...); !ok || got != 1 {
						t.Errorf("%s%v = %v (found %v), want 1", name, attrs, got, ok)
					}
				}
			}
			if len(tt.wantFetches) == 0 && len(pointsOf(t, rm, authzotel.MetricKeyFetches)) != 0 {
				t.Errorf("%s recorded without a fetch", authzotel.MetricKeyFetches)
			}
		})
	}
}

func assertAttrs(t *testing.T, s sdktrace.ReadOnlySpan, want map[attribute.Key]attribute.Value) {
	t.Helper()
	got := spanAttrs(s)
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("%s: %s = %q, want %q", s.Name(), k, g.Emit(), w.Emit())
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected attribute %s = %q", s.Name(), k, g.Emit())
		}
	}
}

func TestFetch(t *testing.T) {
	tests := []struct {
		name       string
		failure    authztest.Failure
		keyOpts    authz.KeyOptions
		wantErr    bool
		wantType   string // error.type
		wantStatus int64  // http.response.status_code; 0 when absent
		wantURL    func(idp *authztest.Issuer) string
	}{
		{
			name:       "ok",
			failure:    authztest.Healthy,
			wantStatus: 200,
			wantURL:    (*authztest.Issuer).JWKSURL,
		},
		{
			name:       "5xx",
			failure:    authztest.Fail5xx,
			wantErr:    true,
			wantType:   "503",
			wantStatus: 503,
			wantURL:    func(idp *authztest.Issuer) string { return idp.URL() + "/.well-known/openid-configuration" },
		},
		{
			name:       "garbage",
			failure:    authztest.Garbage,
			wantErr:    true,
			wantType:   "invalid_document",
			wantStatus: 200,
			wantURL:    func(idp *authztest.Issuer) string { return idp.URL() + "/.well-known/openid-configuration" },
		},
		{
			name:     "timeout",
			failure:  authztest.Hang,
			keyOpts:  authz.KeyOptions{FetchTimeout: 100 * time.Millisecond},
			wantErr:  true,
			wantType: "timeout",
			wantURL:  func(idp *authztest.Issuer) string { return idp.URL() + "/.well-known/openid-configuration" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := authztest.NewT(t)
			idp.SetFailure(tt.failure)
			r := newRig(t, idp, nil, authz.WithKeyOptions(tt.keyOpts))
			err := r.v.Warm(context.Background())
			if (err != nil) != tt.wantErr {
				t.Fatalf("Warm = %v, wantErr %v", err, tt.wantErr)
			}
			spans := r.spansNamed(authzotel.SpanFetch)
			if len(spans) != 1 {
				t.Fatalf("%d %s spans, want 1", len(spans), authzotel.SpanFetch)
			}
			s := spans[0]
			outcome := authzotel.OutcomeOK
			if tt.wantErr {
				outcome = authzotel.OutcomeError
			}
			want := map[attribute.Key]attribute.Value{
				authzotel.AttrIssuer:      attribute.StringValue(issuerName),
				authzotel.AttrFetchReason: attribute.StringValue("load"),
				authzotel.AttrOutcome:     attribute.StringValue(outcome),
				"url.full":                attribute.StringValue(tt.wantURL(idp)),
			}
			if tt.wantStatus != 0 {
				want["http.response.status_code"] = attribute.Int64Value(tt.wantStatus)
			}
			if tt.wantErr {
				want["error.type"] = attribute.StringValue(tt.wantType)
				if st := s.Status(); st.Code != codes.Error || st.Description == "" || !strings.HasSuffix(err.Error(), st.Description) {
					t.Errorf("status = %v %q, want Error %q", st.Code, st.Description, err)
				}
			} else {
				jwks := idp.JWKS()
				want[authzotel.AttrKeyCount] = attribute.IntValue(1)
				want[authzotel.AttrKeysIgnored] = attribute.IntValue(0)
				want[authzotel.AttrKeysTTL] = attribute.Float64Value(300)
				want["http.response.body.size"] = attribute.IntValue(len(jwks))
				if st := s.Status(); st.Code != codes.Unset {
					t.Errorf("status = %v, want Unset", st.Code)
				}
			}
			assertAttrs(t, s, want)

			rm := r.collect(t)
			attrs := []attribute.KeyValue{
				authzotel.AttrIssuer.String(issuerName),
				authzotel.AttrFetchReason.String("load"),
				authzotel.AttrOutcome.String(outcome),
			}
			if tt.wantErr {
				attrs = append(attrs, attribute.String("error.type", tt.wantType))
			}
			for _, name := range []string{authzotel.MetricKeyFetches, authzotel.MetricKeyFetchDuration} {
				if got, ok := valueOf(t, rm, name, attrs...); !ok || got != 1 {
					t.Errorf("%s%v = %v (found %v), want 1", name, attrs, got, ok)
				}
			}
			wantKeys := 0.0
			if !tt.wantErr {
				wantKeys = 1
			}
			if got, ok := valueOf(t, rm, authzotel.MetricKeys, authzotel.AttrIssuer.String(issuerName)); !ok || got != wantKeys {
				t.Errorf("%s = %v (found %v), want %v", authzotel.MetricKeys, got, ok, wantKeys)
			}
			_, hasAge := valueOf(t, rm, authzotel.MetricKeysAge, authzotel.AttrIssuer.String(issuerName))
			if hasAge == tt.wantErr {
				t.Errorf("%s reported = %v, want %v", authzotel.MetricKeysAge, hasAge, !tt.wantErr)
			}
		})
	}
}

func TestKeysAge(t *testing.T) {
	idp := authztest.NewT(t)
	// The Validator's clock runs ten minutes behind: keys it fetches are
	// stamped ten minutes ago.
	r := newRig(t, idp, nil, authz.WithClock(func() time.Time { return time.Now().Add(-10 * time.Minute) }))
	if err := r.v.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	rm := r.collect(t)
	age, ok := valueOf(t, rm, authzotel.MetricKeysAge, authzotel.AttrIssuer.String(issuerName))
	if !ok || age < 600 || age >= 3600 {
		t.Errorf("%s = %v (found %v), want about 600", authzotel.MetricKeysAge, age, ok)
	}
	m, _ := findMetric(rm, authzotel.MetricKeysAge)
	if m.Unit != "s" {
		t.Errorf("%s unit = %q, want s", authzotel.MetricKeysAge, m.Unit)
	}
}

func TestTokenCacheLookups(t *testing.T) {
	idp := authztest.NewT(t)
	r := newRig(t, idp, nil, authz.WithTokenCache(authz.TokenCacheOptions{}))
	if n := len(pointsOf(t, r.collect(t), authzotel.MetricTokenCacheLookups)); n != 0 {
		t.Errorf("%s: %d series before any lookup, want 0", authzotel.MetricTokenCacheLookups, n)
	}
	token := idp.MustMint(t, idp.Claims("user-1", audience))
	for range 3 {
		if _, err := r.v.Validate(context.Background(), token); err != nil {
			t.Fatal(err)
		}
	}
	rm := r.collect(t)
	for result, want := range map[string]float64{"hit": 2, "miss": 1} {
		if got, ok := valueOf(t, rm, authzotel.MetricTokenCacheLookups, authzotel.AttrCacheResult.String(result)); !ok || got != want {
			t.Errorf("%s{%s} = %v (found %v), want %v", authzotel.MetricTokenCacheLookups, result, got, ok, want)
		}
	}
	// Hits are validations too.
	if got, _ := valueOf(t, rm, authzotel.MetricValidations, authzotel.AttrIssuer.String(issuerName), authzotel.AttrOutcome.String(authzotel.OutcomeOK)); got != 3 {
		t.Errorf("%s = %v, want 3", authzotel.MetricValidations, got)
	}
}

func TestObserveUnregister(t *testing.T) {
	idp := authztest.NewT(t)
	r := newRig(t, idp, nil)
	if err := r.v.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	reader := sdkmetric.NewManualReader()
	in, err := authzotel.New(authzotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	if err != nil {
		t.Fatal(err)
	}
	stop, err := in.Observe(r.v)
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		return len(pointsOf(t, rm, authzotel.MetricKeys))
	}
	if n := count(); n != 1 {
		t.Errorf("observed: %s has %d series, want 1", authzotel.MetricKeys, n)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Errorf("after unregister: %s has %d series, want 0", authzotel.MetricKeys, n)
	}
	if _, err := in.Observe(nil); err == nil {
		t.Error("Observe(nil): no error")
	}
}

// Hooks attach the Instruments to the Validator New makes (one step, no
// Observe call): a rejected token's issuer carries its configured Name from
// the first validation on, before any key fetch.
func TestIssuerNameLearntFromFetch(t *testing.T) {
	idp := authztest.NewT(t)
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	in, err := authzotel.New(authzotel.WithTracerProvider(tp), authzotel.WithMeterProvider(noopmetric.NewMeterProvider()))
	if err != nil {
		t.Fatal(err)
	}
	iss := idp.OIDC(audience)
	iss.Name = "unobserved"
	v, err := authz.New([]authz.Issuer{iss}, authz.WithHooks(in.Hooks()), authz.WithoutBackground())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	c := idp.Claims("user-1", audience)
	c["exp"] = time.Now().Add(-time.Hour).Unix()
	expired := idp.MustMint(t, c)

	_, _ = v.Validate(context.Background(), expired)
	if err := v.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, _ = v.Validate(context.Background(), expired)

	var issuers []string
	for _, s := range spans.Ended() {
		if s.Name() == authzotel.SpanValidate {
			issuers = append(issuers, spanAttrs(s)[authzotel.AttrIssuer].AsString())
		}
	}
	if want := []string{"unobserved", "unobserved"}; !slices.Equal(issuers, want) {
		t.Errorf("issuers = %q, want %q", issuers, want)
	}
}

func TestEventOnParent(t *testing.T) {
	idp := authztest.NewT(t)
	r := newRig(t, idp, []authzotel.Option{authzotel.WithSpanMode(authzotel.EventOnParent), authzotel.WithAttributes(attribute.String("service.component", "edge"))})
	ctx, parent := r.tp.Tracer("test").Start(context.Background(), "request")
	c := idp.Claims("user-1", audience)
	c["exp"] = time.Now().Add(-time.Hour).Unix()
	if _, err := r.v.Validate(ctx, idp.MustMint(t, c)); !errors.Is(err, authz.ErrExpired) {
		t.Fatalf("Validate = %v, want ErrExpired", err)
	}
	if _, err := r.v.Validate(context.Background(), idp.MustMint(t, c)); !errors.Is(err, authz.ErrExpired) {
		t.Fatalf("Validate without a span = %v, want ErrExpired", err)
	}
	parent.End()

	if n := len(r.spansNamed(authzotel.SpanValidate)); n != 0 {
		t.Errorf("%d %s spans in event mode, want 0", n, authzotel.SpanValidate)
	}
	ended := r.spansNamed("request")
	if len(ended) != 1 {
		t.Fatalf("%d parent spans", len(ended))
	}
	events := ended[0].Events()
	if len(events) != 1 || events[0].Name != authzotel.SpanValidate {
		t.Fatalf("events = %v, want one %s", events, authzotel.SpanValidate)
	}
	got := map[attribute.Key]string{}
	for _, kv := range events[0].Attributes {
		got[kv.Key] = kv.Value.Emit()
	}
	want := map[attribute.Key]string{
		"service.component":     "edge",
		authzotel.AttrIssuer:    issuerName,
		authzotel.AttrOutcome:   authzotel.OutcomeDenied,
		"error.type":            "expired",
		authzotel.AttrAlgorithm: "RS256",
		authzotel.AttrKeyID:     idp.KeyIDs()[0],
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("event attributes = %v, want %v", got, want)
	}
	if ended[0].Status().Code != codes.Unset {
		t.Errorf("parent status = %v: the caller's span is the caller's to set", ended[0].Status().Code)
	}
	// Metrics are recorded in both modes, with the extra attributes.
	rm := r.collect(t)
	if got, _ := valueOf(t, rm, authzotel.MetricValidations,
		attribute.String("service.component", "edge"),
		authzotel.AttrIssuer.String(issuerName),
		authzotel.AttrOutcome.String(authzotel.OutcomeDenied),
		attribute.String("error.type", "expired")); got != 2 {
		t.Errorf("%s = %v, want 2", authzotel.MetricValidations, got)
	}
}

func TestNewInvalid(t *testing.T) {
	tests := []struct {
		name string
		opts []authzotel.Option
	}{
		{"unknown span mode", []authzotel.Option{authzotel.WithSpanMode(7)}},
		{"invalid attribute", []authzotel.Option{authzotel.WithAttributes(attribute.KeyValue{Key: "", Value: attribute.StringValue("x")})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := authzotel.New(tt.opts...); err == nil {
				t.Error("New: no error")
			}
		})
	}
	if _, err := authzotel.New(); err != nil {
		t.Errorf("New with global providers: %v", err)
	}
}

// No span, event, status or metric attribute holds the token, a part of
// it, or any claim value: only issuer names, outcomes, reasons, kid and alg.
func TestNoTokenMaterial(t *testing.T) {
	idp := authztest.NewT(t)

	claims := idp.Claims("sub-8d1e5b2a", audience)
	claims["jti"] = "jti-4c9a11f0"
	claims["scope"] = "scope-read-e41 scope-write-e42"
	claims["email"] = "person-7b@example.org"
	claims["tenants"] = map[string]any{"tenant-a93": map[string]any{"roles": []string{"role-f11"}}}
	expired := maps.Clone(claims)
	expired["exp"] = time.Now().Add(-time.Hour).Unix()
	foreign := maps.Clone(claims)
	foreign["iss"] = "https://iss-attacker-5e.example"
	tokens := []string{
		idp.MustMint(t, claims),
		idp.MustMint(t, expired),
		idp.MustMint(t, claims, authztest.WithUnpublishedKey()),
		idp.MustMint(t, foreign),
		idp.MustMint(t, claims, authztest.WithKeyID("kid-unpublished")),
		rawToken(`{"alg":"RS256","kid":"k1"}`, `{"iss":"`+idp.URL()+`","sub":"sub-8d1e5b2a","exp":"soon"}`),
	}

	// Every string that must never be recorded: the tokens, their
	// payloads and signatures, every claim value, the foreign iss.
	var secrets []string
	for _, tok := range tokens {
		parts := strings.Split(tok, ".")
		secrets = append(secrets, tok, parts[1], parts[2])
	}
	var add func(v any)
	add = func(v any) {
		switch v := v.(type) {
		case string:
			secrets = append(secrets, v)
			secrets = append(secrets, strings.Fields(v)...)
		case []string:
			secrets = append(secrets, v...)
		case map[string]any:
			for k, e := range v {
				secrets = append(secrets, k)
				add(e)
			}
		case int64:
			secrets = append(secrets, fmt.Sprint(v))
		}
	}
	for k, v := range claims {
		if k != "iss" { // the issuer URL is configuration, not a secret
			add(v)
		}
	}
	add(foreign["iss"])

	check := func(where, value string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(value, s) {
				t.Errorf("%s = %q holds %q", where, value, s)
			}
		}
	}
	for _, mode := range []authzotel.SpanMode{authzotel.SpanPerValidation, authzotel.EventOnParent} {
		r := newRig(t, idp, []authzotel.Option{authzotel.WithSpanMode(mode)})
		ctx, parent := r.tp.Tracer("test").Start(context.Background(), "request")
		for _, tok := range tokens {
			_, _ = r.v.Validate(ctx, tok)
		}
		parent.End()

		spans := r.spans.Ended()
		var recorded int
		for _, s := range spans {
			check("span name", s.Name())
			check(s.Name()+" status", s.Status().Description)
			for _, kv := range s.Attributes() {
				check(s.Name()+" "+string(kv.Key), kv.Value.Emit())
				recorded++
			}
			for _, e := range s.Events() {
				check(s.Name()+" event", e.Name)
				for _, kv := range e.Attributes {
					check(s.Name()+" event "+string(kv.Key), kv.Value.Emit())
					recorded++
				}
			}
		}
		rm := r.collect(t)
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				for _, s := range pointsOf(t, rm, m.Name) {
					for _, kv := range s.attrs.ToSlice() {
						check(m.Name+" "+string(kv.Key), kv.Value.Emit())
						recorded++
					}
				}
			}
		}
		if recorded < 4*len(tokens) {
			t.Errorf("mode %d: only %d attributes recorded: the test checks too little", mode, recorded)
		}
	}
}

// TestFetchSpanIsChildOfValidation: a key fetch a request waits for is
// traced under that request's validation span.
func TestFetchSpanIsChildOfValidation(t *testing.T) {
	idp := authztest.NewT(t)
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	in, err := authzotel.New(authzotel.WithTracerProvider(tp), authzotel.WithMeterProvider(noopmetric.NewMeterProvider()))
	if err != nil {
		t.Fatal(err)
	}
	v, err := authz.New([]authz.Issuer{idp.OIDC(audience)}, authz.WithHooks(in.Hooks()), authz.WithoutBackground())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Validate(context.Background(), idp.MustMint(t, idp.Claims("user-1", audience))); err != nil {
		t.Fatal(err)
	}
	var validate, fetch sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		switch s.Name() {
		case authzotel.SpanValidate:
			validate = s
		case authzotel.SpanFetch:
			fetch = s
		}
	}
	if validate == nil || fetch == nil {
		t.Fatalf("spans: validate %v, fetch %v", validate, fetch)
	}
	if fetch.Parent().SpanID() != validate.SpanContext().SpanID() || fetch.SpanContext().TraceID() != validate.SpanContext().TraceID() {
		t.Fatalf("fetch span parent = %v, want the validation span %v", fetch.Parent().SpanID(), validate.SpanContext().SpanID())
	}
}

// TestStoreRejections: a document in the key store that fails its MAC is
// counted, by issuer and reason.
func TestStoreRejections(t *testing.T) {
	idp := authztest.NewT(t)
	store := memory.New()
	if err := store.Put(context.Background(), "jwks:"+idp.URL(), []byte(`jwtguard.v2.forged.{"keys":[]}`), time.Hour); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, idp, nil, authz.WithStore(store), authz.WithStoreSecret([]byte("a fleet secret of at least 32 bytes")))
	if _, err := r.v.Validate(context.Background(), idp.MustMint(t, idp.Claims("user-1", audience))); err != nil {
		t.Fatal(err)
	}
	got, ok := valueOf(t, r.collect(t), authzotel.MetricStoreRejections, authzotel.AttrIssuer.String(issuerName), attribute.String("error.type", "mac"))
	if !ok || got < 1 {
		t.Fatalf("%s{mac} = %v (found %v), want at least 1", authzotel.MetricStoreRejections, got, ok)
	}
}
