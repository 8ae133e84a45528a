#!/usr/bin/env bats
# man-examples.bats: every example in the EXAMPLES section of every man
# page (man/*.[157]) runs here, as jq runs its manual's examples, so that
# a documented example cannot rot unnoticed.  When one fails, fix the
# page (or the tool), not this file.
#
# Finding the examples.  Each ".Bd -literal" ... ".Ed" block in a page's
# ".Sh EXAMPLES" section is one example.  The mdoc source is parsed here
# with awk, not the rendered page, because the source is where the
# markers below live and a rendered page cannot tell an example from
# indented prose.  Inside a block the escapes that pages use are turned
# into what man(1) shows: \e is a backslash, \- a hyphen, \& nothing, and
# \(aq \(dq \(ga \(ti \(ha \(rs are ' " ` ~ ^ \.  Any other escape, a
# macro line, or a .Dl line in EXAMPLES is an error that names the page
# and line, so that nothing is run other than what a reader sees; the
# test "examples read as mandoc renders them" checks that claim against
# mandoc -Tascii.
#
# Running them.  Every example runs on its own, in a fresh copy of one
# fixture made once per file (setup_file) with the real tools: the colon
# data as three hospitals (a.csv b.csv c.csv, also named site1.csv
# site2.csv site3.csv), held-out rows (test.csv, and a-test.csv b-test.csv
# c-test.csv per hospital, new.csv without the outcome columns), the
# sites' and pooled statistics, a logistic regression r0.fla ... r4.fla of
# death_5y, a Cox model r5.fla, updates, keys, a signed and sealed update,
# metrics and a small model.fla; fixture() lists them all.  An example
# runs with bash -eu -o pipefail, stdin from /dev/null, HOME an empty
# directory of its own, and these stand-ins:
#   - absolute paths under /media/ and /srv/ (a USB stick, a site's data
#     export) are taken to be under the example's directory, where the
#     fixture has media/usb/ and srv/export/colon.csv;
#   - vi, for which a person would edit a file, is a script that makes
#     the edit without a terminal (adds a "note" to a manifest).
# It must exit 0 within a minute, and each file it names after -o or >
# (plainly, without $ or a glob) must then exist and not be empty.
#
# Transcripts.  A block whose first line starts with "$ " shows a
# session: its "$ " lines (and the lines continuing one that ends in \,
# | or &&) are the commands, the other lines are what they print on
# stdout, all of it: a transcript that shows nothing must print nothing.
# Output is compared with runs of blanks (tabs too) as one space, any
# run of 12 or more hexadecimal digits (key ids, archive ids) matching
# any other, and "..." matching any text.
#
# Not run.  An example that cannot run here (a terminal, a network, cron)
# is marked in the page by a roff comment line, invisible to readers,
# just before its .Bd, that says why:
#   .\" example: not run: needs a terminal
# It is reported as a TAP comment in every run, never dropped silently.
# Prefer a fixture or a small rewrite of the example to this.

load helper
bats_require_minimum_version 1.5.0

