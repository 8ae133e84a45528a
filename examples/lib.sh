# examples/lib.sh: the preamble every example shares, sourced (not run)
# after the example has checked its own arguments:
#	. "$(dirname "$0")/lib.sh"		(an example in examples/)
#	. "$(dirname "$0")/../lib.sh"		(one in a folder below it)
# In a source checkout it builds the tools (test/deps, then make) and puts
# them first in PATH; installed elsewhere, it uses the fl-* tools in PATH.
# It sets:
#	examples  this folder (the one holding lib.sh and data/)
#	data      the bundled data: examples/data, else $FL_DATA
#	work      $FL_WORK (made if need be, and kept), else a temporary
#	          folder removed on exit
#	seed      $FL_SEED, default 1
# and changes no directory.  It defines fl_table (below).
# shellcheck shell=sh

examples=$(cd "$(dirname "$0")" && pwd)
[ -f "$examples/lib.sh" ] || examples=$(dirname "$examples")

# Use the tools from this checkout, building them first if need be.
fl_top=$(dirname "$examples")
if [ -x "$fl_top/test/deps" ] && [ -f "$fl_top/Makefile" ]; then
	"$fl_top/test/deps"
	make -s -C "$fl_top" all >&2
	PATH=$fl_top/build/bin:$PATH
fi

data=$examples/data
[ -d "$data" ] || data=${FL_DATA:?set FL_DATA to the bundled data folder}

if [ -n "${FL_WORK:-}" ]; then
	work=$FL_WORK
	mkdir -p "$work"
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi

# shellcheck disable=SC2034  # used by the examples that source this
seed=${FL_SEED:-1}

# fl_table COMMAND [ARG...]: run COMMAND, which prints a tab-separated
# table.  On a terminal the columns line up (padded with blanks by awk),
# once the table is complete; otherwise the bytes pass through untouched,
# as the tests and scripts reading them expect.  A line with one field
# (a note under the table) is printed as it is.
fl_table() {
	if [ -t 1 ]; then
		fl_table_tmp=$(mktemp)
		"$@" >"$fl_table_tmp"
		awk -F'\t' '
		{ line[NR] = $0; if (NF > 1) for (i = 1; i < NF; i++)
			if (length($i) > w[i]) w[i] = length($i) }
		END { for (r = 1; r <= NR; r++) {
			n = split(line[r], f, "\t"); s = ""
			for (i = 1; i < n; i++)
				s = s sprintf("%-" w[i] "s  ", f[i])
			print s f[n] } }' "$fl_table_tmp"
		rm -f "$fl_table_tmp"
	else
		"$@"
	fi
}
