#!/bin/sh
# sneakernet/run.sh: a federation between sites with no network, whose only
# link is a USB stick carried between them.  Two breast cancer cohorts
# (Rotterdam and GBSG) and a coordinator:
#
#  1. once, everybody makes a key and hands over the public half;
#  2. each site sends its column statistics, signed and sealed to the
#     coordinator, who pools them and writes round 0, signed, sealed to
#     both sites;
#  3. each round, each site verifies the model on the stick, trains on its
#     own rows, signs the update and seals it to the coordinator, who
#     checks every signature against the site it claims, aggregates and
#     carries the signed model back;
#  4. anybody can check the final model's lineage and print its log.
#
# Every archive on the stick is sealed: someone who finds it learns nothing.
# usage: examples/sneakernet/run.sh [rounds]     (default 3)
# Environment: FL_WORK keeps the files in that directory, which must not
# hold keys from an earlier run (keys are never overwritten).
set -eu

rounds=${1:-3}
case $rounds in ''|*[!0-9]*) echo "usage: $0 [rounds]" >&2; exit 2 ;; esac
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/../lib.sh"
cd "$work"
mkdir usb coord rotterdam gbsg

# Each hospital's own rows, and nobody else's (the test rows are kept by
# the coordinator to score the result).
awk -F, -v w="$work" 'NR == 1 { h = $0; next }
	(NR * 2654435761) % 100 < 20 { f = w "/coord/test.csv" }
	(NR * 2654435761) % 100 >= 20 { f = w "/" ($1 == 1 ? "rotterdam" : "gbsg") "/data.csv" }
	{ if (!(f in seen)) { print h > f; seen[f] = 1 } print > f }' \
    "$data/breast_gbsg_rotterdam.csv"

# 1. Keys, made where they are used; public keys are exchanged once.
# A trust folder holds sites' keys at its top and coordinators' keys in
# coordinator/: a model is taken only from a coordinator, an update only
# from the site it names.
for who in coord rotterdam gbsg; do
	fl-keygen -o "$who" "$who"
	mkdir -p "$who/trusted/coordinator"
done
cp rotterdam/rotterdam.pub gbsg/gbsg.pub coord/trusted/
for who in coord rotterdam gbsg; do
	cp coord/coord.pub "$who/trusted/coordinator/"
done

# 2. Statistics, sealed to the coordinator; round 0, sealed to the sites.
for site in rotterdam gbsg; do
	fl-stats -q --site "$site" --data "$site/data.csv" |
	    fl-pack sign --key "$site/$site.key" |
	    fl-pack seal --to coord/coord.pub -o "usb/$site.fls.sealed"
done
fl-aggregate --trust coord/trusted --key coord/coord.key \
    -o coord/pooled.fls usb/*.fls.sealed
fl-init -m logreg -l rfs -s coord/pooled.fls -x site,pid,rfs_time \
    --sign coord/coord.key -o coord/r0.fla
fl-pack seal --to rotterdam/rotterdam.pub --to gbsg/gbsg.pub \
    -o usb/model.sealed coord/r0.fla
rm usb/*.fls.sealed

# 3. Rounds.
r=0
while [ "$r" -lt "$rounds" ]; do
	for site in rotterdam gbsg; do
		fl-train --trust "$site/trusted" --key "$site/$site.key" \
		    --sign "$site/$site.key" -d "$site/data.csv" -e 2 \
		    usb/model.sealed |
		    fl-pack seal --to coord/coord.pub -o "usb/$site.upd.sealed"
	done
	fl-aggregate --trust coord/trusted --key coord/coord.key \
	    --sign coord/coord.key -m "coord/r$r.fla" \
	    -o "coord/r$((r + 1)).fla" usb/*.upd.sealed
	rm usb/*.upd.sealed
	r=$((r + 1))
	fl-pack seal --to rotterdam/rotterdam.pub --to gbsg/gbsg.pub \
	    -o usb/model.sealed "coord/r$r.fla"
	printf 'round %d: ' "$r"
	fl-eval -d coord/test.csv "coord/r$r.fla"
done

# 4. At a site: open the final model, check who signed it and its lineage.
fl-pack open --key gbsg/gbsg.key -o gbsg/final.fla usb/model.sealed
fl-pack verify --chain --trust gbsg/trusted gbsg/final.fla
fl-pack log gbsg/final.fla

# A stick tampered with on the way is caught before anything is read.
fl-train --trust rotterdam/trusted --key rotterdam/rotterdam.key \
    --sign rotterdam/rotterdam.key -d rotterdam/data.csv usb/model.sealed |
    fl-pack seal --to coord/coord.pub -o usb/late.sealed
size=$(wc -c < usb/late.sealed)
printf 'X' | dd of=usb/late.sealed bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
if fl-aggregate --trust coord/trusted --key coord/coord.key \
    -m "coord/r$r.fla" -o coord/bad.fla usb/late.sealed 2>coord/err; then
	echo "sneakernet: a tampered update was accepted" >&2
	exit 1
else
	echo "tampered update refused (exit $?): $(cat coord/err)"
fi