# The fixture, in the current directory.  Everything is made by the real
# tools from examples/data/colon.csv; see the comment at the top.
fixture() {
	local i r s
	# Every fifth row is held out; the rest go round the three hospitals.
	awk -F, 'NR == 1 { print > "a.csv"; print > "b.csv"; print > "c.csv"
		print > "test.csv"; next }
	NR % 5 == 0 { print > "test.csv"; next }
	{ print > (substr("abc", NR % 3 + 1, 1) ".csv") }' "$DATA/colon.csv"
	awk -F, 'NR == 1 { print > "a-test.csv"; print > "b-test.csv"
		print > "c-test.csv"; next }
	{ print > (substr("abc", NR % 3 + 1, 1) "-test.csv") }' test.csv
	# Rows to predict: id to node4, no outcome.
	cut -d, -f1-12 test.csv >new.csv
	cp a.csv site1.csv
	cp b.csv site2.csv
	cp c.csv site3.csv
	mkdir -p srv/export media/usb trusted updates home bin
	cp a.csv srv/export/colon.csv

	for i in 1 2 3; do
		fl-stats --data site$i.csv -o site$i.fls
	done
	fl-aggregate -o pooled.fls site1.fls site2.fls site3.fls

	# A logistic regression: r0.fla to r4.fla.  siteN.upd are round 0's
	# updates, updates/siteN.upd round 3's.
	fl-init -m logreg -l death_5y -s pooled.fls \
	    -x id,recur_time,recur,death_time,death -o r0.fla
	for r in 0 1 2 3; do
		for i in 1 2 3; do
			fl-train -q -d site$i.csv -o updates/site$i.upd r$r.fla
			[ "$r" -ne 0 ] || cp updates/site$i.upd site$i.upd
		done
		fl-aggregate -m r$r.fla -o r$((r + 1)).fla updates/site*.upd
	done

	# A Cox model of death after five rounds, with its baseline hazard:
	# r5.fla.
	mkdir cox
	fl-init -m cox --time death_time --event death -s pooled.fls \
	    -x id,recur_time,recur,death_5y -o cox/r0.fla
	for r in 0 1 2 3 4; do
		for s in a b c; do
			fl-train -q -d $s.csv --optimizer adam --lr 0.05 -e 2 \
			    -o cox/$s.upd cox/r$r.fla
		done
		fl-aggregate -m cox/r$r.fla -o cox/r$((r + 1)).fla cox/?.upd
	done
	mv cox/r5.fla r5.fla
	rm -r cox

	# Round 1's metrics at hospitals a and b, pooled: pooled.fla.
	fl-eval --emit --site a -d a.csv -o pa.fla r1.fla
	fl-eval --emit --site b -d b.csv -o pb.fla r1.fla
	fl-aggregate -o pooled.fla pa.fla pb.fla
	rm pa.fla pb.fla

	# Identities, site3's update signed by site3 (update.fla) and sealed
	# to the coordinator on the USB stick, which also carries site3.pub.
	fl-keygen site3
	fl-keygen coordinator
	cp site3.pub trusted/
	cp site3.pub media/usb/
	fl-train -q -d site3.csv --sign site3.key -o update.fla r0.fla
	fl-pack seal --to coordinator.pub -o media/usb/site3.sealed update.fla

	# A masked round of site1 and site3 from which site3 drops: the
	# coordinator's signed recovery request on the USB stick.
	fl-keygen site1
	mkdir -p masked trusted/coordinator
	cp site1.pub site3.pub masked/
	cp coordinator.pub trusted/coordinator/
	fl-train -q -d site1.csv --mask masked --key site1.key \
	    -o masked/site1.upd r0.fla
	fl-aggregate -m r0.fla --sign coordinator.key \
	    --recovery-request media/usb/req.fla masked/site1.upd 2>/dev/null ||
	    true

	# A small model, plain and signed.
	fl-init -m logreg -l death -f age,nodes -o model.fla
	fl-pack sign --key coordinator.key -o signed.fla model.fla

	cat >bin/vi <<-'EOF'
	#!/bin/sh
	# vi for the man page examples: the edit, without a terminal.
	exec sed -i '1a\  "note": "edited by hand",' "$1"
	EOF
	chmod +x bin/vi
}

# Bats runs setup_file with errexit on: a failing step fails the file.
setup_file() {
	mkdir -p "$BATS_FILE_TMPDIR/fixture"
	cd "$BATS_FILE_TMPDIR/fixture"
	fixture
}

