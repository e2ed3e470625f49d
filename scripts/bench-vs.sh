#!/usr/bin/env bash
# bench-vs.sh compares this checkout's authz benchmarks with another git
# revision's, interleaved: old, new, old, new, … in one session, so a
# machine that slows down mid-run slows both sides alike. It prints each
# benchmark's median ns/op and allocs/op on both sides and the ratio.
#
# Usage: scripts/bench-vs.sh REV [ROUNDS] [BENCH-REGEXP] [BENCHTIME]
#   e.g. scripts/bench-vs.sh d9d90d9 5 'BenchmarkValidate$' 2000x
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rev="${1:?usage: bench-vs.sh REV [ROUNDS] [BENCH] [BENCHTIME]}"
rounds="${2:-5}"
bench="${3:-BenchmarkValidate\$}"
benchtime="${4:-1s}"
tmp="$(mktemp -d)"
trap 'git -C "$root" worktree remove --force "$tmp/old" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git -C "$root" worktree add --detach "$tmp/old" "$rev" >/dev/null 2>&1
(cd "$tmp/old" && go test -c -o "$tmp/old.test" ./authz)
(cd "$root" && go test -c -o "$tmp/new.test" ./authz)
for i in $(seq "$rounds"); do
	for side in old new; do
		dir="$tmp/old"; [ "$side" = new ] && dir="$root/authz" || dir="$tmp/old/authz"
		(cd "$dir" && "$tmp/$side.test" -test.run '^$' -test.bench "$bench" -test.benchmem -test.benchtime "$benchtime") |
			awk -v side="$side" '/^Benchmark/ { print side, $1, $3, $(NF-1) }' >>"$tmp/results"
	done
done
awk '
function median(arr, n,    i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
	return (n % 2) ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
}
{ k = $2; n[$1, k]++; ns[$1, k, n[$1, k]] = $3; al[$1, k] = $4; names[k] = 1 }
END {
	printf "%-45s %12s %12s %7s %8s %8s\n", "benchmark", "old ns/op", "new ns/op", "new/old", "old allocs", "new allocs"
	for (k in names) {
		m = n["old", k]; for (i = 1; i <= m; i++) a[i] = ns["old", k, i]; o = median(a, m)
		m = n["new", k]; for (i = 1; i <= m; i++) b[i] = ns["new", k, i]; w = median(b, m)
		if (o > 0) printf "%-45s %12.0f %12.0f %7.2f %8s %8s\n", k, o, w, w / o, al["old", k], al["new", k]
	}
}' "$tmp/results" | sort
