package authz

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// WithLogger logs the Validator's key work to l — never a token, a claim
// value or a secret:
//
//   - Info: keys loaded (first fetch) or fetched for an unknown kid (a
//     rotation), with issuer, URL, reason, key counts and lifetime;
//   - Debug: scheduled refreshes that succeeded;
//   - Warn: failed fetches (issuer, URL, reason, the error: status, network
//     or parse failure), and documents refused from the shared key store
//     (issuer and reason: a wrong MAC there means someone else writes it).
//
// Validation outcomes are not logged (one line per request is the
// adapters' or your access log's business); use authzotel for metrics.
func WithLogger(l *slog.Logger) Option {
	return func(v *Validator) {
		if l == nil {
			v.optionError(errors.New("WithLogger: nil logger"))
			return
		}
		v.fetchHooks = append(v.fetchHooks, func(next FetchFunc) FetchFunc {
			return func(ctx context.Context, info FetchInfo) (FetchResult, error) {
				start := time.Now()
				res, err := next(ctx, info)
				attrs := []slog.Attr{
					slog.String("issuer", info.Issuer),
					slog.String("url", res.URL),
					slog.String("reason", info.Reason),
					slog.Duration("took", time.Since(start)),
				}
				switch {
				case err != nil:
					l.LogAttrs(ctx, slog.LevelWarn, "jwtguard: key fetch failed", append(attrs, slog.String("error", err.Error()))...)
				default:
					level := slog.LevelInfo
					if info.Reason == "refresh" {
						level = slog.LevelDebug
					}
					l.LogAttrs(ctx, level, "jwtguard: keys fetched", append(attrs,
						slog.Int("keys", res.Keys), slog.Int("ignored", res.Ignored), slog.Duration("ttl", res.TTL))...)
				}
				return res, err
			}
		})
		v.rejectHooks = append(v.rejectHooks, func(r StoreRejection) {
			l.LogAttrs(context.Background(), slog.LevelWarn, "jwtguard: stored key document refused",
				slog.String("issuer", r.Issuer), slog.String("issuer_url", r.IssuerURL), slog.String("reason", r.Reason))
		})
	}
}