# extract PAGE DIR: write each example block of PAGE's EXAMPLES section
# to DIR/NN.txt, as a reader sees it, and DIR/NN.info: its line in PAGE,
# then "run", or "norun" and the reason.  Fails naming PAGE and the line
# on anything it cannot turn into plain text.
extract() {
	mkdir -p "$2" && awk -v dir="$2" '
	function bad(msg) {
		printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
		err = 1
		exit 1
	}
	# The text man(1) shows for one line of a literal block.
	function text(s,   out, i, c, name) {
		out = ""
		while ((i = index(s, "\\")) > 0) {
			out = out substr(s, 1, i - 1)
			c = substr(s, i + 1, 1)
			s = substr(s, i + 2)
			if (c == "e")
				out = out "\\"
			else if (c == "-")
				out = out "-"
			else if (c == "(") {
				name = substr(s, 1, 2)
				s = substr(s, 3)
				if (!(name in glyph))
					bad("escape \\(" name " in an example")
				out = out glyph[name]
			} else if (c != "&")
				bad("escape \\" c " in an example")
		}
		return out s
	}
	BEGIN {
		glyph["aq"] = "\047"; glyph["dq"] = "\""; glyph["ga"] = "`"
		glyph["ti"] = "~"; glyph["ha"] = "^"; glyph["rs"] = "\\"
	}
	/^\.Sh[ \t]/ {
		if (inblock)
			bad(".Sh inside an example block")
		if (reason != "")
			bad("\"not run\" marker before no example")
		ex = ($2 == "EXAMPLES")
		next
	}
	!ex { next }
	inblock && /^\.Ed([ \t]|$)/ {
		inblock = 0
		close(file)
		next
	}
	inblock && /^\.\\"/ { next }
	inblock && /^[.\047]/ { bad("a macro line inside an example block") }
	inblock { print text($0) > file; next }
	/^\.\\" example: not run: / {
		reason = $0
		sub(/^\.\\" example: not run: /, "", reason)
		next
	}
	/^\.\\" *example/ { bad("a marker not of the form \".\\\" example: not run: REASON\"") }
	/^\.Bd[ \t]+-literal([ \t]|$)/ {
		n++
		file = sprintf("%s/%02d.txt", dir, n)
		printf "" > file
		info = sprintf("%s/%02d.info", dir, n)
		if (reason == "")
			print FNR, "run" > info
		else
			print FNR, "norun", reason > info
		close(info)
		reason = ""
		inblock = 1
		next
	}
	/^\.Bd/ { bad("a .Bd other than -literal in EXAMPLES") }
	/^\.Dl/ { bad(".Dl in EXAMPLES: use .Bd -literal, which is run") }
	END {
		if (err)
			exit 1
		if (inblock)
			bad("an example block without .Ed")
		if (reason != "")
			bad("\"not run\" marker before no example")
	}' "$1"
}

# Squeeze blanks, and stand in for ids (12 or more hex digits).
normalise() {
	sed -E 's/[[:space:]]+/ /g; s/^ //; s/ $//; s/[0-9a-f]{12,}/<id>/g'
}

