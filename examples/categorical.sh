#!/bin/sh
# categorical.sh: categorical columns in a federation.  The two National
# Wilms Tumor Studies (nwtco.csv, split by study) keep their rows; each
# records the levels of histology and stage (fl-stats --categorical), the
# coordinator pools them, and fl-init --categorical one-hot encodes both
# columns with stage 1 and favourable histology as the references, as
# R's factor() does.  Newton rounds then fit the logistic regression of
# relapse, and the script prints fl-eval --coef's odds ratios with 95%
# intervals beside R's glm(rel ~ factor(histol) + factor(stage) +
# age_months) on all rows.  Without R the reference is fl's own Newton fit
# of all rows in one place (one intercept, the same model).
#
# usage: examples/categorical.sh [rounds]      (default 8 rounds)
# Environment: FL_WORK keeps the files in that directory; FL_NO_R=1 uses
# the reference without R even when R is installed.
set -eu

rounds=${1:-8}
case $rounds in ''|*[!0-9]*|0) echo "usage: $0 [rounds]" >&2; exit 2 ;; esac

# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

dir=$work/nwtco
mkdir -p "$dir"
exclude=site,seqno,instit,edrel,in_subcohort

# One CSV per study, by the site column.
awk -F, -v dir="$dir" 'NR == 1 { hdr = $0; next }
{
	f = dir "/study" $1 ".csv"
	if (!(f in seen)) { print hdr > f; seen[f] = 1 }
	print > f
}' "$data/nwtco.csv"

# newton DIR SITES...: Newton rounds at the sites DIR/SITE.csv, into
# DIR/r$rounds.fla.
newton() {
	nd=$1
	shift
	for s in "$@"; do
		fl-stats --data "$nd/$s.csv" --categorical histol,stage \
		    -o "$nd/$s.fls"
	done
	fl-aggregate -o "$nd/pooled.fls" "$nd"/*.fls
	fl-init -q -m logreg -l rel -x "$exclude" -s "$nd/pooled.fls" \
	    --categorical histol,stage -o "$nd/r0.fla"
	r=1
	while [ "$r" -le "$rounds" ]; do
		for s in "$@"; do
			fl-train --optimizer newton -d "$nd/$s.csv" \
			    -o "$nd/$s.upd" "$nd/r$((r - 1)).fla"
		done
		fl-aggregate --strategy newton -m "$nd/r$((r - 1)).fla" \
		    -o "$nd/r$r.fla" "$nd"/*.upd
		r=$((r + 1))
	done
}

newton "$dir" study1 study2
fl-eval --coef --format tsv "$dir/r$rounds.fla" >"$dir/federated.tsv"

# The reference: term ratio ratio_low ratio_high, R's terms renamed from
# factor(stage)3 to fl's stage=3.
if [ -z "${FL_NO_R:-}" ] && command -v Rscript >/dev/null 2>&1; then
	ref="R glm, all rows"
	Rscript - "$data/nwtco.csv" "$dir/reference.tsv" <<'EOF'
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1])
f <- glm(rel ~ factor(histol) + factor(stage) + age_months,
    family = binomial, data = d)
se <- sqrt(diag(vcov(f)))
z <- qnorm(0.975)
term <- sub("^factor\\((.*)\\)(.*)$", "\\1=\\2", names(coef(f)))
write.table(data.frame(term = term, ratio = exp(coef(f)),
    ratio_low = exp(coef(f) - z * se), ratio_high = exp(coef(f) + z * se)),
    a[2], sep = "\t", quote = FALSE, row.names = FALSE)
EOF
else
	ref="fl, all rows in one place"
	mkdir -p "$dir/pooled"
	awk 'FNR > 1 || NR == 1' "$dir"/study*.csv >"$dir/pooled/all.csv"
	newton "$dir/pooled" all
	fl-eval --coef --format tsv "$dir/pooled/r$rounds.fla" |
	    awk -F'\t' 'NR == 1 { print "term\tratio\tratio_low\tratio_high"
		next } $1 == "" { exit } { print $1 "\t" $8 "\t" $9 "\t" $10 }' \
	    >"$dir/reference.tsv"
fi

echo "== nwtco: relapse by histology and stage (categorical), 2 studies," \
    "$rounds Newton rounds"
table() {
	awk -F'\t' -v ref="$ref" '
	FILENAME == ARGV[1] { if (FNR > 1) r[$1] = sprintf("%.3f (%.3f-%.3f)",
	    $2, $3, $4); next }
	FNR == 1 { printf "term\tfederated OR (95%% CI)\t%s\n", ref; next }
	$1 == "" { exit }
	$1 == "(Intercept)" { next }
	{ printf "%s\t%.3f (%.3f-%.3f)\t%s\n", $1, $8, $9, $10, r[$1] }' \
	    "$dir/reference.tsv" "$dir/federated.tsv"
}
fl_table table
echo "references: histol=1 (favourable), stage=1"
awk -F'\t' '$1 == "n" { getline; printf "n %s, events %s, log-likelihood" \
    " %.4f, %s rounds, converged %s\n", $1, $2, $3, $4, $5; exit }' \
    "$dir/federated.tsv"
