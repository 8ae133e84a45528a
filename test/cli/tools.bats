#!/usr/bin/env bats
# tools.bats: one loop over every tool in $BUILD/bin.  Each tool answers
# --help and -h on stdout with an empty stderr, prints its version, exits 2
# on an unknown option, has a man page that mandoc finds clean and groff
# renders without a warning, and every long option its --help shows is in
# both completions and its man page.

bats_require_minimum_version 1.5.0
load helper

# The tools built, one name a line; fails when there are none.
tools() {
	local t found=0
	for t in "$BUILD"/bin/fl-*; do
		[ -x "$t" ] || continue
		basename "$t"
		found=1
	done
	[ "$found" -eq 1 ]
}

# Record one failure; the test fails at its end if there was any.
fails=0
note_fail() {
	echo "$*" >&2
	fails=$((fails + 1))
}

# Lint one man page: mandoc -Tlint -Wwarning exits 0 and prints nothing.
lint() {
	local out
	if ! out=$(mandoc -Tlint -Wwarning "$1" 2>&1) || [ -n "$out" ]; then
		note_fail "$1: mandoc -Tlint: $out"
	fi
}

# The verbs of a tool that has them (fl-pack), one a line: the first word
# of each line of the "Verbs:" paragraph of its --help.
verbs() {
	"$1" --help | awk '/^Verbs:/ { on = 1; next }
	    on && /^$/ { exit } on { print $1 }'
}

# The long options in the "Options:" table of a --help output (made from
# the tool's option table, cmd/cli-table.c), one a line.
option_rows() {
	awk '/^Options:$/ { on = 1; next } on && /^$/ { exit }
	    on && /^  (-[a-zA-Z0-9], |    )--/ { print }' |
	    sed -E 's/^  (-[a-zA-Z0-9], |    )(--[a-z0-9-]+).*/\2/'
}

# The long options in a tool's --help output and its verbs', one a line.
long_options() {
	local v
	{
		"$1" --help
		for v in $(verbs "$1"); do
			"$1" "$v" --help
		done
	} | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u
}

@test "there are tools to test" {
	run tools
	[ "$status" -eq 0 ]
}

@test "every tool: --help and -h print the usage on stdout, exit 0" {
	local t opt
	for t in $(tools); do
		for opt in --help -h; do
			run --separate-stderr "$t" "$opt"
			[ "$status" -eq 0 ] || note_fail "$t $opt: exit $status"
			[ -z "$stderr" ] || note_fail "$t $opt: stderr: $stderr"
			case $output in
			"usage: $t"*) ;;
			*) note_fail "$t $opt: stdout does not start 'usage: $t'" ;;
			esac
		done
	done
	[ "$fails" -eq 0 ]
}

@test "every verb: TOOL VERB --help prints its usage on stdout, exit 0" {
	local t v
	for t in $(tools); do
		for v in $(verbs "$t"); do
			run --separate-stderr "$t" "$v" --help
			[ "$status" -eq 0 ] || note_fail "$t $v --help: exit $status"
			[ -z "$stderr" ] || note_fail "$t $v --help: stderr: $stderr"
			case $output in
			"usage: $t $v"*) ;;
			*) note_fail "$t $v --help: stdout does not start" \
			    "'usage: $t $v'" ;;
			esac
		done
	done
	[ "$fails" -eq 0 ]
}

@test "every tool and verb: --help has an Options: table with --help" {
	local t v rows
	for t in $(tools); do
		rows=$("$t" --help | option_rows | tr '\n' ' ')
		case " $rows" in
		*" --help --version "*) ;;
		*) note_fail "$t --help: no --help and --version rows: $rows" ;;
		esac
		for v in $(verbs "$t"); do
			rows=$("$t" "$v" --help | option_rows | tr '\n' ' ')
			case " $rows" in
			*" --help "*) ;;
			*) note_fail "$t $v --help: no --help row: $rows" ;;
			esac
		done
	done
	[ "$fails" -eq 0 ]
}

@test "every tool: --version prints one line, exit 0" {
	local t
	for t in $(tools); do
		run --separate-stderr "$t" --version
		[ "$status" -eq 0 ] || note_fail "$t --version: exit $status"
		[ -z "$stderr" ] || note_fail "$t --version: stderr: $stderr"
		[ "${#lines[@]}" -eq 1 ] ||
		    note_fail "$t --version: ${#lines[@]} lines: $output"
		case $output in
		"$t 0.1.0 ("*) ;;
		*) note_fail "$t --version: '$output'" ;;
		esac
	done
	[ "$fails" -eq 0 ]
}