# prepare TXT DIR SH WANT: write the commands of example TXT to SH, with
# /media/ and /srv/ under DIR; if TXT is a "$ " session, write the output
# it shows to WANT.
prepare() {
	awk -v dir="$2" -v sh="$3" -v want="$4" '
	# s with /media/ and /srv/ under dir.
	function under(s,   out, m, k) {
		out = ""
		while (match(s, /(^|[^A-Za-z0-9_.~\/-])\/(media|srv)\//)) {
			m = substr(s, RSTART, RLENGTH)
			k = index(m, "/")
			out = out substr(s, 1, RSTART - 1) substr(m, 1, k - 1) \
			    dir substr(m, k)
			s = substr(s, RSTART + RLENGTH)
		}
		return out s
	}
	NR == 1 {
		session = /^\$ /
		printf "" > sh
		if (session)
			printf "" > want
	}
	session && !more && !/^\$ / { print > want; next }
	{
		line = (session && !more) ? substr($0, 3) : $0
		more = session && line ~ /(\\|\||&&)[ \t]*$/
		print under(line) > sh
	}' "$1"
}

# same EXPECTED ACTUAL: the output matches the transcript (both
# normalised; "..." in EXPECTED matches any text).
same() {
	awk '
	function like(a, e,   n, p, i, k) {
		n = split(e, p, /\.\.\./)
		if (n == 1)
			return a == e
		if (substr(a, 1, length(p[1])) != p[1])
			return 0
		a = substr(a, length(p[1]) + 1)
		for (i = 2; i < n; i++) {
			if ((k = index(a, p[i])) == 0)
				return 0
			a = substr(a, k + length(p[i]))
		}
		return length(a) >= length(p[n]) &&
		    substr(a, length(a) - length(p[n]) + 1) == p[n]
	}
	NR == FNR { want[++n] = $0; next }
	{ got[++m] = $0 }
	END {
		if (n != m)
			exit 1
		for (i = 1; i <= n; i++)
			if (!like(got[i], want[i]))
				exit 1
	}' <(normalise <"$1") <(normalise <"$2")
}

# outputs SH HOME: the files that script SH names after -o or >,
# plainly (no $, no glob, not in /dev), one a line, with ~ as HOME.
outputs() {
	awk -v home="$2" '{
		s = $0
		while (match(s, /(^|[ \t])(-o|>)[ \t]*[^ \t|;&<>()]+/)) {
			f = substr(s, RSTART, RLENGTH)
			s = substr(s, RSTART + RLENGTH)
			sub(/^[ \t]*(-o|>)[ \t]*/, "", f)
			if (f ~ /[][$*?]/ || f ~ /^\/dev\//)
				continue
			if (substr(f, 1, 2) == "~/")
				f = home substr(f, 2)
			print f
		}
	}' "$1"
}

# run_example PAGE N LINE: run example N of PAGE, at LINE (extracted to
# $ex), in a fresh copy of the fixture; on failure say why on stderr and
# return 1.
run_example() {
	local n=$2 where="man/$1:$3 (example $((10#$2)))" dir sh rc f
	dir=$BATS_TEST_TMPDIR/$n
	sh=$ex/$n.sh
	cp -Rp "$BATS_FILE_TMPDIR/fixture" "$dir" &&
	    prepare "$ex/$n.txt" "$dir" "$sh" "$ex/$n.want" || return 1
	(
		cd "$dir" || exit 1
		HOME=$dir/home PATH=$dir/bin:$PATH \
		    timeout 60 bash -eu -o pipefail "$sh" </dev/null
	) >"$ex/$n.stdout" 2>"$ex/$n.stderr"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		{
			echo "$where: exit $rc"
			sed 's/^/    | /' "$ex/$n.txt"
			echo "  stdout:"
			tail -n 20 "$ex/$n.stdout"
			echo "  stderr:"
			tail -n 20 "$ex/$n.stderr"
		} >&2
		return 1
	fi
	if [ -f "$ex/$n.want" ] && ! same "$ex/$n.want" "$ex/$n.stdout"; then
		{
			echo "$where: the output is not the one shown"
			diff -u <(normalise <"$ex/$n.want") \
			    <(normalise <"$ex/$n.stdout") | tail -n +3
		} >&2
		return 1
	fi
	for f in $(outputs "$sh" "$dir/home"); do
		case $f in /*) ;; *) f=$dir/$f ;; esac
		if [ ! -s "$f" ]; then
			echo "$where: wrote no ${f#"$dir"/}" >&2
			return 1
		fi
	done
}

# run_examples PAGE: run every example of man/PAGE; report those marked
# not run; fail if any fails, or if there is none.
run_examples() {
	local page=$1 info n line mode reason fails=0 ran=0
	local ex=$BATS_TEST_TMPDIR/ex	# run_example's too
	extract "$TOP/man/$page" "$ex" || return 1
	for info in "$ex"/*.info; do
		[ -f "$info" ] || continue
		n=$(basename "$info" .info)
		read -r line mode reason <"$info"
		if [ "$mode" = norun ]; then
			echo "# man/$page:$line: example not run: $reason" >&3
			continue
		fi
		ran=$((ran + 1))
		run_example "$page" "$n" "$line" || fails=$((fails + 1))
	done
	if [ "$ran" -eq 0 ]; then
		echo "man/$page: no example to run in EXAMPLES" >&2
		return 1
	fi
	[ "$fails" -eq 0 ]
}

@test "man examples: every page has a test here" {
	local m missing=""
	for m in "$TOP"/man/*.[1-9]; do
		grep -q "^	run_examples $(basename "$m")\$" \
		    "$BATS_TEST_FILENAME" || missing="$missing $(basename "$m")"
	done
	[ -z "$missing" ] || { echo "no test runs the examples of:$missing"; false; }
}

@test "man examples: the extractor turns escapes into text, and checks" {
	mkdir -p x
	cat >x/t.1 <<-'EOF'
	.Sh DESCRIPTION
	.Bd -literal
	not an example
	.Ed
	.Sh EXAMPLES
	.Bd -literal -offset indent
	awk -F'\et' \(aq{ print \(dq\e$1\(dq }\(aq a\-b \&.x ~\(ti
	.Ed
	.\" example: not run: needs a terminal
	.Bd -literal -offset indent
	vi
	.Ed
	.Sh SEE ALSO
	EOF
	extract x/t.1 x/out
	[ "$(cat x/out/01.txt)" = "awk -F'\\t' '{ print \"\\\$1\" }' a-b .x ~~" ]
	[ "$(cat x/out/01.info)" = "6 run" ]
	[ "$(cat x/out/02.info)" = "10 norun needs a terminal" ]
	[ ! -e x/out/03.txt ]
	printf '%s\n' .Sh\ EXAMPLES .Bd\ -literal 'a \*q' .Ed >x/u.1
	run --separate-stderr extract x/u.1 x/u
	[ "$status" -eq 1 ]
	[ "$stderr" = "x/u.1:3: escape \\* in an example" ]
	printf '%s\n' .Sh\ EXAMPLES .Dl\ ls >x/v.1
	run --separate-stderr extract x/v.1 x/v
	[ "$status" -eq 1 ]
	[[ $stderr == "x/v.1:2: .Dl in EXAMPLES"* ]]
}

@test "man examples: transcripts split into commands and output" {
	printf '%s\n' '$ fl-pack sign --key k u.fla |' \
	    '    fl-pack seal -o /media/usb/s' 'out 1' '$ ls /srv/x' 'out	2' >t.txt
	prepare t.txt /d t.sh t.want
	[ "$(cat t.sh)" = "$(printf '%s\n' 'fl-pack sign --key k u.fla |' \
	    '    fl-pack seal -o /d/media/usb/s' 'ls /d/srv/x')" ]
	[ "$(cat t.want)" = "$(printf 'out 1\nout\t2')" ]
	[ "$(outputs t.sh /h)" = /d/media/usb/s ]
	printf '%s\n' 'a -o x.fla >y.tsv 2>/dev/null -o $s.fla' 'b > ~/z' \
	    'c /x/media/a /srv/b' >u.txt
	prepare u.txt /d u.sh u.want
	[ ! -e u.want ]
	[ "$(tail -n 1 u.sh)" = 'c /x/media/a /d/srv/b' ]
	[ "$(outputs u.sh /h | tr '\n' ' ')" = 'x.fla y.tsv /h/z ' ]
	printf 'site3\t5b1f0c2d9e8a7f61\tsha256:70107891f034...\n' >want
	printf 'site3\t03561b5709459917\tsha256:%064d\n' 4 >got
	same want got
	printf 'site3\t03561b5709459917\tsha256:%064d\nmore\n' 4 >got
	! same want got
	printf 'site4\t03561b5709459917\tsha256:%064d\n' 4 >got
	! same want got
}

@test "man examples: examples read as mandoc renders them" {
	local m
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	for m in "$TOP"/man/*.[1-9]; do
		extract "$m" "ex/${m##*/}"
		mandoc -Tascii "$m" | col -bx | normalise >rendered
		cat "ex/${m##*/}"/*.txt | normalise | grep . >lines || continue
		if grep -Fxv -f rendered lines >missing; then
			echo "${m##*/}: example lines not as mandoc renders them:"
			cat missing
			return 1
		fi
	done
}

