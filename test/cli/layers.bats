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
	bad=$(cd "$TOP" && awk -v layers="$LAYERS" '
	BEGIN { n = split(layers, a, " "); for (i = 1; i <= n; i++) r[a[i]] = i }
	FNR == 1 { split(FILENAME, p, "/"); from = p[2] }
	/^#include "fl\.h"/ { printf " %s->fl.h", FILENAME }
	/^#include "[a-z]*\// {
		to = $2; sub(/^"/, "", to); sub(/\/.*/, "", to)
		if (!(to in r) || r[to] > r[from])
			printf " %s->%s", FILENAME, to
	}' lib/*/*.[ch])
	[ -z "$bad" ] || { echo "upward includes:$bad"; false; }
}

# One nm per object and one awk over all: the defined fl_ symbols with
# their layers, then each object's undefined ones against them.
@test "layers: no object calls into a layer above its own" {
	local o
	[ -n "$(ls "$BUILD"/lib/*/*.o)" ]
	bad=$(for o in "$BUILD"/lib/*/*.o; do
		nm "$o" | awk -v l="$(basename "$(dirname "$o")")" \
		    -v o="$(basename "$o")" '
		$1 == "U" && $2 ~ /^fl_/ { print "U", $2, l, o }
		$2 ~ /[TDRB]/ && $3 ~ /^fl_/ { print "D", $3, l }'
	done | awk -v layers="$LAYERS" '
	BEGIN { n = split(layers, a, " "); for (i = 1; i <= n; i++) r[a[i]] = i }
	$1 == "D" { def[$2] = $3; next }
	{ u[NR] = $2 " " $3 " " $4 }
	END { for (k in u) { split(u[k], f, " ")
		if ((f[1] in def) && r[def[f[1]]] > r[f[2]])
			printf " %s:%s(%s)", f[3], f[1], def[f[1]] } }')
	[ -z "$bad" ] || { echo "upward calls:$bad"; false; }
}

@test "layers: the library neither exits nor writes to stderr" {
	run grep -nE '\b(exit|_exit|abort)\(|stderr|\bprintf\(' "$TOP"/lib/*/*.c
	[ -z "$output" ]
}
