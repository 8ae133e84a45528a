#!/bin/sh
# noniid.sh: FedAvg against FedProx and SCAFFOLD (and FedAdam where
# fl-aggregate has it) on a non-IID split of bundled real data, then the
# accuracy cost of DP-SGD at a few noise levels.
#
# colon.csv (5-year mortality after colon cancer surgery) is split into
# three hospitals by covariates, so that their patients differ: site 1
# has the patients with more than four positive lymph nodes (node4 = 1),
# site 2 the others under 60, site 3 the others 60 and over.  About 20% of
# all rows, chosen by a fixed hash of the row number, are held out.  Every
# method starts from the same model, trains the same epochs per round with
# the same seed, and is scored by AUC on the held-out rows after the same
# number of rounds.
#
# usage: examples/noniid.sh [rounds]      (default 10 rounds)
# Environment: FL_SEED (default 1); FL_WORK keeps the files there.
set -eu

rounds=${1:-10}
epochs=5
case $rounds in ''|*[!0-9]*|0) echo "usage: $0 [rounds]" >&2; exit 2 ;; esac

# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

awk -F, -v dir="$work" '
NR == 1 { hdr = $0; for (i = 1; i <= NF; i++) col[$i] = i; next }
{
	if ((NR * 2654435761) % 100 < 20) f = dir "/test.csv"
	else if ($col["node4"] == 1) f = dir "/site1.csv"
	else if ($col["age"] < 60) f = dir "/site2.csv"
	else f = dir "/site3.csv"
	if (!(f in seen)) { print hdr > f; seen[f] = 1 }
	print > f
}' "$data/colon.csv"
sites="site1 site2 site3"
for s in $sites; do
	fl-stats --data "$work/$s.csv" -o "$work/$s.fls"
done
fl-aggregate -o "$work/pooled.fls" "$work"/site?.fls
fl-init -m logreg -l death_5y -s "$work/pooled.fls" --seed "$seed" \
    -x id,recur_time,recur,death_time,death -o "$work/r0.fla"

# auc MODEL: the AUC of MODEL on the held-out rows.
auc() {
	fl-eval -q --format tsv -d "$work/test.csv" "$1" |
	    awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "auc")
		c = i } NR == 2 { printf "%.4f\n", $c }'
}

# run NAME STRATEGY TRAINFLAGS [scaffold]: rounds of training at every
# site and aggregation; prints the held-out AUC after each round.
run() {
	name=$1 strategy=$2 flags=$3 scaf=${4:-}
	d=$work/$name
	mkdir -p "$d"
	cp "$work/r0.fla" "$d/r0.fla"
	r=1 out=""
	while [ "$r" -le "$rounds" ]; do
		for s in $sites; do
			st=""
			[ -z "$scaf" ] || st=$d/$s.state
			# shellcheck disable=SC2086
			fl-train -q -d "$work/$s.csv" -e "$epochs" --seed "$seed" \
			    $flags ${st:+--scaffold "$st"} \
			    -o "$d/$s.upd" "$d/r$((r - 1)).fla"
		done
		fl-aggregate -q --strategy "$strategy" -m "$d/r$((r - 1)).fla" \
		    -o "$d/r$r.fla" "$d"/site?.upd
		out="$out $(auc "$d/r$r.fla")"
		r=$((r + 1))
	done
	echo "$out"
}

echo "== non-IID colon: sites $(for s in $sites; do
	printf '%s (%s rows) ' "$s" $(($(wc -l <"$work/$s.csv") - 1)); done)" \
    "test ($(($(wc -l <"$work/test.csv") - 1)) rows); $rounds rounds of" \
    "$epochs epochs"
row() {
	# shellcheck disable=SC2086
	set -- $2
	first=$1
	last=$(eval "echo \${$#}")
	best=$(printf '%s\n' "$@" | sort -g | tail -n 1)
	printf '%s\t%s\t%s\t%s\n' "$name0" "$first" "$last" "$best"
	echo "$name0 $last" >> "$work/finals"
}
# method_table: a row per method: its AUC after round 1, at the end, and
# its best.
method_table() {
printf 'method\tauc_round1\tauc_final\tbest_round_auc\n'
: > "$work/finals"
name0=fedavg; row x "$(run fedavg fedavg "")"
name0=fedprox_mu0.1; row x "$(run prox01 fedavg "--prox-mu 0.1")"
name0=fedprox_mu1; row x "$(run prox1 fedavg "--prox-mu 1")"

# SCAFFOLD needs the server to carry the mean of the sites' scaffold_dc
# into the model's scaffold_c; without that, the sites' corrections would
# be wrong, so the row is left out rather than shown wrong.
rounds_saved=$rounds rounds=1
run probe fedavg "" scaffold >/dev/null
rounds=$rounds_saved
if fl-pack list "$work/probe/r1.fla" 2>/dev/null |
    grep -q '^state/scaffold_c'; then
	name0=scaffold; row x "$(run scaffold fedavg "" scaffold)"
else
	printf 'scaffold\tskipped: this fl-aggregate does not carry scaffold_c\n'
fi
if fl-aggregate --help | grep -q fedadam; then
	name0=fedadam; row x "$(run fedadam fedadam "")"
else
	printf 'fedadam\tskipped: this fl-aggregate has no fedadam\n'
fi
}
fl_table method_table
awk 'NR == 1 { base = $2; next }
{ d = $2 - base; printf "%s %s fedavg by %.4f AUC\n", $1,
    (d > 0.005 ? "beats" : d < -0.005 ? "trails" : "ties (within 0.005)"),
    (d < 0 ? -d : d) }' "$work/finals"

# DP-SGD at each site, FedAvg on top: the held-out AUC after the same
# rounds, and each site's epsilon per round at delta 1e-5 (a site's whole
# spend composes over rounds; the total is at most rounds times it).
echo
echo "== DP-SGD (clip 1, batch 32) with FedAvg, $rounds rounds"
dp_table() {
printf 'noise\teps_per_round_site1\tauc_final\n'
for z in 0.6 1.0 2.0; do
	# shellcheck disable=SC2046
	set -- $(run "dp$z" fedavg "--dp-clip 1 --dp-noise $z")
	eval "last=\${$#}"
	eps=$(fl-pack manifest "$work/dp$z/site1.upd" |
	    sed -n 's/^ *"epsilon": \([^,]*\),*$/\1/p')
	printf '%s\t%.2f\t%s\n' "$z" "$eps" "$last"
done
}
fl_table dp_table
