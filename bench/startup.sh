#!/bin/sh
# bench/startup.sh: start-up of every tool (its --version) against
# /bin/true, measured in the same run: mean CPU (user + system) and wall
# milliseconds over N runs (FL_BENCH_STARTS, default 200) by bench/maxrss.c
# -n, so no shell loop is counted.  Issue 15 aims at 3 x /bin/true.  Run
# by bench/run, or alone: BUILD=build bench/startup.sh.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
work=$BUILD/bench
mkdir -p "$work"
[ -x "$work/maxrss" ] && [ "$work/maxrss" -nt bench/maxrss.c ] ||
    cc -O2 -o "$work/maxrss" bench/maxrss.c
n=${FL_BENCH_STARTS:-200}

# ms CMD...: "CPU WALL" milliseconds per run, the mean of $n runs.
ms() {
	"$work/maxrss" -n "$n" "$@" 2>"$work/start.txt" >/dev/null
	sed -n 's/.*wall=\([0-9.]*\).*cpu=\([0-9.]*\).*/\2 \1/p' \
	    "$work/start.txt" | awk '{ printf "%.2f %.2f", $1 * 1000, $2 * 1000 }'
}
set -- $(ms /bin/true)
tc=$1 tw=$2
printf 'start-up, ms per run (mean of %s runs); /bin/true %s ms CPU, %s ms wall\n' \
    "$n" "$tc" "$tw"
printf '  %-13s %8s %8s %10s\n' tool "CPU ms" "wall ms" "CPU ratio"
worst=0
for t in "$BUILD"/bin/fl-*; do
	set -- $(ms "$t" --version)
	printf '  %-13s %8s %8s %8.1f x\n' "$(basename "$t")" "$1" "$2" \
	    "$(awk -v a="$1" -v b="$tc" 'BEGIN { print a / b }')"
	worst=$(awk -v a="$1" -v b="$tc" -v w="$worst" \
	    'BEGIN { r = a / b; print (r > w ? r : w) }')
done
printf '  slowest tool: %.1f x /bin/true (aim: 3 x)\n' "$worst"
