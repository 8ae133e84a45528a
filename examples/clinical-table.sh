#!/bin/sh
# clinical-table.sh: the hazard-ratio table of a clinical paper, from a
# federation.  The PBC3 trial's five hospitals each keep their rows; they
# pool their column statistics, then fit a Cox model of death or
# transplant by Newton rounds (fl-train --optimizer newton, fl-aggregate
# --strategy newton): each hospital sends its score vector and
# information matrix, and the coordinator takes the Newton step on their
# sum.  Each hospital is a stratum, so the fit is R's
# coxph(Surv(days, event) ~ ... + strata(site), ties = "breslow") on the
# complete rows, and the script prints fl-eval --coef's hazard ratios and
# 95% intervals beside R's.  Without R (and its survival package) the
# reference is fl's own Newton fit of all rows in one place, which knows
# no hospitals: one stratum, so a slightly different model.
#
# usage: examples/clinical-table.sh [rounds]      (default 10 rounds)
# Environment: FL_WORK keeps the files in that directory; FL_NO_R=1 uses
# the reference without R even when R is installed.
set -eu

rounds=${1:-10}
case $rounds in ''|*[!0-9]*|0) echo "usage: $0 [rounds]" >&2; exit 2 ;; esac

# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

dir=$work/pbc3
mkdir -p "$dir"
features=tment,sex,age,stage,gibleed,crea,alb,bili,alkph,asptr,weight

# One CSV per hospital, by the site column.
awk -F, -v dir="$dir" 'NR == 1 { hdr = $0; next }
{
	f = dir "/site" $1 ".csv"
	if (!(f in seen)) { print hdr > f; seen[f] = 1 }
	print > f
}' "$data/pbc3.csv"
sites=$(for f in "$dir"/site*.csv; do basename "$f" .csv; done)

# newton DIR SITES...: Newton rounds of the Cox model at the sites
# DIR/SITE.csv, into DIR/r$rounds.fla.  pbc3's hospitals are small (2 to
# 38 events), so --min-count is 2 here; a real study sets its threshold
# with its data protection officer (see fl-train(1)).
newton() {
	nd=$1
	shift
	for s in "$@"; do
		fl-stats --data "$nd/$s.csv" -o "$nd/$s.fls"
	done
	fl-aggregate -o "$nd/pooled.fls" "$nd"/*.fls
	fl-init -q -m cox --time days --event event -f "$features" \
	    -s "$nd/pooled.fls" --missing drop -o "$nd/r0.fla"
	r=1
	while [ "$r" -le "$rounds" ]; do
		for s in "$@"; do
			fl-train --optimizer newton --min-count 2 \
			    -d "$nd/$s.csv" -o "$nd/$s.upd" "$nd/r$((r - 1)).fla"
		done
		fl-aggregate --strategy newton -m "$nd/r$((r - 1)).fla" \
		    -o "$nd/r$r.fla" "$nd"/*.upd
		r=$((r + 1))
	done
}

# shellcheck disable=SC2086  # site names are words
newton "$dir" $sites
fl-eval --coef --format tsv "$dir/r$rounds.fla" >"$dir/federated.tsv"

# The reference: term ratio ratio_low ratio_high.
if [ -z "${FL_NO_R:-}" ] && command -v Rscript >/dev/null 2>&1 &&
    Rscript -e 'library(survival)' >/dev/null 2>&1; then
	ref="R coxph(strata(site))"
	Rscript - "$data/pbc3.csv" "$dir/reference.tsv" <<'EOF'
suppressMessages(library(survival))
a <- commandArgs(trailingOnly = TRUE)
d <- na.omit(read.csv(a[1]))
f <- coxph(Surv(days, event) ~ tment + sex + age + stage + gibleed + crea +
    alb + bili + alkph + asptr + weight + strata(site), data = d,
    ties = "breslow")
ci <- exp(confint(f))
write.table(data.frame(term = names(coef(f)), ratio = exp(coef(f)),
    ratio_low = ci[, 1], ratio_high = ci[, 2]), a[2], sep = "\t",
    quote = FALSE, row.names = FALSE)
EOF
else
	ref="fl, all rows in one place (one stratum)"
	mkdir -p "$dir/pooled"
	awk 'FNR > 1 || NR == 1' "$dir"/site*.csv >"$dir/pooled/all.csv"
	newton "$dir/pooled" all
	fl-eval --coef --format tsv "$dir/pooled/r$rounds.fla" |
	    awk -F'\t' 'NR == 1 { print "term\tratio\tratio_low\tratio_high"
		next } $1 == "" { exit } { print $1 "\t" $8 "\t" $9 "\t" $10 }' \
	    >"$dir/reference.tsv"
fi

echo "== pbc3: Cox model of death or transplant, $(echo "$sites" | wc -l)" \
    "hospitals, $rounds Newton rounds"
table() {
	awk -F'\t' -v ref="$ref" '
	FILENAME == ARGV[1] { if (FNR > 1) r[$1] = sprintf("%.3f (%.3f-%.3f)",
	    $2, $3, $4); next }
	FNR == 1 { printf "term\tfederated HR (95%% CI)\t%s\n", ref; next }
	$1 == "" { exit }
	{ printf "%s\t%.3f (%.3f-%.3f)\t%s\n", $1, $8, $9, $10, r[$1] }' \
	    "$dir/reference.tsv" "$dir/federated.tsv"
}
fl_table table
awk -F'\t' '$1 == "n" { getline; printf "n %s, events %s, log-likelihood" \
    " %.4f, %s rounds, converged %s\n", $1, $2, $3, $4, $5; exit }' \
    "$dir/federated.tsv"
