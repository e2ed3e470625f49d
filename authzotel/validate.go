package authzotel

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/jwtguard/jwtguard/authz"
)

// maxKeyIDLen bounds the kid recorded on spans: kid is header text the
// token's sender chose.
const maxKeyIDLen = 64

// otherReason is error.type for an error that is not a *authz.ValidationError
// (semantic conventions' fallback value).
const otherReason = "_OTHER"

// result is what one validation records, all of it bounded.
type result struct {
	issuer  string // configured Name or UnknownIssuer
	outcome string
	reason  string // authz.Reason, otherReason, or "" when ok
	kid     string // "" unless the issuer is known
	alg     string // registered name, "other", or ""
}

func (in *Instruments) wrapValidate(next authz.ValidateFunc) authz.ValidateFunc {
	return func(ctx context.Context, token string) (*authz.Claims, error) {
		start := time.Now()
		var span trace.Span
		if in.mode == SpanPerValidation {
			ctx, span = in.tracer.Start(ctx, SpanValidate, in.validateStart...)
		}
		c, err := next(ctx, token)
		elapsed := time.Since(start).Seconds()

		r := in.classify(c, err)
		m := in.measurement(setKey{kind: setValidation, issuer: r.issuer, outcome: r.outcome, reason: r.reason})
		in.validations.Add(ctx, 1, m.add...)
		in.validationDuration.Record(ctx, elapsed, m.record...)

		switch in.mode {
		case SpanPerValidation:
			if span.IsRecording() {
				span.SetAttributes(r.attributes(make([]attribute.KeyValue, 0, 5))...)
				if r.outcome != OutcomeOK {
					span.SetStatus(codes.Error, r.reason)
				}
			}
			span.End()
		case EventOnParent:
			if parent := trace.SpanFromContext(ctx); parent.IsRecording() {
				attrs := make([]attribute.KeyValue, 0, 5+len(in.extra))
				attrs = append(attrs, in.extra...)
				parent.AddEvent(SpanValidate, trace.WithAttributes(r.attributes(attrs)...))
			}
		}
		return c, err
	}
}

// classify reduces a validation's result to bounded attribute values. It
// reads the issuer's configured name, the reason code, kid and alg, and
// nothing else of the claims or the error.
func (in *Instruments) classify(c *authz.Claims, err error) result {
	if err == nil {
		if c == nil { // a hook broke the contract; record no details
			return result{issuer: UnknownIssuer, outcome: OutcomeOK}
		}
		return result{
			issuer:  boundedIssuer(c.IssuerName),
			outcome: OutcomeOK,
			kid:     boundKeyID(c.KeyID),
			alg:     boundAlgorithm(c.Algorithm),
		}
	}
	var ve *authz.ValidationError
	if !errors.As(err, &ve) {
		r := result{issuer: UnknownIssuer, outcome: OutcomeError, reason: otherReason}
		if errors.Is(err, authz.ErrInvalidToken) || errors.Is(err, authz.ErrMissingToken) {
			r.outcome = OutcomeDenied
		}
		return r
	}
	r := result{
		issuer:  in.issuerName(ve.Issuer),
		outcome: OutcomeDenied,
		reason:  string(ve.Reason),
		alg:     boundAlgorithm(ve.Algorithm),
	}
	if r.reason == "" {
		r.reason = otherReason
	}
	if errors.Is(ve.Err, authz.ErrKeysUnavailable) {
		r.outcome = OutcomeError
	}
	if ve.Issuer != "" {
		// Only once iss named a configured issuer: before that, the kid
		// is just text from an unknown sender.
		r.kid = boundKeyID(ve.KeyID)
	}
	return r
}

// attributes appends the span (or event) attributes of r to dst.
func (r result) attributes(dst []attribute.KeyValue) []attribute.KeyValue {
	dst = append(dst, AttrIssuer.String(r.issuer), AttrOutcome.String(r.outcome))
	if r.reason != "" {
		dst = append(dst, semconv.ErrorTypeKey.String(r.reason))
	}
	if r.alg != "" {
		dst = append(dst, AttrAlgorithm.String(r.alg))
	}
	if r.kid != "" {
		dst = append(dst, AttrKeyID.String(r.kid))
	}
	return dst
}

// boundedIssuer returns name, or UnknownIssuer when empty.
func boundedIssuer(name string) string {
	if name == "" {
		return UnknownIssuer
	}
	return name
}

// boundKeyID cuts kid to maxKeyIDLen bytes and replaces every byte outside
// printable ASCII with '?'.
func boundKeyID(kid string) string {
	if len(kid) > maxKeyIDLen {
		kid = kid[:maxKeyIDLen]
	}
	for i := 0; i < len(kid); i++ {
		if kid[i] < 0x20 || kid[i] > 0x7e {
			b := []byte(kid)
			for j := i; j < len(b); j++ {
				if b[j] < 0x20 || b[j] > 0x7e {
					b[j] = '?'
				}
			}
			return string(b)
		}
	}
	return kid
}

// boundAlgorithm returns alg when it is a registered JWS signature
// algorithm name (RFC 7518 §3.1, RFC 8037), "other" for any other text,
// and "" for none at all. "none" and HS* are kept: seeing them rejected is
// worth knowing.
func boundAlgorithm(alg string) string {
	switch alg {
	case "":
		return ""
	case "none", "HS256", "HS384", "HS512":
		return alg
	}
	if slices.Contains(authz.DefaultAlgorithms, alg) { // the one algorithm table
		return alg
	}
	return "other"
}
