#!/bin/sh
# privacy.sh: central differential privacy on bundled real data, and what
# it costs.  Six simulated hospitals learn relapse-free survival on the
# breast cancer data (GBSG/Rotterdam).  Each run clips every site's update
# to an L2 norm and adds Gaussian noise to their sum at fl-aggregate,
# which keeps the cumulative (epsilon, delta) in the model's manifest.
# The table shows the held-out AUC and epsilon after the rounds, for a
# few noise levels; then a federation with a budget stops at its limit.
#
# usage: examples/privacy.sh [rounds]     (default 5)
# Environment: FL_SEED (default 1) seeds training and the noise (the
# noise is seeded for a reproducible demonstration only: a real run must
# not give fl-aggregate --seed), FL_WORK as in quickstart.sh.
set -eu

rounds=${1:-5}
case $rounds in ''|*[!0-9]*) echo "usage: $0 [rounds]" >&2; exit 2 ;; esac
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$work"

awk -F, 'NR == 1 { hdr = $0; next }
{
	h = (NR * 2654435761) % 100
	f = h < 20 ? "test.csv" : "site" (h % 6 + 1) ".csv"
	if (!(f in seen)) { print hdr > f; seen[f] = 1 }
	print > f
}' "$data/breast_gbsg_rotterdam.csv"
sites="site1 site2 site3 site4 site5 site6"
clip=0.5

auc() {
	fl-eval -q --format tsv -d test.csv "$1" |
	    awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "auc")
		c = i } NR == 2 { printf "%.3f\n", $c }'
}
# The cumulative epsilon in a model's manifest, or "-" when none.
epsilon() {
	fl-pack manifest "$1" |
	    sed -n 's/^    "epsilon": \([^,]*\),*$/\1/p' |
	    awk 'END { if (NR == 0) print "-"; else printf "%.2f\n", $1 }'
}

for s in $sites; do fl-stats --data "$s.csv" -o "$s.fls"; done
fl-aggregate -o pooled.fls site*.fls
fl-init -m logreg -l rfs -s pooled.fls -x site,pid,rfs_time --seed "$seed" \
    -o r0.fla

# run NAME ROUNDS [fl-aggregate options]: ROUNDS rounds from r0.fla into
# NAME.fla; stops quietly at a round the budget refuses.
run() {
	name=$1 n=$2
	shift 2
	cp r0.fla "$name.fla"
	i=1
	while [ "$i" -le "$n" ]; do
		for s in $sites; do
			fl-train -d "$s.csv" -e 2 --seed "$seed" -o "$s.upd" \
			    "$name.fla"
		done
		if ! fl-aggregate "$@" -m "$name.fla" -o "$name.next" \
		    site*.upd 2>"$name.err"; then
			echo "$name: round $i refused: $(cat "$name.err")"
			return 0
		fi
		mv "$name.next" "$name.fla"
		i=$((i + 1))
	done
}

# noise_table: the held-out AUC and epsilon for each noise multiplier.
noise_table() {
printf 'noise multiplier\tauc\tepsilon (delta 1e-5, %s rounds)\n' "$rounds"
run plain "$rounds"
printf 'none\t%s\t%s\n' "$(auc plain.fla)" "$(epsilon plain.fla)"
for z in 0.5 1 2 4; do
	run "z$z" "$rounds" --clip "$clip" --dp-noise "$z" --population 6 \
	    --seed "$seed"
	printf '%s\t%s\t%s\n' "$z" "$(auc "z$z.fla")" "$(epsilon "z$z.fla")"
done
}
fl_table noise_table

# A budget: noise 1, at most epsilon 8, as many rounds as it allows.
run budget 20 --clip "$clip" --dp-noise 1 --population 6 --seed "$seed" \
    --max-epsilon 8
printf 'budget 8 spent: epsilon %s after %s rounds, auc %s\n' \
    "$(epsilon budget.fla)" \
    "$(fl-pack manifest budget.fla | sed -n 's/^    "rounds": \([0-9]*\).*/\1/p')" \
    "$(auc budget.fla)"
