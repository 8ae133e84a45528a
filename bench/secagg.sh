#!/bin/sh
# bench/secagg.sh: secure aggregation beside plain FedAvg, 10 sites and
# about a million parameters: a masked update's bytes, the time to train
# and mask against the time to train, and the time to aggregate masked
# against plain updates (targets: 1.01 x the bytes, 2 x the time).
# Run by bench/run (make bench); alone: BUILD=build bench/secagg.sh.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
work=$BUILD/bench/secagg
PATH=$BUILD/bin:$PATH
reps=${FL_BENCH_REPS:-3}
sites=${FL_BENCH_SITES:-10}
rm -rf "$work" && mkdir -p "$work/keys" "$work/roster"

# best CMD...: the fastest of $reps wall times, in seconds.
best() {
	b=""
	i=0
	while [ "$i" -lt "$reps" ]; do
		s=$(date +%s.%N)
		"$@" >/dev/null
		t=$(awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
		if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN { exit !(t < b) }'
		then b=$t; fi
		i=$((i + 1))
	done
	echo "$b"
}

csv=$work/train.csv
bench/gen-data.sh 64 32 7 > "$csv"
feats=$(head -n 1 "$csv" | cut -d, -f1-32)
fl-init -m mlp:1000,960 -l y -f "$feats" -o "$work/m.fla"
params=$(fl-pack manifest "$work/m.fla" | tr -d ' \n' |
    sed -n 's/.*"params":\([0-9]*\).*/\1/p')
i=1
while [ "$i" -le "$sites" ]; do
	fl-keygen -q -o "$work/keys" "s$i"
	cp "$work/keys/s$i.pub" "$work/roster/"
	i=$((i + 1))
done
i=1
while [ "$i" -le "$sites" ]; do
	fl-train -q -d "$csv" -b 64 --seed "$i" --site "s$i" \
	    -o "$work/s$i.plain" "$work/m.fla"
	fl-train -q -d "$csv" -b 64 --seed "$i" --key "$work/keys/s$i.key" \
	    --mask "$work/roster" -o "$work/s$i.masked" "$work/m.fla"
	i=$((i + 1))
done
tp=$(best fl-train -q -d "$csv" -b 64 --site s1 -o "$work/x" "$work/m.fla")
tm=$(best fl-train -q -d "$csv" -b 64 --key "$work/keys/s1.key" \
    --mask "$work/roster" -o "$work/x" "$work/m.fla")
bp=$(cat "$work"/s*.plain | wc -c)
bm=$(cat "$work"/s*.masked | wc -c)
ap=$(best fl-aggregate -m "$work/m.fla" -o "$work/p.fla" "$work"/s*.plain)
am=$(best fl-aggregate -m "$work/m.fla" -o "$work/q.fla" "$work"/s*.masked)
printf 'secure aggregation: %s sites, %s parameters (best of %s)\n' \
    "$sites" "$params" "$reps"
awk -v bp="$bp" -v bm="$bm" -v n="$sites" -v tp="$tp" -v tm="$tm" \
    -v ap="$ap" -v am="$am" 'BEGIN {
	printf "  %-28s %12s %12s %8s\n", "", "plain", "masked", "ratio"
	printf "  %-28s %12.0f %12.0f %8.4f\n", "bytes per update", bp / n, bm / n, bm / bp
	printf "  %-28s %12.3f %12.3f %8.2f\n", "fl-train (+ mask) seconds", tp, tm, tm / tp
	printf "  %-28s %12s %12.3f\n", "  of which masking, seconds", "", tm - tp
	printf "  %-28s %12.3f %12.3f %8.2f\n", "fl-aggregate seconds", ap, am, am / ap }'
rm -rf "$work"
