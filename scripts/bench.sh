#!/usr/bin/env bash
# bench.sh runs jwtguard's benchmarks against its peers (the benchmarks/
# module) in one go test run and writes, from that one run,
# docs/benchmarks.md and the "## Benchmarks" section of README.md.
#
# Usage: scripts/bench.sh [-count N] [-benchtime D] [-bench REGEXP] [-o FILE]
#                         [-readme FILE|none] [-notes FILE] [-raw FILE] [-from FILE] [-benchstat]
#
#   -count N       runs of each benchmark; the tables show medians (default 5, or $COUNT)
#   -benchtime D   go test -benchtime, such as 1s, 200ms or 500x (default 500ms, or $BENCHTIME);
#                  with the defaults the run takes about six minutes on 2 CPUs
#   -bench REGEXP  benchmarks to run (default ".")
#   -o FILE        markdown to write (default docs/benchmarks.md)
#   -readme FILE   README whose "## Benchmarks" section to rewrite (default README.md; none: leave it)
#   -notes FILE    markdown written by hand about this run (say, profiles of the goals
#                  missed), put under the goals; use with -from on the run it describes
#   -raw FILE      also keep the raw go test output there
#   -from FILE     write the pages from output kept with -raw, without running
#   -benchstat     print benchstat's summary too (go run golang.org/x/perf/cmd/benchstat@latest)
#
# Benchmarks are noisy on a busy machine: run on an idle one, on power. The
# goals are judged on paired figures (BenchmarkPaired, BenchmarkPeers,
# BenchmarkCacheHit), timed in the same loop, which load skews alike; the
# load average before and after the run goes into the page.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
count="${COUNT:-5}"
benchtime="${BENCHTIME:-500ms}"
bench="."
out="$root/docs/benchmarks.md"
readme="$root/README.md"
notes=""
raw=""
from=""
benchstat=0

while [ $# -gt 0 ]; do
	case "$1" in
	-count) count="$2"; shift 2 ;;
	-benchtime) benchtime="$2"; shift 2 ;;
	-bench) bench="$2"; shift 2 ;;
	-o) out="$2"; shift 2 ;;
	-readme) readme="$2"; shift 2 ;;
	-notes) notes="$2"; shift 2 ;;
	-raw) raw="$2"; shift 2 ;;
	-from) from="$2"; shift 2 ;;
	-benchstat) benchstat=1; shift ;;
	-h | -help | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
	*) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
# Paths given relative to where the script was started from.
abs() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
out="$(abs "$out")"
[ -n "$raw" ] && raw="$(abs "$raw")"
case "$readme" in none | '') readme="" ;; *) readme="$(abs "$readme")" ;; esac
[ -n "$from" ] && from="$(abs "$from")"
[ -n "$notes" ] && notes="$(abs "$notes")"
case "$count" in '' | *[!0-9]* | 0) echo "bench.sh: -count must be a positive integer" >&2; exit 2 ;; esac

tmp="$(mktemp)"
trap 'rm -f "$tmp" "$tmp.test"' EXIT

args=(test -run '^$' -bench "$bench" -benchmem -count "$count")
[ -n "$benchtime" ] && args+=(-benchtime "$benchtime")
args+=(-timeout 60m .)
cmd="cd benchmarks && go test -run '^\$' -bench '$bench' -benchmem -count $count${benchtime:+ -benchtime $benchtime}"

loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true; }

cd "$root/benchmarks"
load=""
date="" # when the run ended; empty: now
if [ -n "$from" ]; then
	cp "$from" "$tmp"
	cmd="" # the command: line of the output, if any
	load="$(sed -n 's/^load: //p' "$tmp" | head -1)"
	date="$(sed -n 's/^date: //p' "$tmp" | head -1)"
else
	echo "bench.sh: $cmd" >&2
	echo "command: $cmd" >"$tmp"
	go test -c -o "$tmp.test" . # build first, so that the build is not in the run's load
	before="$(loadavg)"
	go "${args[@]}" | tee -a "$tmp"
	after="$(loadavg)"
	[ -n "$before" ] && load="before the run $before; after it $after"
	echo "load: $load" >>"$tmp"
	date="$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "date: $date" >>"$tmp"
	rm -f "$tmp.test"
fi

if [ -n "$raw" ]; then cp "$tmp" "$raw"; fi

cpu="$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)"
nproc="$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')"
mkdir -p "$(dirname "$out")"
go run ./cmd/benchtable -in "$tmp" -gomod go.mod -o "$out" -readme "$readme" \
	-go "$(go version)" -cpu "$cpu" -nproc "$nproc" -cmd "$cmd" -load "$load" -date "$date" -notes "$notes"
echo "bench.sh: wrote $out${readme:+ and $readme}" >&2

if [ "$benchstat" = 1 ]; then
	go run golang.org/x/perf/cmd/benchstat@latest "$tmp" || echo "bench.sh: benchstat failed (optional)" >&2
fi
