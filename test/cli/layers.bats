#!/usr/bin/env bats
# layers.bats: lib/ is cut into layer folders whose includes and calls
# flow one way (README.md, "Source tour"): a file may use its own layer
# and the layers below it, never one above.

load helper
bats_require_minimum_version 1.5.0

LAYERS="core format trust model compute privacy train stats federation"

# rank LAYER: its place in $LAYERS, from 1.
rank() {
	local i=1 l
	for l in $LAYERS; do
		[ "$l" = "$1" ] && { echo "$i"; return; }
		i=$((i + 1))
	done
	echo 0
}

@test "layers: every lib/ file lies in a layer folder" {
	run sh -c "cd '$TOP/lib' && ls -p | grep -v / | grep -vx fl.h"
	[ -z "$output" ]
	for d in "$TOP"/lib/*/; do
		d=$(basename "$d")
		[ "$(rank "$d")" -gt 0 ]
		[ -f "$TOP/lib/$d/$d.h" ]
	done
}

@test "layers: includes flow downwards, and no lib/ file includes fl.h" {
	bad=
	for f in "$TOP"/lib/*/*.[ch]; do
		from=$(basename "$(dirname "$f")")
		for to in $(sed -n 's/^#include "\([a-z]*\)\/.*/\1/p' "$f"); do
			[ "$(rank "$to")" -le "$(rank "$from")" ] ||
			    bad="$bad ${f#"$TOP"/}->$to"
		done
		grep -q '^#include "fl.h"' "$f" && bad="$bad ${f#"$TOP"/}->fl.h"
	done
	[ -z "$bad" ] || { echo "upward includes:$bad"; false; }
}

@test "layers: no object calls into a layer above its own" {
	bad=
	defs=$(for o in "$BUILD"/lib/*/*.o; do
		l=$(basename "$(dirname "$o")")
		nm --defined-only "$o" | awk -v l="$l" '$2 ~ /[TDRB]/ && $3 ~ /^fl_/ { print $3, l }'
	done)
	for o in "$BUILD"/lib/*/*.o; do
		from=$(basename "$(dirname "$o")")
		for s in $(nm -u "$o" | awk '$2 ~ /^fl_/ { print $2 }'); do
			to=$(echo "$defs" | awk -v s="$s" '$1 == s { print $2; exit }')
			[ -n "$to" ] || continue
			[ "$(rank "$to")" -le "$(rank "$from")" ] ||
			    bad="$bad $(basename "$o"):$s($to)"
		done
	done
	[ -z "$bad" ] || { echo "upward calls:$bad"; false; }
}

@test "layers: the library neither exits nor writes to stderr" {
	run grep -nE '\b(exit|_exit|abort)\(|stderr|\bprintf\(' "$TOP"/lib/*/*.c
	[ -z "$output" ]
}
