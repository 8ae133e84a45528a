#!/bin/sh
# plots.sh: render fl's curves to PNG with gnuplot (Debian: gnuplot-nox).
# Splits the bundled colon.csv into two simulated hospitals, trains one
# federated round, and draws from pooled sufficient statistics only:
#   roc.png          fl-eval --report --curve roc (pooled ROC curve)
#   calibration.png  fl-eval --report --curve calibration
#   km.png           fl-stats --curve km (pooled Kaplan-Meier, death)
#   survival.png     fl-eval --curve survival (a Cox model's mean S(t|x)
#                    against Kaplan-Meier, on site a's own rows)
# Usage: examples/plots/plots.sh [outdir]   (default: examples/plots)
# Environment: FL_WORK keeps the intermediate files in that directory.
set -eu
command -v gnuplot >/dev/null || { echo "plots.sh: gnuplot not found" >&2; exit 1; }
out=$(cd "${1:-$(dirname "$0")}" && pwd)
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/../lib.sh"
cd "$work"

awk -F, 'NR == 1 { print > "a.csv"; print > "b.csv"; next }
	NR % 2 == 0 { print > "a.csv"; next } { print > "b.csv" }' "$data/colon.csv"
for s in a b; do fl-stats -q --data $s.csv -o $s.fls; done
fl-aggregate -q -o grid.fls a.fls b.fls
fl-init -q -m logreg -l death_5y -s grid.fls \
    -f rx,sex,age,obstruct,perfor,adhere,nodes,differ,extent,surg,node4 -o r0.fla
for s in a b; do
	fl-train -q -d $s.csv --site $s -e 5 -o $s.upd r0.fla
done
fl-aggregate -q -m r0.fla -o r1.fla a.upd b.upd
for s in a b; do
	fl-eval --emit --site $s -d $s.csv -o $s.met r1.fla
	fl-stats -q --data $s.csv --bins-from grid.fls \
	    --survival death_time,death -o $s.sum
done
fl-aggregate -q -o pooled.met a.met b.met
fl-aggregate -q -o pooled.sum a.sum b.sum
fl-eval --report --curve roc pooled.met > roc.tsv
fl-eval --report --curve calibration pooled.met > calibration.tsv
fl-stats --curve km pooled.sum > km.tsv
# A Cox model for death, 3 rounds (the baseline is one round behind).
fl-init -q -m cox --time death_time --event death -s grid.fls \
    -f rx,sex,age,obstruct,perfor,adhere,nodes,differ,extent,surg,node4 -o c0.fla
for r in 0 1 2; do
	for s in a b; do
		fl-train -q -d $s.csv --optimizer adam --lr 0.05 -e 30 \
		    -o $s.cupd c$r.fla
	done
	fl-aggregate -q -m c$r.fla -o c$((r + 1)).fla a.cupd b.cupd
done
fl-eval --curve survival -d a.csv c3.fla > survival.tsv
auc=$(fl-eval --report pooled.met | awk -F'\t' '$1 == "pooled" { printf "%.3f", $3 }')

gnuplot <<GP
set terminal pngcairo size 480,420 font ",10" noenhanced
set datafile separator "\t"
set key bottom right
set grid

set output "$out/roc.png"
set title "Pooled ROC, colon death within 5 years (AUC $auc)"
set xlabel "false positive rate"; set ylabel "true positive rate"
set xrange [0:1]; set yrange [0:1]; set size square
plot "roc.tsv" skip 1 using 1:2 with lines lw 2 title "federated, 2 sites", \
    x with lines dt 2 lc "gray" title "chance"

set output "$out/calibration.png"
set title "Pooled calibration, 10 bins"
set xlabel "mean predicted probability"; set ylabel "observed fraction"
plot "calibration.tsv" skip 1 using 2:3 with linespoints lw 2 pt 7 \
    title "federated, 2 sites", x with lines dt 2 lc "gray" title "ideal"

set output "$out/km.png"
set title "Pooled Kaplan-Meier, colon death"
set size nosquare
set xlabel "days"; set ylabel "survival"
set xrange [0:*]; set yrange [0:1]
plot "km.tsv" skip 1 using 1:2 with steps lw 2 title "2 sites, merged tables"

set output "$out/survival.png"
set title "Cox model (3 rounds), colon death, site a"
plot "survival.tsv" skip 1 using 1:3 with steps lw 2 title "Kaplan-Meier", \
    "" skip 1 using 1:2 with lines lw 2 title "mean predicted S(t|x)"
GP