# Start-up (Makefile, STATIC_DEPS): with the static archives installed,
# no tool asks the dynamic loader for libarchive (and through it libxml2,
# ICU, libstdc++), libcrypto, Jansson or OpenBLAS.
@test "every tool: libarchive, libcrypto, Jansson, OpenBLAS linked static" {
	local t l a
	command -v readelf >/dev/null || skip "readelf not installed"
	for a in archive crypto jansson openblas; do
		l=$(${CC:-cc} -print-file-name="lib$a.a")
		[ -f "$l" ] || skip "no lib$a.a: the tools link it shared"
	done
	for t in $(tools); do
		l=$(readelf -d "$BUILD/bin/$t" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
		[ -n "$l" ] || note_fail "$t: readelf found no shared library"
		for a in libarchive libcrypto libjansson libopenblas libxml2 \
		    libicu libstdc++ libgfortran; do
			case " $(echo $l) " in
			*" $a"*) note_fail "$t loads $a" ;;
			esac
		done
	done
	[ "$fails" -eq 0 ]
}

@test "every tool: an unknown option exits 2 and points to --help" {
	local t
	for t in $(tools); do
		run --separate-stderr "$t" --no-such-option
		[ "$status" -eq 2 ] || note_fail "$t --no-such-option: exit $status"
		[ -z "$output" ] || note_fail "$t --no-such-option: stdout: $output"
		case $stderr in
		*"Try '$t --help'."*) ;;
		*) note_fail "$t --no-such-option: stderr: $stderr" ;;
		esac
	done
	[ "$fails" -eq 0 ]
}

@test "every tool has a man page" {
	local t
	for t in $(tools); do
		[ -f "$TOP/man/$t.1" ] || note_fail "$t: no man/$t.1"
	done
	[ "$fails" -eq 0 ]
}

# A test whose tool is missing skips: it never reports ok unchecked.
@test "every tool: a man page that mandoc finds clean" {
	command -v mandoc >/dev/null || skip "mandoc not installed"
	local t
	for t in $(tools); do
		[ -f "$TOP/man/$t.1" ] && lint "$TOP/man/$t.1"
	done
	[ "$fails" -eq 0 ]
}

