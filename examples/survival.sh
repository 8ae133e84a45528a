#!/bin/sh
# survival.sh: federated Cox models on bundled real data.  For each study
# it splits the rows into hospitals and a held-out test set (a fixed hash
# of the row number), pools per-site statistics,
# initialises a Cox model, runs rounds of full-batch local training and
# FedAvg, and compares on the same held-out rows, by Harrell's C-index,
# the federated model with one trained on all training rows pooled (what
# federation avoids) and one trained at each hospital alone.  It ends with
# the federated model's AUC and Brier score at a horizon, and one
# patient's predicted survival, from the federated baseline hazard; then
# federated evaluation: each hospital scores the federated model on its
# own share of the held-out rows (fl-eval --emit), fl-aggregate pools the
# metrics archives, and the pooled C-index, AUC and Brier score (within
# their reported bounds) are printed beside those of the held-out rows
# scored in one place.
#
# usage: examples/survival.sh [rounds]      (default 5 rounds)
# Environment: FL_WORK keeps the files in that directory.
set -eu

rounds=${1:-5}
case $rounds in ''|*[!0-9]*) echo "usage: $0 [rounds]" >&2; exit 2 ;; esac

# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

# Local training: full-batch Adam (a survival model takes one step over
# all of a site's rows per epoch), 40 steps a round.
steps=40
train="--optimizer adam --lr 0.05"

# split CSV OUTDIR SITEEXPR: OUTDIR/test.csv (about 20% of rows by a fixed
# hash of the row number) and OUTDIR/siteN.csv, N from awk's SITEEXPR.
split() {
	mkdir -p "$2"
	awk -F, -v dir="$2" '
	NR == 1 { hdr = $0; for (i = 1; i <= NF; i++) col[$i] = i; next }
	{
		s = dir "/site" ('"$3"')
		if ((NR * 2654435761) % 100 < 20) {
			f = dir "/test.csv"; s = s ".test"
			if (!(s in seen)) { print hdr > s; seen[s] = 1 }
			print > s
		} else { f = s ".csv" }
		if (!(f in seen)) { print hdr > f; seen[f] = 1 }
		print > f
	}' "$1"
}

# Column $2 of row $3 (by its first field) of the TSV on stdin.
report_cell() {
	awk -F'\t' -v c="$1" -v s="$2" 'NR == 1 { for (i = 1; i <= NF; i++)
		if ($i == c) k = i; next } $1 == s { print $k }'
}

# metric MODEL TEST KEY [HORIZON]: one metric of MODEL on TEST.
metric() {
	fl-eval -q --format tsv -d "$2" ${4:+--horizon "$4"} "$1" |
	    awk -F'\t' -v k="$3" 'NR == 1 { for (i = 1; i <= NF; i++)
		if ($i == k) c = i } NR == 2 { print $c }'
}

