#!/usr/bin/env bash
# test.sh runs every check of every module of the repository: gofmt, then
# go mod tidy -diff, go vet and go test -race in each folder that holds a
# go.mod (the root,
# keystore/redisstore, authzotel, the adapters, examples, benchmarks, ...).
# It ends with a summary line of the skipped tests, each listed with its
# reason, so that no test is skipped silently.
#
# Usage: scripts/test.sh [-bench] [-strict-redis] [-short] [MODULE_DIR ...]
#        scripts/test.sh -tidy [MODULE_DIR ...]
#
#   -tidy          only run go mod tidy in each module, and stop (after a
#                  change to the core's requirements, every module follows)
#   -bench         also run every benchmark once (-bench . -benchtime 1x)
#   -strict-redis  fail when a test that needs Redis was skipped (CI sets it)
#   -short         go test -short (skips the Cluster and Sentinel tests)
#   MODULE_DIR     only these modules (folders holding a go.mod)
#
# Tests that need Redis use $REDIS_ADDR when set, and otherwise start a
# throwaway redis-server on a free loopback port (internal/redistest); when
# redis-server is not installed either, they skip with a message naming it.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bench=0 strict=0 tidy=0 short=()
mods=()
while [ $# -gt 0 ]; do
	case "$1" in
	-bench) bench=1 ;;
	-tidy) tidy=1 ;;
	-strict-redis) strict=1 ;;
	-short) short=(-short) ;;
	-h | -help | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
	-*) echo "test.sh: unknown flag $1" >&2; exit 2 ;;
	*) mods+=("${1%/}") ;;
	esac
	shift
done
if [ ${#mods[@]} -eq 0 ]; then
	# Every module: each go.mod under the root, the root first.
	mods=(.)
	while IFS= read -r m; do mods+=("$(dirname "$m")"); done < <(
		find . -mindepth 2 -name go.mod -not -path './.git/*' -not -path '*/testdata/*' | sed 's|^\./||' | sort
	)
fi

if [ $tidy = 1 ]; then
	for m in "${mods[@]}"; do echo "== $m: go mod tidy"; (cd "$m" && go mod tidy) || exit 1; done
	exit 0
fi

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
start=$SECONDS
failed=()

echo "== gofmt"
bad=$(git ls-files -co --exclude-standard '*.go' | xargs gofmt -l)
if [ -n "$bad" ]; then
	echo "gofmt would change:"; echo "$bad"
	failed+=(gofmt)
fi

for m in "${mods[@]}"; do
	name="${m#./}"; [ "$name" = . ] && name="(root)"
	log="$logs/$(echo "$name" | tr '/()' '-__').log"
	echo "== $name: tidy, vet, test -race"
	if ! (cd "$m" && go mod tidy -diff >/dev/null); then
		echo "go.mod or go.sum of $name is not tidy: run go mod tidy there"
		failed+=("$name: tidy")
	fi
	if ! (cd "$m" && go vet ./...); then
		failed+=("$name: vet")
	fi
	t0=$SECONDS
	# -v so that every skip and its reason reach the log; only results are shown.
	(cd "$m" && go test -race -v "${short[@]}" ./...) >"$log" 2>&1
	rc=$?
	grep -E '^(ok|FAIL|\?) ' "$log" | grep -v 'no test files'
	if [ $rc -ne 0 ]; then
		failed+=("$name: test")
		# Everything but the progress lines of passing tests.
		grep -vE '^(=== (RUN|PAUSE|CONT|NAME)|\s*--- PASS)' "$log" | tail -n 200
	fi
	echo "   ($((SECONDS - t0))s)"
	if [ $bench = 1 ]; then
		echo "== $name: each benchmark once"
		if ! (cd "$m" && go test -run '^$' -bench . -benchtime 1x ./... >"$log.bench" 2>&1); then
			failed+=("$name: bench")
			tail -n 50 "$log.bench"
		fi
	fi
done

# Skipped tests, with their reasons: go test -v streams a test's log as
# it goes, so the reason is the line just before "--- SKIP".
skips="$logs/skips"
for log in "$logs"/*.log; do
	awk '/^[ \t]*--- SKIP: / { name = $3; reason = prev; sub(/^[ \t]+/, "", reason); print name ": " reason; next }
		{ prev = $0 }' "$log"
done >"$skips"
nskip=$(wc -l <"$skips")
nredis=$(grep -ciE 'redis' "$skips")
echo "== summary"
if [ "$nskip" -gt 0 ]; then sed 's/^/   skipped: /' "$skips"; fi
echo "skipped: $nskip tests ($nredis of them need Redis) in ${#mods[@]} modules, $((SECONDS - start))s"
if [ $strict = 1 ] && [ "$nredis" -gt 0 ]; then
	failed+=("Redis tests skipped")
fi
if [ ${#failed[@]} -gt 0 ]; then
	printf 'FAILED: %s\n' "${failed[@]}"
	exit 1
fi
echo "PASS"