# man(1) on most Linux systems is groff: every page renders without a
# warning (an author named "El" or "Li" is a macro call unless escaped).
@test "every man page renders with no groff warning" {
	command -v groff >/dev/null || skip "groff not installed"
	local m out
	for m in "$TOP"/man/*.[1-9]; do
		out=$(groff -mandoc -ww -z "$m" 2>&1)
		[ -z "$out" ] || note_fail "$m: groff -mandoc -ww: $out"
	done
	[ "$fails" -eq 0 ]
}

# A merge once glued ".It Fl v" to the end of the line before it, in four
# pages: -v vanished from their option lists and no lint saw it.
@test "man pages: no macro glued to the end of a text line" {
	run grep -n '[^.]\.\.[A-Z][a-z] ' "$TOP"/man/*.[157]
	[ "$status" -eq 1 ] || { echo "$output" >&2; false; }
}

@test "man/fl.7 and man/fl-archive.5 are clean when present" {
	command -v mandoc >/dev/null || skip "mandoc not installed"
	local m
	for m in "$TOP/man/fl.7" "$TOP/man/fl-archive.5"; do
		[ -f "$m" ] && lint "$m"
	done
	[ "$fails" -eq 0 ]
}

# The completions offer only what the tools take: every value of every
# list in completions/fl.bash's _fl_values, given to its tool and option,
# is not refused (exit 2 naming the value), while a bogus value is.  A
# value ending in ':' is a prefix (mlp:) and gets a width.  fl-init needs
# a label and a stats archive before it reads its --model.
@test "every value the bash completion offers is one its tool takes" {
	skip_under_asan "a completion check"
	local pair tool opt v n=0
	printf 'x,y\n1,0\n2,1\n3,0\n' >t.csv
	fl-stats -q --data t.csv -o t.fls
	# shellcheck source=/dev/null
	. "$TOP/completions/fl.bash"
	probe() {	# probe TOOL OPT VALUE: 0 if the tool refuses VALUE
		local argv
		case $1 in
		fl-pack-*) argv=(fl-pack "${1#fl-pack-}") ;;
		*) argv=("$1") ;;
		esac
		[ "$1" = fl-init ] && argv+=(-l y -s t.fls -o o.fla)
		run --separate-stderr "${argv[@]}" "$2" "$3" </dev/null
		[ "$status" -eq 2 ] && [[ ${stderr_lines[0]:-} == *"'$3'"* ]]
	}
	for pair in $(sed -n 's/^	\(fl-[a-z-]*:[^)]*\))$/\1/p' \
	    "$TOP/completions/fl.bash" | tr '|' ' '); do
		tool=${pair%%:*} opt=${pair#*:}
		probe "$tool" "$opt" bogus-value ||
		    note_fail "$tool $opt: bogus-value not refused"
		for v in $(_fl_values "$tool" "$opt"); do
			case $v in *:) v=${v}8 ;; esac
			n=$((n + 1))
			! probe "$tool" "$opt" "$v" ||
			    note_fail "$tool $opt $v: refused: ${stderr_lines[0]}"
		done
	done
	[ "$n" -ge 20 ] || note_fail "only $n values found in fl.bash"
	[ "$fails" -eq 0 ]
}

# Exit 3 comes from every trust check a tool makes, not only an id that
# does not match: its man page's EXIT STATUS says so.  A tool with --key
# opens sealed input and reads a secret key; one with --trust checks
# signatures.
@test "every tool's EXIT STATUS names each trust failure under exit 3" {
	local t three w
	for t in $(tools); do
		[ -f "$TOP/man/$t.1" ] || continue
		three=$(awk '/^\.Sh EXIT STATUS/ { on = 1 } on && /^\.It 3/ { p = 1 }
		    p && /^\.El/ { exit } p' "$TOP/man/$t.1" | tr '\n' ' ')
		if long_options "$t" | grep -qx -- --key ||
		    [ "$t" = fl-pack ]; then
			[[ $three == *sealed*"not for this key"* ||
			    $three == *"not sealed for this key"* ]] ||
			    note_fail "$t(1): exit 3 does not name a sealed file not for the key"
			[[ $three == *"readable by others"* ]] ||
			    note_fail "$t(1): exit 3 does not name a readable secret key"
		fi
		if long_options "$t" | grep -qx -- --trust ||
		    [ "$t" = fl-pack ]; then
			for w in "not signed" "signature does not" "role"; do
				[[ $three == *"$w"* ]] ||
				    note_fail "$t(1): exit 3 does not name '$w'"
			done
		fi
	done
	[ "$fails" -eq 0 ]
}

@test "every long option is in the completions and the man page" {
	skip_under_asan "a documentation check"
	local t out bash zsh
	bash=$TOP/completions/fl.bash
	zsh=$TOP/completions/_fl
	[ -f "$bash" ] || note_fail "no completions/fl.bash"
	[ -f "$zsh" ] || note_fail "no completions/_fl"
	for t in $(tools); do
		grep -q -- "$t" "$bash" || note_fail "$t: not in completions/fl.bash"
		grep -q -- "$t" "$zsh" || note_fail "$t: not in completions/_fl"
		# One awk a tool: each of its long options against both
		# completions and, where there is one, its man page; mdoc
		# writes --name as "Fl \-name", "Fl -name" or "Fl Fl name".
		out=$(long_options "$t" | awk -v t="$t" -v bash="$bash" \
		    -v zsh="$zsh" -v man="$TOP/man/$t.1" '
		function slurp(f,   l, s) {
			s = "\n"
			while ((getline l < f) > 0) s = s l "\n"
			close(f)
			return s
		}
		BEGIN { B = slurp(bash); Z = slurp(zsh); M = slurp(man)
			hasman = (M != "\n") }
		{
			name = substr($0, 3)
			opt = "[^a-z0-9-]--" name "([^a-z0-9-]|$)"
			if (B !~ opt) print t " " $0 ": not in completions/fl.bash"
			if (Z !~ opt) print t " " $0 ": not in completions/_fl"
			if (hasman && M !~ ("Fl ([\\\\]?-|Fl )" name "([^a-z0-9-]|$)"))
				print t " " $0 ": not in man/" t ".1"
		}')
		[ -z "$out" ] || note_fail "$out"
	done
	[ "$fails" -eq 0 ]
}
