package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK          = 0
	exitRejected    = 1
	exitUnavailable = 2
	exitUsage       = 64
)

const usage = `usage:
  jwtguard inspect [token|-]          decode a token (NOT VERIFIED; fetches nothing)
  jwtguard verify [flags] [token|-]   verify a token and explain a rejection
  jwtguard serve --config file.yaml   run the forward-auth authorizer

Run "jwtguard <command> -h" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command and returns its exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "inspect":
		return runInspect(args[1:], stdin, stdout, stderr)
	case "verify":
		return runVerify(ctx, args[1:], stdin, stdout, stderr)
	case "serve":
		return runServe(ctx, args[1:], stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "jwtguard: unknown command %q\n%s", args[0], usage)
	return exitUsage
}

// readToken returns the token of args (one argument, "-" or none for
// standard input), without a leading "Bearer ".
func readToken(args []string, stdin io.Reader) (string, error) {
	var s string
	switch {
	case len(args) > 1:
		return "", fmt.Errorf("want one token, got %d arguments", len(args))
	case len(args) == 1 && args[0] != "-":
		s = args[0]
	default:
		b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
		if err != nil {
			return "", err
		}
		s = string(b)
	}
	s = strings.TrimSpace(s)
	if scheme, rest, ok := strings.Cut(s, " "); ok && strings.EqualFold(scheme, "Bearer") {
		s = strings.TrimSpace(rest)
	}
	if s == "" {
		return "", fmt.Errorf("no token given")
	}
	return s, nil
}
