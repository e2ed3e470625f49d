package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"github.com/jwtguard/jwtguard/cmd/jwtguard/internal/config"
	"github.com/jwtguard/jwtguard/cmd/jwtguard/internal/forwardauth"
)

func runServe(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "the configuration `file` (YAML)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *cfgPath == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: jwtguard serve --config file.yaml")
		return exitUsage
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "jwtguard serve: configuration refused:\n%v\n", err)
		return exitUsage
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if err := serve(ctx, cfg, *cfgPath, nil, hup, stderr); err != nil {
		fmt.Fprintln(stderr, "jwtguard serve:", err)
		return 1
	}
	return exitOK
}

// serve runs the authorizer until ctx is done, then shuts down gracefully.
// Each value on reload re-reads the file at path. ln, when not nil, is
// used instead of listening on cfg.Listen.
func serve(ctx context.Context, cfg *config.Config, path string, ln net.Listener, reload <-chan os.Signal, logOut io.Writer) error {
	seen := fileStamp(path) // before serving: a change from now on is a reload
	level := new(slog.LevelVar)
	setLevel(level, cfg.LogLevel)
	log := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: level}))
	goredis.SetLogger(redisLogger{log}) // for a redis keystore, now or after a reload
	// Traces: built once, kept across reloads, flushed at the end.
	tp, err := newTracerProvider(ctx, log)
	if err != nil {
		return err
	}
	opts := []forwardauth.Option{forwardauth.WithLogger(log)}
	if tp != nil {
		defer shutdownTracing(tp, log)
		opts = append(opts, forwardauth.WithTracing(tp, tracePropagator))
		log.Info("exporting traces over OTLP/HTTP")
	}
	a, err := forwardauth.New(cfg, opts...)
	if err != nil {
		return err
	}
	defer a.Close()
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           a,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 2)
	go func() { done <- srv.Serve(ln) }()
	var gsrv *grpc.Server
	if cfg.GRPCListen != "" {
		gln, err := net.Listen("tcp", cfg.GRPCListen)
		if err != nil {
			srv.Close()
			return err
		}
		gsrv = grpc.NewServer()
		a.RegisterEnvoyGRPC(gsrv)
		go func() {
			if err := gsrv.Serve(gln); err != nil {
				done <- err
			}
		}()
		log.Info("serving Envoy gRPC ext_authz", "addr", gln.Addr().String())
	}
	log.Info("serving", "addr", ln.Addr().String(), "issuers", len(cfg.Issuers), "rules", len(cfg.Rules))
	poll := time.NewTicker(watchInterval)
	defer poll.Stop()
	for {
		changed := false
		select {
		case <-poll.C:
			// Reload when the file changes (size, modification time or
			// inode, as an editor's rename or a ConfigMap's symlink swap
			// does), as SIGHUP would.
			if st := fileStamp(path); st != seen && st != (stamp{}) {
				seen, changed = st, true
			}
		case <-reload:
			seen, changed = fileStamp(path), true
		case err := <-done:
			return err
		case <-ctx.Done():
			log.Info("shutting down")
			sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if gsrv != nil {
				stopped := make(chan struct{})
				go func() { gsrv.GracefulStop(); close(stopped) }()
				select {
				case <-stopped:
				case <-sctx.Done():
					gsrv.Stop()
				}
			}
			if err := srv.Shutdown(sctx); err != nil {
				return err
			}
			if err := <-done; !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}
		if changed {
			next, err := config.Load(path)
			if err == nil {
				err = a.Reload(next)
			}
			if err != nil {
				log.Error("reload refused; the previous configuration stays", "error", err.Error())
				continue
			}
			if next.Listen != cfg.Listen || next.GRPCListen != cfg.GRPCListen {
				log.Warn("listen address changed: restart to apply it", "listen", cfg.Listen, "grpc_listen", cfg.GRPCListen)
			}
			setLevel(level, next.LogLevel)
			log.Info("reloaded", "issuers", len(next.Issuers), "rules", len(next.Rules))
		}
	}
}

// watchInterval is how often serve looks at its configuration file.
var watchInterval = 2 * time.Second

// stamp identifies a version of a file.
type stamp struct {
	size, mtime int64
	ino         uint64
}

func fileStamp(path string) stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}
	}
	s := stamp{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.ino = sys.Ino
	}
	return s
}

// redisLogger writes go-redis's messages (a failed dial, say) to the
// authorizer's log, at warn.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
}

func setLevel(l *slog.LevelVar, s string) {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(s))
	l.Set(lv)
}
