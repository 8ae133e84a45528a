#!/bin/sh
# bench/tree.sh: called by bench/run (which sets work, reps, PATH and
# the best and rss helpers).  fl-aggregate of 8 updates of a model of
# about 16.8M parameters against cat of the same bytes; 60 updates aggregated as a 3-way tree of
# partials against flat.  Every ratio is to a reference of the same run.
# shellcheck shell=sh disable=SC2154

# --- 8 updates of ~16.8M parameters ------------------------------------------
feats=$(head -n 1 "$work/train-64-32.csv" | cut -d, -f1-32)
fl-init -m mlp:4096,4096 -l y -f "$feats" -o "$work/huge.fla"
params=$(fl-pack manifest "$work/huge.fla" | tr -d ' \n' |
    sed -n 's/.*"params":\([0-9]*\).*/\1/p')
fl-train -d "$work/train-64-32.csv" -b 64 -o "$work/h0.upd" "$work/huge.fla"
# Sites with the same delta under other names (one update per site).
many() {	# many SRC DIR COUNT
	rm -rf "$2" "$work/ux" && mkdir -p "$2" "$work/ux"
	fl-pack extract -C "$work/ux" "$1"
	cp "$work/ux/manifest.json" "$work/ux.json"
	i=1
	while [ "$i" -le "$3" ]; do
		sed "s/\"site\": *\"[^\"]*\"/\"site\":\"s$i\"/" "$work/ux.json" \
		    > "$work/ux/manifest.json"
		fl-pack create -C "$work/ux" -o "$2/u$(printf %02d "$i").upd"
		i=$((i + 1))
	done
	rm -rf "$work/ux" "$work/ux.json"
}
many "$work/h0.upd" "$work/h8" 8
set -- "$work"/h8/*.upd
bytes=$(cat "$@" | wc -c)
# cpu CMD...: CPU seconds (user + system) of one run.
cpu() {
	"$work/maxrss" "$@" 2>"$work/rss.txt" >/dev/null
	sed -n 's/.*cpu=\([0-9.]*\).*/\1/p' "$work/rss.txt" | tail -n 1
}
tcat=$(best cat "$@")
ccat=$(cpu cat "$@")
# The floor of hashing every byte once, on one core, with the library
# fl uses (coreutils' sha256sum is several times slower here).
tsha=0
command -v openssl >/dev/null && tsha=$(best openssl dgst -sha256 "$@")
tagg=$(best fl-aggregate -m "$work/huge.fla" -o "$work/next.fla" "$@")
cagg=$(cpu fl-aggregate -m "$work/huge.fla" -o "$work/next.fla" "$@")
r8=$(rss fl-aggregate -m "$work/huge.fla" -o "$work/next.fla" "$@")
r2=$(rss fl-aggregate -m "$work/huge.fla" -o "$work/next.fla" "$1" "$2")
rs=$(sh -c 'cat "$@" | "$0" fl-aggregate -o "$1.out"' "$work/maxrss" "$work/huge.fla" "$@" 2>&1 >/dev/null |
    sed -n 's/.*maxrss=\([0-9]*\).*/\1/p' | tail -n 1)
rm -f "$work/huge.fla.out"
printf 'fl-aggregate of 8 updates of %s parameters (%s bytes)\n' "$params" "$bytes"
awk -v t="$tagg" -v c="$tcat" -v h="$tsha" -v b="$bytes" -v r="$r8" -v r2="$r2" -v rs="$rs" \
    -v p="$params" -v cc="$ccat" -v ca="$cagg" 'BEGIN {
	printf "  cat of the same bytes:       %.3f s (%.0f MB/s), %.2f s CPU\n", c, b / c / 1e6, cc
	if (h > 0) printf "  openssl dgst -sha256 of them: %.3f s, %.1f x cat time (hashing every byte on one core)\n", h, h / c
	printf "  fl-aggregate:                %.3f s (%.0f MB/s), %.1f x cat time, %.2f s CPU\n", t, b / t / 1e6, t / c, ca
	m = p * 4 / 1048576
	printf "  peak RSS %.1f MiB = %.2f x the model (%.1f MiB of float32); goal 2 x + 48 MiB = %.1f MiB\n", r / 1024, r / 1024 / m, m, 2 * m + 48
	printf "  peak RSS of 2 updates %.1f MiB; model and 8 updates on one stdin stream %.1f MiB\n", r2 / 1024, rs / 1024 }'
rm -rf "$work/h8" "$work/h0.upd" "$work/huge.fla"

# --- 60 updates: a 3-way tree of partials against flat ------------------------
many "$work/u0.upd" "$work/u60" 60
set -- "$work"/u60/*.upd
bytes=$(cat "$@" | wc -c)
tcat=$(best cat "$@")
tflat=$(best fl-aggregate -m "$work/big.fla" -o "$work/flat.fla" "$@")
rflat=$(rss fl-aggregate -m "$work/big.fla" -o "$work/flat.fla" "$@")
mkdir -p "$work/parts"
cat > "$work/tree.mk" <<MK
P = $work/parts
all: $work/tree.fla
\$(P)/a.part: ; fl-aggregate --partial -m $work/big.fla -o \$@ $(echo "$work"/u60/u[0-1]*.upd "$work"/u60/u20.upd)
\$(P)/b.part: ; fl-aggregate --partial -m $work/big.fla -o \$@ $(echo "$work"/u60/u2[1-9].upd "$work"/u60/u3*.upd "$work"/u60/u40.upd)
\$(P)/c.part: ; fl-aggregate --partial -m $work/big.fla -o \$@ $(echo "$work"/u60/u4[1-9].upd "$work"/u60/u5*.upd "$work"/u60/u60.upd)
$work/tree.fla: \$(P)/a.part \$(P)/b.part \$(P)/c.part
	fl-aggregate -m $work/big.fla -o \$@ \$^
MK
ttree=$(best sh -c "rm -f $work/parts/*.part; make -s -j 2 -f $work/tree.mk")
rroot=$(rss fl-aggregate -m "$work/big.fla" -o "$work/tree.fla" "$work"/parts/*.part)
same=no
rm -rf "$work/tf" "$work/tt" && mkdir "$work/tf" "$work/tt"
fl-pack extract -C "$work/tf" "$work/flat.fla"
fl-pack extract -C "$work/tt" "$work/tree.fla"
cmp -s "$work/tf/tensors.safetensors" "$work/tt/tensors.safetensors" && same=yes
printf 'fl-aggregate of 60 updates of %s parameters (%s bytes), flat and as a 3-way tree (make -j 2)\n' \
    "$(fl-pack manifest "$work/big.fla" | tr -d ' \n' | sed -n 's/.*"params":\([0-9]*\).*/\1/p')" "$bytes"
awk -v c="$tcat" -v f="$tflat" -v t="$ttree" -v rf="$rflat" -v rr="$rroot" -v s="$same" 'BEGIN {
	printf "  cat of the same bytes: %.3f s\n", c
	printf "  flat:                  %.3f s, %.1f x cat, peak RSS %.1f MiB\n", f, f / c, rf / 1024
	printf "  tree (3 partials, root): %.3f s, %.1f x cat, %.2f x flat; root peak RSS %.1f MiB\n", t, t / c, t / f, rr / 1024
	printf "  tree tensors byte-identical to flat: %s\n", s }'
rm -rf "$work/u60" "$work/parts" "$work/tf" "$work/tt" "$work/tree.mk"
echo
