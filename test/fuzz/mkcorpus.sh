#!/bin/sh
# mkcorpus.sh: regenerate the seed corpora in test/fuzz/corpus/TARGET/ from
# the fixtures, the example data and the built tools (make first):
#   test/fuzz/mkcorpus.sh [BUILD]     (default: build)
# The output is deterministic (SOURCE_DATE_EPOCH is unset, archives are
# byte-identical), except the sealed seeds, whose ephemeral keys are new
# each time.  Regression inputs
# (regress-*) found by fuzzing are kept by hand and never removed here.
set -eu
cd "$(dirname "$0")/../.."
bin=${1:-build}/bin
out=test/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset SOURCE_DATE_EPOCH
export LC_ALL=C

for t in archive manifest safetensors csv number seal; do
	mkdir -p "$out/$t"
	find "$out/$t" -type f ! -name 'regress-*' -exec rm -f {} +
done

# CSVs: the first 20 lines of each example data set, plus odd cases.
for f in examples/data/*.csv; do
	n=$(basename "$f" .csv)
	head -n 20 "$f" >"$out/csv/$n.csv"
done
printf 'a,"b",c\r\n1,NA,\r\n"2",3.5e-3,-inf\r\n' >"$out/csv/quoted.csv"
printf 'x\n1\n2\n' >"$out/csv/one-column.csv"
printf 'a,b\n1\n' >"$out/csv/short-row.csv"
printf 'a,b\n1,2' >"$out/csv/no-final-newline.csv"

# Number cells: each side of the fast path's limits, and non-numbers.
i=0
for c in 0 -0 0.5 -.5e-1 5. 3.14159 1e22 1e23 9007199254740992 \
    9007199254740993 123456789012345678901234 4.9e-324 1e-400 1e400 \
    1.50000000000000000000 0.000001 -123.456e-7 1e 1.2.3 0x1p3; do
	i=$((i + 1))
	printf '%s' "$c" >"$out/number/cell$i"
done

# Model and update archives.
cp test/fixtures/model.fla "$out/archive/model.fla"
"$bin/fl-pack" extract -C "$tmp/m" test/fixtures/model.fla
"$bin/fl-pack" create -C "$tmp/m" --compress gzip -o "$out/archive/model.fla.gz"
"$bin/fl-pack" create -C "$tmp/m" --compress zstd -o "$out/archive/model.fla.zst"
cat test/fixtures/model.fla test/fixtures/model.fla >"$out/archive/two.fla"

# A stats archive, and an update trained from a small data set.
head -n 20 examples/data/pbc3.csv | cut -d, -f4,5,6,9,10,17 >"$tmp/d.csv"
"$bin/fl-stats" --data "$tmp/d.csv" -o "$out/archive/stats.fla"
"$bin/fl-init" -m logreg -l death -f age,alb -o "$tmp/init.fla"
"$bin/fl-train" -q -d "$tmp/d.csv" --site a -o "$out/archive/update.fla" \
    "$tmp/init.fla"
cat "$out/archive/update.fla" "$out/archive/stats.fla" \
    >"$out/archive/update-stats.fla"

# Metrics archives: binary, and survival with a horizon.
"$bin/fl-eval" --emit --site a -d "$tmp/d.csv" "$tmp/init.fla" |
    gzip -9n >"$out/archive/metrics.fla.gz"
head -n 20 examples/data/pbc3.csv >"$tmp/s.csv"
"$bin/fl-init" -m cox --time days --event event -f age,alb --grid 4 \
    --tmax 3000 -o "$tmp/cox.fla"
"$bin/fl-eval" --emit --site a --horizon 1000 -d "$tmp/s.csv" \
    -o "$out/archive/metrics-survival.fla" "$tmp/cox.fla"

# Manifests and safetensors members of each archive.
for a in model stats update; do
	rm -rf "$tmp/x"
	"$bin/fl-pack" extract -C "$tmp/x" "$out/archive/$a.fla"
	cp "$tmp/x/manifest.json" "$out/manifest/$a.json"
	cp "$tmp/x/tensors.safetensors" "$out/safetensors/$a.safetensors"
done
"$bin/fl-init" -m mlp:3,2 -l death -f age,alb,bili -o "$tmp/mlp.fla"
"$bin/fl-init" -m softmax -t multiclass --classes 3 -l stage -f age,alb \
    -o "$tmp/softmax.fla"
for a in mlp softmax; do
	rm -rf "$tmp/x"
	"$bin/fl-pack" extract -C "$tmp/x" "$tmp/$a.fla"
	cp "$tmp/x/manifest.json" "$out/manifest/$a.json"
	cp "$tmp/x/tensors.safetensors" "$out/safetensors/$a.safetensors"
done

# Sealed files: the fixed fuzz key (test/fuzz/seal.key, a test key that
# protects nothing) is made once and kept; seeds are sealed to it, one to
# another key, and one cut short.  sealtool stands in for fl-pack seal.
if [ -f lib/trust/seal.c ]; then
	# shellcheck disable=SC2046 # pkg-config's flags are words
	${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -Ilib \
	    $(pkg-config --cflags jansson) -o "$tmp/sealtool" \
	    test/fuzz/sealtool.c "${1:-build}/libfl.a" \
	    $(pkg-config --libs jansson libarchive libcrypto) -lopenblas -lm
	[ -f test/fuzz/seal.key ] || "$tmp/sealtool" keygen test/fuzz/seal
	"$tmp/sealtool" keygen "$tmp/other"
	s=$tmp/sealtool
	$s seal test/fuzz/seal.pub <test/fixtures/model.fla >"$out/seal/model.sealed"
	$s seal test/fuzz/seal.pub <"$out/archive/two.fla" >"$out/seal/two.sealed"
	$s seal test/fuzz/seal.pub </dev/null >"$out/seal/empty.sealed"
	$s seal "$tmp/other.pub" <test/fixtures/model.fla >"$out/seal/other-key.sealed"
	head -c 300 "$out/seal/model.sealed" >"$out/seal/cut.sealed"
	printf 'flseal1\n' >"$out/seal/magic-only"
	# The fixed key must open the seeds sealed to it.
	install -m 600 test/fuzz/seal.key "$tmp/seal.key"
	$s open "$tmp/seal.key" <"$out/seal/model.sealed" |
	    cmp - test/fixtures/model.fla
fi
