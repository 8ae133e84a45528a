#!/bin/sh
# imaging.sh: a federation of four hospitals training a convolutional
# network on handwritten digits (MNIST), none of which holds a fair share
# of every class.  2,000 bundled digits (examples/data/mnist_2000.csv.gz):
# every fifth of each class is held out for testing; the rest go to four sites by label,
# each site getting 60% of the digits of its own two or three classes
# (site1 0-2, site2 3-5, site3 6-7, site4 8-9) and a share of the other
# 40% spread over all four.  The network is the one in fl-init(1):
# cnn:conv8k5,pool2,conv16k5,pool2,dense64 on 1x28x28 images, standardised
# with one mean and scale from the pooled statistics.  Each round every
# site trains two epochs of Adam (batch 32; lr 0.003, then 0.001 in the
# second half of the rounds; FedProx mu 0.03) and the coordinator
# averages (FedAvg).  The table compares, on the held-out digits, the
# federated model after the given rounds with each site trained alone and
# with all the training digits pooled at one site, both by the same
# schedule of rounds.
#
# usage: examples/imaging.sh [rounds [digits]]
#   rounds  default 10; digits: use only the first N of the 2000 (default
#   2000; the tests run a smaller federation).
# Environment: FL_SEED (default 1), FL_WORK as in quickstart.sh.
set -eu

rounds=${1:-10}
digits=${2:-2000}
case $rounds$digits in *[!0-9]*|'') echo "usage: $0 [rounds [digits]]" >&2
	exit 2 ;; esac
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$work"
# One OpenBLAS thread: the small products of this network gain nothing
# from more, and the digits printed then do not depend on the core count.
OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export OPENBLAS_NUM_THREADS

# Rows are interleaved by class (row k is digit k mod 10), so any prefix
# is balanced.  Held out: every fifth digit of each class.  A site by
# label, 60% to the class's owner.
gzip -dc "$data/mnist_2000.csv.gz" | head -n "$((digits + 1))" |
awk -F, 'NR == 1 { hdr = $0; next }
BEGIN { split("1 1 1 2 2 2 3 3 4 4", owner, " ") }
{
	if (int((NR - 2) / 10) % 5 == 4) f = "test.csv"
	else {
		h = (NR * 2654435761) % 100
		f = "site" (h < 60 ? owner[$1 + 1] : h % 4 + 1) ".csv"
	}
	if (!(f in seen)) { print hdr > f; seen[f] = 1 }
	print > f
	if (f != "test.csv") {
		if (!("pooled.csv" in seen)) { print hdr > "pooled.csv"
			seen["pooled.csv"] = 1 }
		print > "pooled.csv"
	}
}'
sites="site1 site2 site3 site4"

acc() {
	fl-eval --format tsv -d test.csv "$1" |
	    awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++)
		if ($i == "accuracy") c = i }
		NR == 2 { printf "%.3f\n", $c }'
}

for s in $sites; do fl-stats --data "$s.csv" -o "$s.fls"; done
fl-aggregate -o pooled.fls site*.fls
fl-init -m cnn:conv8k5,pool2,conv16k5,pool2,dense64 --input 1x28x28 \
    -l label -t multiclass -s pooled.fls --seed "$seed" -o r0.fla

# federate NAME CSV...: $rounds rounds of FedAvg from r0.fla over the sites
# whose data are the CSVs, into NAME.fla.  Each site trains two epochs of
# Adam, batch 32, at lr 0.003 for the first half of the rounds and 0.001
# after, with FedProx (mu 0.03) against drift under label skew.  Each
# comparison runs through here with the same schedule: pooled is one
# site holding all the training digits, a site alone is one site.
federate() {
	name=$1
	shift
	cp r0.fla "$name.fla"
	r=1
	while [ "$r" -le "$rounds" ]; do
		lr=0.003
		[ "$((2 * r))" -le "$rounds" ] || lr=0.001
		for csv in "$@"; do
			fl-train -d "$csv" -e 2 -b 32 --optimizer adam \
			    --lr "$lr" --prox-mu 0.03 --seed "$seed" \
			    -o "$name-${csv%.csv}.upd" "$name.fla"
		done
		fl-aggregate -m "$name.fla" -o "$name.next" "$name"-*.upd
		mv "$name.next" "$name.fla"
		rm -f "$name"-*.upd
		r=$((r + 1))
	done
}

start=$(date +%s)
federate fed site1.csv site2.csv site3.csv site4.csv
fedsec=$(($(date +%s) - start))
federate pooled pooled.csv
for s in $sites; do federate "$s" "$s.csv"; done

table() {
	printf 'model\tdigits trained on\theld-out accuracy\n'
	printf 'federated (4 sites)\t%s\t%s\n' \
	    "$(($(wc -l <pooled.csv) - 1))" "$(acc fed.fla)"
	printf 'pooled (not private)\t%s\t%s\n' \
	    "$(($(wc -l <pooled.csv) - 1))" "$(acc pooled.fla)"
	for s in $sites; do
		printf '%s alone\t%s\t%s\n' "$s" \
		    "$(($(wc -l <"$s.csv") - 1))" "$(acc "$s.fla")"
	done
}
fl_table table
echo "held-out digits: $(($(wc -l <test.csv) - 1)); federation took" \
    "${fedsec}s" >&2
