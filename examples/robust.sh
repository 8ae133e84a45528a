#!/bin/sh
# robust.sh: a poisoned round on bundled real data.  Six simulated
# hospitals learn relapse-free survival on the breast cancer data
# (GBSG/Rotterdam) for a few honest FedAvg rounds; then one site sends its
# update turned around and scaled by -100 (a boosted, model-replacement
# attack), and the round is aggregated by every strategy.  FedAvg's model
# breaks; median, trimmed-mean, krum and multi-krum hold.
#
# usage: examples/robust.sh [rounds]     (honest rounds first, default 3)
# Prints "strategy<TAB>auc" for the poisoned round, after the honest
# FedAvg round's AUC.  Environment: FL_SEED (default 1), FL_WORK as in
# quickstart.sh.  Needs perl (to forge the hostile update).
set -eu

rounds=${1:-3}
case $rounds in ''|*[!0-9]*) echo "usage: $0 [rounds]" >&2; exit 2 ;; esac
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$work"

# Six sites and a test set (20%) by a fixed hash of the row number.
awk -F, 'NR == 1 { hdr = $0; next }
{
	h = (NR * 2654435761) % 100
	f = h < 20 ? "test.csv" : "site" (h % 6 + 1) ".csv"
	if (!(f in seen)) { print hdr > f; seen[f] = 1 }
	print > f
}' "$data/breast_gbsg_rotterdam.csv"
sites="site1 site2 site3 site4 site5 site6"

auc() {
	fl-eval -q --format tsv -d test.csv "$1" |
	    awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "auc")
		c = i } NR == 2 { printf "%.3f\n", $c }'
}

for s in $sites; do fl-stats --data "$s.csv" -o "$s.fls"; done
fl-aggregate -o pooled.fls site*.fls
fl-init -m logreg -l rfs -s pooled.fls -x site,pid,rfs_time --seed "$seed" \
    -o r0.fla
r=1
while [ "$r" -le "$rounds" ]; do
	for s in $sites; do
		fl-train -d "$s.csv" -e 2 --seed "$seed" -o "$s.upd" \
		    "r$((r - 1)).fla"
	done
	fl-aggregate -m "r$((r - 1)).fla" -o "r$r.fla" site*.upd
	r=$((r + 1))
done
base=r$rounds.fla

# The poisoned round: everybody trains honestly, then site6 multiplies its
# delta by -100 and repacks the archive (fl-pack create gives it a fresh
# id; it still names the right parent, round and site).
for s in $sites; do
	fl-train -d "$s.csv" -e 2 --seed "$seed" -o "$s.upd" "$base"
done
rm -rf evil && mkdir evil
fl-pack extract -C evil site6.upd
perl -e '
	local $/; open(my $f, "+<", $ARGV[0]) or die; binmode $f;
	my $b = <$f>; my $n = unpack("Q<", substr($b, 0, 8));
	my @v = unpack("f<*", substr($b, 8 + $n));
	$_ *= -100 for @v;
	substr($b, 8 + $n) = pack("f<*", @v);
	seek($f, 0, 0); print $f $b; close $f or die;' evil/tensors.safetensors
fl-pack create -C evil -o site6.upd
rm -rf evil

# strategy_table: the held-out AUC of each strategy against the attack.
strategy_table() {
printf 'strategy\tauc\n'
fl-aggregate -m "$base" -o honest.fla site1.upd site2.upd site3.upd \
    site4.upd site5.upd
printf 'fedavg, honest sites only\t%s\n' "$(auc honest.fla)"
for st in fedavg median trimmed-mean krum multi-krum; do
	case $st in
	trimmed-mean) extra="--trim 0.2" ;;
	multi-krum) extra="--select 3" ;;
	*) extra="" ;;
	esac
	# shellcheck disable=SC2086
	fl-aggregate --strategy "$st" $extra -m "$base" -o "$st.fla" site*.upd
	printf '%s\t%s\n' "$st" "$(auc "$st.fla")"
done
}
fl_table strategy_table
