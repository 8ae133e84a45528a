#!/bin/sh
# examples/tree/run.sh [SITES [REGIONS]]: one round of a federation of
# SITES sites (default 12) grouped in REGIONS regions (default 3),
# aggregated three ways: flat (one fl-aggregate over every update), as a
# tree run by make -j (examples/tree/Makefile), and as a tree run by
# xargs -P.  Prints one line per way, "way<TAB>partials<TAB>sha256 of
# the model's tensors", and fails unless the three are the same bytes.
# examples/tree/slurm.sh runs the same tree as a Slurm array job.
set -eu
sites=${1:-12}
regions=${2:-3}
case $sites$regions in *[!0-9]*) echo "usage: $0 [sites [regions]]" >&2
	exit 2 ;; esac
if [ "$sites" -lt "$regions" ] || [ "$regions" -lt 1 ]; then
	echo "$0: need sites >= regions >= 1" >&2
	exit 2
fi
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/../lib.sh"
cd "$work"

# Sites: colon.csv dealt out row by row; each trains round 0.
awk -F, -v n="$sites" 'NR == 1 { for (i = 0; i < n; i++)
	print > ("site" i ".csv"); next }
	{ print > ("site" (NR % n) ".csv") }' "$data/colon.csv"
fl-stats --data site0.csv -o stats.fls
fl-init -m logreg -l death_5y -s stats.fls --seed "$seed" \
    -x id,recur_time,recur,death_time,death -o r0.fla
i=0
while [ "$i" -lt "$sites" ]; do
	r=region$((i % regions))
	mkdir -p "updates/$r"
	fl-train -q -d "site$i.csv" --site "site$i" --seed "$seed" \
	    -o "updates/$r/site$i.upd" r0.fla
	i=$((i + 1))
done

tensors() {
	rm -rf x && mkdir x && fl-pack extract -C x "$1"
	sha256sum <x/tensors.safetensors | cut -d' ' -f1
	rm -rf x
}

fl-aggregate -q -m r0.fla -o flat.fla updates/*/*.upd
make -s -j "$regions" -f "$examples/tree/Makefile" MODEL=r0.fla \
    UPDATES=updates PARTS=parts-make OUT=make.fla
mkdir -p parts-xargs
# shellcheck disable=SC2016  # expanded by the sh that xargs runs
find updates -mindepth 1 -maxdepth 1 -type d | sort |
    xargs -P "$regions" -I{} sh -c 'fl-aggregate -q --partial -m r0.fla \
    -o "parts-xargs/$(basename "$1").part" "$1"/*.upd' sh {}
fl-aggregate -q -m r0.fla -o xargs.fla parts-xargs/*.part

# ways_table: one line per way of aggregating.
ways_table() {
	printf 'way\tpartials\ttensors\n'
	printf 'flat\t0\t%s\n' "$(tensors flat.fla)"
	printf 'make\t%s\t%s\n' "$regions" "$(tensors make.fla)"
	printf 'xargs\t%s\t%s\n' "$regions" "$(tensors xargs.fla)"
}
fl_table ways_table
if [ "$(tensors flat.fla)" != "$(tensors make.fla)" ] ||
    [ "$(tensors flat.fla)" != "$(tensors xargs.fla)" ]; then
	echo "$0: the trees' models differ from the flat one" >&2
	exit 1
fi
