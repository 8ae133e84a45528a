#!/bin/sh
# quickstart.sh: a whole simulated federation of hospitals on bundled real
# data.  For each study it splits the data into sites and a held-out test
# set, pools per-site statistics, initialises a model, runs rounds of local
# training and FedAvg, prints the federated model's metrics per round, and
# ends with the federated model against a model trained at each site alone,
# all scored on the same held-out rows.
#
# usage: examples/quickstart.sh [rounds]      (default 5 rounds)
# Environment: FL_SEED (default 1) seeds training; FL_WORK keeps the files
# in that directory instead of a temporary one.
set -eu

rounds=${1:-5}
case $rounds in ''|*[!0-9]*) echo "usage: $0 [rounds]" >&2; exit 2 ;; esac

# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

# split CSV OUTDIR SITEEXPR: write OUTDIR/test.csv (about 20% of rows,
# chosen by a fixed hash of the row number) and OUTDIR/siteN.csv for the
# rest, N given by the awk expression SITEEXPR over the row's fields.
split() {
	mkdir -p "$2"
	awk -F, -v dir="$2" '
	NR == 1 { hdr = $0; for (i = 1; i <= NF; i++) col[$i] = i; next }
	{
		if ((NR * 2654435761) % 100 < 20) { f = dir "/test.csv" }
		else { f = dir "/site" ('"$3"') ".csv" }
		if (!(f in seen)) { print hdr > f; seen[f] = 1 }
		print > f
	}' "$1"
}

# metric MODEL TEST KEY: one metric of MODEL on TEST.
metric() {
	fl-eval --format tsv -d "$2" "$1" |
	    awk -F'\t' -v k="$3" 'NR == 1 { for (i = 1; i <= NF; i++)
		if ($i == k) c = i } NR == 2 { print $c }'
}

# study NAME CSV LABEL EXCLUDE SITEEXPR MODEL EPOCHS
study() {
	name=$1 csv=$2 label=$3 exclude=$4 siteexpr=$5 model=$6 epochs=$7
	dir=$work/$name
	split "$csv" "$dir" "$siteexpr"
	sites=$(for f in "$dir"/site*.csv; do basename "$f" .csv; done)
	test=$dir/test.csv

	echo "== $name: predict $label with $model; sites:" \
	    "$(for s in $sites; do
		printf '%s (%s rows) ' "$s" $(($(wc -l <"$dir/$s.csv") - 1))
	    done)test ($(($(wc -l <"$test") - 1)) rows)"

	# Each site shares only per-column sums; the pooled statistics set
	# one standardisation and imputation for everybody.
	for s in $sites; do
		fl-stats --data "$dir/$s.csv" -o "$dir/$s.fls"
	done
	fl-aggregate -o "$dir/pooled.fls" "$dir"/site*.fls
	fl-init -m "$model" -l "$label" -s "$dir/pooled.fls" -x "$exclude" \
	    --seed "$seed" -o "$dir/r0.fla"

	fl_table round_table

	# The same training at each site alone (a federation of one site),
	# and on all training rows pooled in one place, which federation
	# exists to avoid but which shows what it costs.
	awk 'FNR > 1 || NR == 1' "$dir"/site*.csv > "$dir/pooled.csv"
	for s in $sites pooled; do
		cp "$dir/r0.fla" "$dir/$s.alone"
		r=1
		while [ "$r" -le "$rounds" ]; do
			fl-train -d "$dir/$s.csv" -e "$epochs" --seed "$seed" \
			    "$dir/$s.alone" |
			    fl-aggregate -m "$dir/$s.alone" -o "$dir/$s.next"
			mv "$dir/$s.next" "$dir/$s.alone"
			r=$((r + 1))
		done
	done

	fed=$(metric "$dir/r$rounds.fla" "$test" auc)
	fl_table compare_table
	awk -v s="$sum" -v n="$n" -v f="$fed" 'BEGIN {
		m = s / n
		printf "federated %s the mean site-alone model by %.3f AUC\n\n",
		    (f > m ? "beats" : "does not beat"), f - m }'
}

# round_table: the table of rounds of FedAvg, one row per round with the new
# model's metrics on the held-out rows (uses study's variables).
round_table() {
	printf 'round\tauc\taccuracy\tlog_loss\tbrier\n'
	r=1
	while [ "$r" -le "$rounds" ]; do
		prev=$dir/r$((r - 1)).fla
		for s in $sites; do
			fl-train -d "$dir/$s.csv" -e "$epochs" --seed "$seed" \
			    -o "$dir/$s.upd" "$prev"
		done
		fl-aggregate -m "$prev" -o "$dir/r$r.fla" "$dir"/site*.upd
		fl-eval --format tsv -d "$test" "$dir/r$r.fla" |
		    awk -F'\t' -v r="$r" 'NR == 2 {
			printf "%d\t%.3f\t%.3f\t%.3f\t%.3f\n", r, $2, $3, $4, $5 }'
		r=$((r + 1))
	done
}

# compare_table: the table of the federated model against the pooled and the
# site-alone ones; sets sum and n, the sites' AUCs added up and counted.
compare_table() {
	printf 'model\tauc on held-out rows\n'
	printf 'federated (all sites)\t%.3f\n' "$fed"
	printf 'pooled (not private)\t%.3f\n' \
	    "$(metric "$dir/pooled.alone" "$test" auc)"
	sum=0 n=0
	for s in $sites; do
		a=$(metric "$dir/$s.alone" "$test" auc)
		printf '%s alone\t%.3f\n' "$s" "$a"
		sum=$(awk -v x="$sum" -v y="$a" 'BEGIN { print x + y }')
		n=$((n + 1))
	done
	awk -v s="$sum" -v n="$n" 'BEGIN {
		printf "mean of sites alone\t%.3f\n", s / n }'
}

# The site expressions below are awk code, hence single quotes.
# shellcheck disable=SC2016

# Breast cancer: relapse-free survival event, Rotterdam (site 1) and GBSG
# (site 2) as the two hospitals.
study breast "$data/breast_gbsg_rotterdam.csv" rfs site,pid,rfs_time \
    '$col["site"]' logreg 2

# Colon cancer: 5-year mortality, three simulated hospitals by patient id.
# shellcheck disable=SC2016
study colon "$data/colon.csv" death_5y id,recur_time,recur,death_time,death \
    '$col["id"] % 3 + 1' logreg 5
