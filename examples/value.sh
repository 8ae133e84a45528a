#!/bin/sh
# value.sh: what each hospital's data added, on bundled real data.  Six
# simulated hospitals learn relapse-free survival on the breast cancer
# data (GBSG/Rotterdam) with FedAvg; site5's labels are shuffled (a
# hospital with noisy labels) and site6 holds a copy of site1's rows (a
# duplicated hospital).  fl-value sums each site's Shapley and
# leave-one-out values (the AUC on held-out rows) over the rounds.
#
# usage: examples/value.sh [rounds [seeds]]   (default 3 rounds, 5 seeds)
# Prints two tab-separated tables.  The first, for training seed FL_SEED:
# site, rows, sample share (what crediting by row counts would pay),
# Shapley value, its share of the gain, leave-one-out value.  The second
# measures stability: the whole federation is run again with each
# training seed 1..seeds (a seed changes the order of each site's
# batches, nothing else), and for each site it gives the mean and the
# standard deviation over those runs of its summed Shapley value, and
# how often it ranked lowest.  Environment: FL_SEED (default 1), FL_WORK
# as in quickstart.sh.
set -eu

rounds=${1:-3}
seeds=${2:-5}
case $rounds$seeds in ''|*[!0-9]*) echo "usage: $0 [rounds [seeds]]" >&2
	exit 2 ;; esac
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$work"

# Five sites and a test set (20%) by a fixed hash of the row number; the
# sixth site is a copy of the first, and site5's labels are shuffled (a
# fixed permutation of its rows' rfs values).
awk -F, 'NR == 1 { hdr = $0; next }
{
	h = (NR * 2654435761) % 100
	f = h < 20 ? "test.csv" : "site" (h % 5 + 1) ".csv"
	if (!(f in seen)) { print hdr > f; seen[f] = 1 }
	print > f
}' "$data/breast_gbsg_rotterdam.csv"
cp site1.csv site6.csv
awk -F, 'NR == 1 { print; next } { row[NR] = $0; lab[NR] = $NF }
END {
	for (i = 2; i <= NR; i++) {
		n = split(row[i], f, ","); f[n] = lab[(i * 37) % (NR - 1) + 2]
		s = f[1]; for (k = 2; k <= n; k++) s = s "," f[k]; print s
	}
}' site5.csv >noisy.csv
mv noisy.csv site5.csv
sites="site1 site2 site3 site4 site5 site6"

for s in $sites; do fl-stats --data "$s.csv" -o "$s.fls"; done
fl-aggregate -o pooled.fls site*.fls
fl-init -m logreg -l rfs -s pooled.fls -x site,pid,rfs_time --seed 1 \
    -o r0.fla

# federate SEED: the rounds with training seed SEED; values.SEED.tsv gets
# the sites' values summed over the rounds.
federate() {
	r=0 models=""
	cp r0.fla "r0.$1.fla"
	while [ "$r" -lt "$rounds" ]; do
		for s in $sites; do
			fl-train -q -d "$s.csv" -e 1 --seed "$1" \
			    -o "$s.r$r.upd" "r$r.$1.fla"
		done
		fl-aggregate -m "r$r.$1.fla" -o "r$((r + 1)).$1.fla" \
		    site*.r$r.upd
		models="$models -m r$r.$1.fla"
		r=$((r + 1))
	done
	# shellcheck disable=SC2086  # models is a list of options
	fl-value $models -d test.csv --format tsv site*.r*.upd \
	    >"values.$1.tsv"
	rm -f site*.r*.upd
}

i=1
while [ "$i" -le "$seeds" ]; do
	federate "$i"
	i=$((i + 1))
done
[ -f "values.$seed.tsv" ] || federate "$seed"

# site_table: the values of seed $seed, with the sample share and the
# Shapley value's share of the gain.
site_table() {
	awk -F'\t' -v rounds="$rounds" '
	NR == FNR { if (FNR > 1) { rows[$1] = $2 / rounds; n += $2 / rounds
		gain += $3 } next }
	FNR == 1 { print "site\trows\tsample_share\tshapley\tshapley_share\tloo"
		next }
	{ printf "%s\t%d\t%.3f\t%.4f\t%.3f\t%.4f\n", $1, rows[$1],
		rows[$1] / n, $3, $3 / gain, $5 }' "values.$seed.tsv" \
	    "values.$seed.tsv"
}

# stability_table: over the runs values.1.tsv ..., each site's mean and
# standard deviation of its summed Shapley value and how often it ranked
# lowest.
stability_table() {
	files="" i=1
	while [ "$i" -le "$seeds" ]; do
		files="$files values.$i.tsv"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086  # files is a list of names
	awk -F'\t' '
	FNR == 1 { run++; next }
	{
		s[$1] += $3; ss[$1] += $3 * $3
		if (!($1 in order)) { order[$1] = ++k; name[k] = $1 }
		v[run, $1] = $3
	}
	END {
		for (r = 1; r <= run; r++) {
			m = ""
			for (j = 1; j <= k; j++)
				if (m == "" || v[r, name[j]] < v[r, m])
					m = name[j]
			lowest[m]++
		}
		print "site\tmean\tsd\tlowest"
		for (j = 1; j <= k; j++) {
			x = name[j]; mu = s[x] / run
			var = run > 1 ? (ss[x] - run * mu * mu) / (run - 1) : 0
			printf "%s\t%.4f\t%.4f\t%d/%d\n", x, mu,
			    sqrt(var > 0 ? var : 0), lowest[x] + 0, run
		}
	}' $files
}

echo "== breast, $rounds rounds of FedAvg; site5 has shuffled labels," \
    "site6 is a copy of site1; values are AUC on held-out rows, seed $seed"
fl_table site_table
echo
echo "== stability over training seeds 1..$seeds: each site's summed Shapley value"
fl_table stability_table
