#!/bin/sh
# secure.sh: a masked federation on bundled real data.  Three simulated
# hospitals learn 5-year death on the colon cancer data with secure
# aggregation (fl-train --mask): the coordinator sees only masked
# updates, signed by the sites and sealed to it, and learns the sum.  In
# the last round site3 drops; the coordinator writes a signed recovery
# request, site1 and site2 answer with their seeds for site3 (fl-pack
# recover), and the round completes.  Each round is also aggregated from
# the same sites' plain updates, and the script prints the largest
# difference between the two models beside the bound of fl-train(1):
# S x h / W (h the quantisation step, S the updates, W their samples),
# checked parameter by parameter with float32 rounding on top.
#
# usage: examples/secure.sh [rounds]      (default 3, the last with a dropout)
# Prints "round<TAB>sites<TAB>max_diff<TAB>bound<TAB>auc_masked<TAB>
# auc_plain" and exits 1 if any parameter is outside its bound.
# Environment: FL_SEED (default 1), FL_WORK as in quickstart.sh.
set -eu

rounds=${1:-3}
case $rounds in ''|*[!0-9]*|0) echo "usage: $0 [rounds]" >&2; exit 2 ;; esac
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$work"

# Three hospitals and a test set (20%) by a fixed hash of the row number.
awk -F, 'NR == 1 { hdr = $0; next }
{
	h = (NR * 2654435761) % 100
	f = h < 20 ? "test.csv" : "site" (h % 3 + 1) ".csv"
	if (!(f in seen)) { print hdr > f; seen[f] = 1 }
	print > f
}' "$data/colon.csv"
sites="site1 site2 site3"

# Identities: the roster holds the sites' public keys; the coordinator
# trusts them and its own key in coordinator/.
mkdir -p keys roster trusted/coordinator
for s in $sites coord; do fl-keygen -q -o keys "$s"; done
for s in $sites; do cp "keys/$s.pub" roster/; cp "keys/$s.pub" trusted/; done
cp keys/coord.pub trusted/coordinator/

auc() {
	fl-eval --format tsv -d test.csv "$1" |
	    awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "auc")
		c = i } NR == 2 { printf "%.4f\n", $c }'
}

# floats ARCHIVE: its parameters, one per line (the F32 data section of
# tensors.safetensors, after the 8-byte length and the JSON header).
floats() {
	rm -rf x && fl-pack extract -C x "$1"
	n=$(od -An -t u8 -N 8 x/tensors.safetensors | tr -d ' ')
	od -An -v -t f4 -j $((8 + n)) x/tensors.safetensors | tr -s ' ' '\n' |
	    grep -v '^$'
}

# compare MASKED PLAIN S W: "max_diff<TAB>bound", failing when a
# parameter differs by more than S x h / W plus float32 rounding.
compare() {
	floats "$1" >a.txt
	floats "$2" >b.txt
	paste a.txt b.txt | awk -v s="$3" -v w="$4" '
	function abs(x) { return x < 0 ? -x : x }
	BEGIN { h = 65536 / int(2147483647 / 3); bound = s * h / w }
	{
		d = abs($1 - $2)
		if (d > max) max = d
		if (d > bound + 1.2e-7 * (abs($1) + abs($2))) bad++
	}
	END { printf "%.3g\t%.3g\n", max, bound; exit bad > 0 }'
}

samples() {
	fl-pack manifest "$1" | awk '/^  "samples"/ { gsub(/,/, ""); print $2 }'
}

for s in $sites; do fl-stats --data "$s.csv" -o "$s.fls"; done
fl-aggregate -o pooled.fls site*.fls
fl-init -m logreg -l death_5y -s pooled.fls \
    -x id,recur_time,recur,death_time,death --seed "$seed" --sign keys/coord.key \
    -o r0.fla

# rounds_table: run the rounds, one line of the table each.
rounds_table() {
	printf 'round\tsites\tmax_diff\tbound\tauc_masked\tauc_plain\n'
	r=1
	while [ "$r" -le "$rounds" ]; do
		base=r$((r - 1)).fla
		here=$sites
		[ "$r" -eq "$rounds" ] && here="site1 site2"	# site3 drops
		for s in $here; do
			# At the site: verify the model, train, mask, sign, seal.
			fl-train -q -d "$s.csv" -e 2 --seed "$seed" --trust trusted \
			    --key "keys/$s.key" --sign "keys/$s.key" --mask roster \
			    "$base" | fl-pack seal --to keys/coord.pub -o "$s.sealed"
			# The same update, plain, for the comparison only.
			fl-train -q -d "$s.csv" -e 2 --seed "$seed" -o "$s.plain" "$base"
		done
		set --
		for s in $here; do set -- "$@" "$s.sealed"; done
		if [ "$r" -eq "$rounds" ]; then
			# Site3 sent nothing: the coordinator asks the survivors.
			if fl-aggregate -q --trust trusted --key keys/coord.key \
			    --sign keys/coord.key -m "$base" -o "r$r.fla" \
			    --recovery-request req.fla "$@" 2>request.err; then
				echo "secure.sh: a round with site3 missing went through" >&2
				exit 1
			fi
			for s in $here; do
				fl-pack recover --key "keys/$s.key" --trust trusted req.fla |
				    fl-pack seal --to keys/coord.pub -o "$s.rec"
				set -- "$@" "$s.rec"
			done
		fi
		fl-aggregate -q --trust trusted --key keys/coord.key \
		    --sign keys/coord.key -m "$base" -o "r$r.fla" "$@"
		set --
		for s in $here; do set -- "$@" "$s.plain"; done
		fl-aggregate -q -m "$base" -o "plain$r.fla" "$@"
		n=$(echo "$here" | wc -w)
		w=$(samples "plain$r.fla")
		if ! diff=$(compare "r$r.fla" "plain$r.fla" "$n" "$w"); then
			echo "secure.sh: round $r: masked FedAvg is outside the" \
			    "bound ($diff)" >&2
			exit 1
		fi
		printf '%s\t%s\t%s\t%s\t%s\n' "$r" "$n" "$diff" "$(auc "r$r.fla")" \
		    "$(auc "plain$r.fla")"
		r=$((r + 1))
	done
}
fl_table rounds_table
fl-pack verify -q --chain --trust trusted "r$rounds.fla"
