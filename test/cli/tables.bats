#!/usr/bin/env bats
# Tables the examples print: lined up on a terminal, tab-separated when
# piped (examples/lib.sh's fl_table; fl-simulate lines up its own).

bats_require_minimum_version 1.5.0
load helper

# A script that sources lib.sh as an installed example would (FL_DATA set,
# no checkout around it) and prints a table through fl_table.
table_script() {
	printf '%s\n' '. "$LIB"' \
	    'fl_table printf "model\tauc\nfederated (all)\t0.7\nsite1 alone\t0.65\nnote\n"' \
	    >ex.sh
}

@test "tables: fl_table lines up on a terminal, keeps tabs when piped" {
	command -v script >/dev/null || skip "script(1) not installed"
	table_script
	FL_DATA=$DATA LIB=$TOP/examples/lib.sh sh ex.sh >piped.txt
	[ "$(sed -n 2p piped.txt)" = "$(printf 'federated (all)\t0.7')" ]
	FL_DATA=$DATA LIB=$TOP/examples/lib.sh script -qec "sh ex.sh" \
	    /dev/null | tr -d '\r' >tty.txt
	[ "$(cat tty.txt)" = "$(printf '%s\n' 'model            auc' \
	    'federated (all)  0.7' 'site1 alone      0.65' note)" ]
}

# Each example that prints a tab-separated table (a printf format with a
# tab, outside awk) prints it through fl_table, or is fl-simulate's.
@test "tables: every example prints its tables through fl_table" {
	local f fn bad=0
	for f in "$TOP"/examples/*.sh "$TOP"/examples/*/*.sh; do
		case $f in */lib.sh) continue ;; esac
		grep -v awk "$f" | grep -q "printf '[^']*\\\\t" || continue
		if ! grep -q '^[^#]*fl_table [a-z_]' "$f"; then
			echo "$f: prints a table, not through fl_table" >&2
			bad=1
		fi
		for fn in $(sed -n 's/^[^#]*fl_table \([a-z_]*\).*/\1/p' "$f"); do
			grep -q "^$fn() {" "$f" ||
			    { echo "$f: no function $fn" >&2; bad=1; }
		done
	done
	[ "$bad" -eq 0 ]
}