# study NAME CSV TIME EVENT EXCLUDE SITEEXPR HORIZON
study() {
	name=$1 csv=$2 time=$3 event=$4 exclude=$5 siteexpr=$6 horizon=$7
	dir=$work/$name
	split "$csv" "$dir" "$siteexpr"
	sites=$(for f in "$dir"/site*.csv; do basename "$f" .csv; done)
	test=$dir/test.csv
	echo "== $name: Cox model of ($time, $event); sites:" \
	    "$(for s in $sites; do
		printf '%s (%s rows) ' "$s" $(($(wc -l <"$dir/$s.csv") - 1))
	    done)test ($(($(wc -l <"$test") - 1)) rows)"

	for s in $sites; do
		fl-stats --data "$dir/$s.csv" -o "$dir/$s.fls"
	done
	fl-aggregate -o "$dir/pooled.fls" "$dir"/site*.fls
	fl-init -m cox --time "$time" --event "$event" -s "$dir/pooled.fls" \
	    -x "$exclude" -o "$dir/r0.fla"

	r=1
	while [ "$r" -le "$rounds" ]; do
		# The sites train in parallel, as real hospitals would.
		pids=""
		for s in $sites; do
			# shellcheck disable=SC2086
			fl-train -d "$dir/$s.csv" $train -e "$steps" \
			    -o "$dir/$s.upd" "$dir/r$((r - 1)).fla" &
			pids="$pids $!"
		done
		for p in $pids; do wait "$p"; done
		fl-aggregate -m "$dir/r$((r - 1)).fla" -o "$dir/r$r.fla" \
		    "$dir"/site*.upd
		r=$((r + 1))
	done
	fed=$dir/r$rounds.fla

	# The same number of steps on all rows pooled, and at each site
	# alone (a federation of one site, in one round).
	awk 'FNR > 1 || NR == 1' "$dir"/site*.csv > "$dir/pooled.csv"
	pids=""
	for s in $sites pooled; do
		# shellcheck disable=SC2086
		fl-train -d "$dir/$s.csv" $train -e $((rounds * steps)) \
		    -o "$dir/$s.upd1" "$dir/r0.fla" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	for s in $sites pooled; do
		fl-aggregate -m "$dir/r0.fla" -o "$dir/$s.alone" "$dir/$s.upd1"
	done

	fl_table model_table
	printf 'federated at %s: auc %.3f, brier %.3f\n' "$horizon" \
	    "$(metric "$fed" "$test" "auc_$horizon" "$horizon")" \
	    "$(metric "$fed" "$test" "brier_$horizon" "$horizon")"
	printf 'first held-out patient: S(%s) = %.3f\n' "$horizon" \
	    "$(fl-eval -q -p --format tsv --horizon "$horizon" -d "$test" "$fed" |
	    awk -F'\t' 'NR == 2 { print $4 }')"

	# Federated evaluation: no held-out row leaves its hospital.
	for s in $sites; do
		[ -f "$dir/$s.test" ] || continue
		fl-eval --emit --site "$s" --horizon "$horizon" \
		    -d "$dir/$s.test" -o "$dir/$s.metrics" "$fed"
	done
	fl-aggregate -o "$dir/metrics.fla" "$dir"/site*.metrics
	fl-eval --report "$dir/metrics.fla" >"$dir/report.tsv"
	fl_table report_table
	echo
}

# model_table: the C-index of the federated, pooled and site-alone models
# (uses study's variables).
model_table() {
	printf 'model\tc_index on held-out rows\n'
	printf 'federated (all sites)\t%.3f\n' "$(metric "$fed" "$test" c_index)"
	printf 'pooled (not private)\t%.3f\n' \
	    "$(metric "$dir/pooled.alone" "$test" c_index)"
	for s in $sites; do
		printf '%s alone\t%.3f\n' "$s" \
		    "$(metric "$dir/$s.alone" "$test" c_index)"
	done
}

# report_table: federated evaluation's pooled metrics against the same
# metrics on the held-out rows in one place (uses study's variables).
report_table() {
	printf 'metric\tpooled from %s metrics archives\tbound\theld-out rows in one place\n' \
	    "$(($(wc -l <"$dir/report.tsv") - 2))"
	for k in c_index "auc_$horizon" "brier_$horizon"; do
		case $k in brier_*) b=exact ;;
		*) b=$(printf '%.1e' "$(report_cell "${k}_bound" pooled \
		    <"$dir/report.tsv")") ;;
		esac
		printf '%s\t%.4f\t%s\t%.4f\n' "$k" \
		    "$(report_cell "$k" pooled <"$dir/report.tsv")" "$b" \
		    "$(metric "$fed" "$test" "$k" "$horizon")"
	done
}

# The site expressions below are awk code, hence single quotes.
# shellcheck disable=SC2016

# Colon cancer: death, three simulated hospitals by patient id.
study colon "$data/colon.csv" death_time death \
    id,recur_time,recur,death_5y '$col["id"] % 3 + 1' 1826

# Breast cancer: relapse-free survival, Rotterdam (site 1) and GBSG (2).
# shellcheck disable=SC2016
study breast "$data/breast_gbsg_rotterdam.csv" rfs_time rfs site,pid \
    '$col["site"]' 1826

# Primary biliary cirrhosis: death or transplant in the PBC3 trial, its
# five hospitals.
# shellcheck disable=SC2016
study pbc3 "$data/pbc3.csv" days event site,ptno,status,death \
    '$col["site"]' 1461
