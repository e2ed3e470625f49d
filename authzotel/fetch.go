package authzotel

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/jwtguard/jwtguard/authz"
)

func (in *Instruments) wrapFetch(next authz.FetchFunc) authz.FetchFunc {
	return func(ctx context.Context, info authz.FetchInfo) (authz.FetchResult, error) {
		in.learn(info.IssuerURL, info.Issuer)
		issuer := boundedIssuer(info.Issuer)
		attrs := make([]attribute.KeyValue, 0, 2+len(in.extra))
		attrs = append(attrs, in.extra...)
		attrs = append(attrs, AttrIssuer.String(issuer), AttrFetchReason.String(info.Reason))
		start := time.Now()
		ctx, span := in.tracer.Start(ctx, SpanFetch,
			trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithAttributes(attrs...))
		defer span.End()

		res, err := next(ctx, info)
		elapsed := time.Since(start).Seconds()

		outcome, errType := OutcomeOK, ""
		if err != nil {
			outcome, errType = OutcomeError, fetchErrorType(err)
		}
		m := in.measurement(setKey{kind: setFetch, issuer: issuer, outcome: outcome, reason: errType, aux: info.Reason})
		in.fetches.Add(ctx, 1, m.add...)
		in.fetchDuration.Record(ctx, elapsed, m.record...)

		if !span.IsRecording() {
			return res, err
		}
		span.SetAttributes(AttrOutcome.String(outcome))
		var fe *authz.FetchError
		asFetchErr := errors.As(err, &fe)
		switch {
		case res.URL != "":
			span.SetAttributes(semconv.URLFull(redactURL(res.URL)))
		case asFetchErr && fe.URL != "":
			span.SetAttributes(semconv.URLFull(redactURL(fe.URL)))
		}
		switch {
		case asFetchErr && fe.StatusCode != 0:
			span.SetAttributes(semconv.HTTPResponseStatusCode(fe.StatusCode))
		case err == nil:
			// The core accepts a key document only with status 200.
			span.SetAttributes(semconv.HTTPResponseStatusCode(200))
		}
		if res.Bytes > 0 {
			span.SetAttributes(semconv.HTTPResponseBodySize(res.Bytes))
		}
		if err == nil {
			span.SetAttributes(
				AttrKeyCount.Int(res.Keys),
				AttrKeysIgnored.Int(res.Ignored),
				AttrKeysTTL.Float64(res.TTL.Seconds()))
			return res, err
		}
		span.SetAttributes(semconv.ErrorTypeKey.String(errType))
		// A fetch error names URLs and network failures, never token
		// contents: it is safe, and useful, as the status description.
		span.SetStatus(codes.Error, err.Error())
		return res, err
	}
}

// fetchErrorType classifies a key fetch error for error.type, with few
// values: the HTTP status code when the IdP answered with one other than
// 200, as the semantic conventions for HTTP clients do; "invalid_document"
// when it answered 200 with a document that could not be used; "timeout";
// "canceled"; "transport" for other network failures; "_OTHER" otherwise.
func fetchErrorType(err error) string {
	var fe *authz.FetchError
	isFetch := errors.As(err, &fe)
	switch {
	case isFetch && fe.StatusCode != 0 && fe.StatusCode != 200:
		return strconv.Itoa(fe.StatusCode)
	case isFetch && fe.StatusCode == 200:
		return "invalid_document"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case isFetch:
		return "transport"
	}
	return otherReason
}

// redactURL removes any user information from u, as the semantic
// conventions require of url.full.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return u
	}
	p.User = url.UserPassword("REDACTED", "REDACTED")
	return p.String()
}