@test "fl-aggregate(1): the examples run" {
	skip_under_asan "a documentation check"
	run_examples fl-aggregate.1
}

@test "fl-archive(5): the examples run" {
	skip_under_asan "a documentation check"
	run_examples fl-archive.5
}

@test "fl-eval(1): the examples run" {
	skip_under_asan "a documentation check"
	run_examples fl-eval.1
}

@test "fl-init(1): the examples run" {
	skip_under_asan "a documentation check"
	run_examples fl-init.1
}

@test "fl-keygen(1): the examples run" {
	skip_under_asan "a documentation check"
	run_examples fl-keygen.1
}

@test "fl-pack(1): the examples run" {
	skip_under_asan "a documentation check"
	run_examples fl-pack.1
}

@test "fl-stats(1): the examples run" {
	skip_under_asan "a documentation check"
	run_examples fl-stats.1
}

@test "fl-simulate(1): the examples run" {
	skip_under_asan "a documentation check"
	run_examples fl-simulate.1
}

@test "fl-train(1): the examples run" {
	skip_under_asan "a documentation check"
	run_examples fl-train.1
}

@test "fl-value(1): the examples run" {
	skip_under_asan "a documentation check"
	run_examples fl-value.1
}

@test "fl(7): the examples run" {
	skip_under_asan "a documentation check"
	run_examples fl.7
}
