#!/bin/sh
# quickstart.sh: a whole simulated federation of hospitals on bundled real
# data, one fl-simulate(1) per study.  For each study it splits the data
# into sites and a held-out test set, pools per-site statistics,
# initialises a model, runs rounds of local training and FedAvg, prints
# the federated model's metrics per round, and ends with the federated
# model against a model trained at each site alone and on the pooled rows,
# all scored on the same held-out rows.  To run the same on a CSV of your
# own, see fl-simulate(1).
#
# usage: examples/quickstart.sh [rounds]      (default 5 rounds)
# Environment: FL_SEED (default 1) seeds training; FL_WORK keeps the files
# in that directory instead of a temporary one.
set -eu

rounds=${1:-5}
case $rounds in ''|*[!0-9]*) echo "usage: $0 [rounds]" >&2; exit 2 ;; esac

# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

# metric MODEL TEST KEY: one metric of MODEL on TEST.
metric() {
	fl-eval -q --format tsv -d "$2" "$1" |
	    awk -F'\t' -v k="$3" 'NR == 1 { for (i = 1; i <= NF; i++)
		if ($i == k) c = i } NR == 2 { print $c }'
}

# study NAME CSV LABEL EXCLUDE MODEL EPOCHS SPLIT...: fl-simulate does the
# whole federation (its summary line, on stderr, names the sites); then
# one line on whether it beat the sites training alone, from the models
# it kept in $work/NAME.
study() {
	name=$1 csv=$2 label=$3 exclude=$4 model=$5 epochs=$6
	shift 6
	dir=$work/$name
	echo "== $name: predict $label with $model, $rounds rounds of" \
	    "$epochs epochs"
	fl-simulate -v "$@" -m "$model" -l "$label" -x "$exclude" \
	    -r "$rounds" --seed "$seed" --train-args "-e $epochs" -o "$dir" \
	    "$csv"
	fed=$(metric "$dir/r$rounds.fla" "$dir/test.csv" auc)
	for m in "$dir"/site*-alone.fla; do
		metric "$m" "$dir/test.csv" auc
	done | awk -v f="$fed" '{ s += $1; n++ } END {
		m = s / n
		printf "federated %s the mean site-alone model by %.3f AUC\n\n",
		    (f > m ? "beats" : "does not beat"), f - m }'
}

# Breast cancer: relapse-free survival event, Rotterdam (site 1) and GBSG
# (site 2) as the two hospitals.
study breast "$data/breast_gbsg_rotterdam.csv" rfs pid,rfs_time logreg 2 \
    --site-column site

# Colon cancer: 5-year mortality, three simulated hospitals.
study colon "$data/colon.csv" death_5y id,recur_time,recur,death_time,death \
    logreg 5 --sites 3
