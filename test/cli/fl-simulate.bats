#!/usr/bin/env bats
# fl-simulate: a whole federation on one CSV, run by the other tools.
# Small runs (one or two rounds on the bundled data) to stay fast.

bats_require_minimum_version 1.5.0
load helper

COLON_X=id,recur_time,recur,death_time,death

# sim ARGS...: fl-simulate on colon.csv for death_5y, 2 sites, files in s/.
sim() {
	fl-simulate -l death_5y -x "$COLON_X" --sites 2 -o s "$@" \
	    "$DATA/colon.csv"
}

@test "fl-simulate: two tables, a row per round, then federated against alone" {
	run --separate-stderr sim -r 2
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${lines[0]}" = "$(printf 'round\tn\tauc\taccuracy\tlog_loss\tbrier')" ]
	[[ ${lines[1]} == "1	"* ]]
	[[ ${lines[2]} == "2	"* ]]
	[ -z "$(sed -n 4p <<<"$output")" ]	# an empty line between
	[ "$(awk -F'\t' 'NR > 4 { print $1 }' <<<"$output" | tr '\n' ,)" = \
	    "model,federated,pooled,site1 alone,site2 alone," ]
	[ "$(awk -F'\t' 'NF { print NF }' <<<"$output" | sort -u)" = 6 ]
}

@test "fl-simulate: every number is one fl-eval printed for the files kept" {
	skip_under_asan "an agreement and determinism check"
	sim -r 2 >out.tsv
	# The split: every row once, the sites' rows also in pooled.csv.
	n=$(($(wc -l <"$DATA/colon.csv") - 1))
	a=$(($(wc -l <s/site1.csv) - 1)) b=$(($(wc -l <s/site2.csv) - 1))
	t=$(($(wc -l <s/test.csv) - 1))
	[ $((a + b + t)) -eq "$n" ]
	[ "$(($(wc -l <s/pooled.csv) - 1))" -eq $((a + b)) ]
	[ "$(tail -n +2 s/pooled.csv | sort | md5sum)" = \
	    "$(tail -qn +2 s/site1.csv s/site2.csv | sort | md5sum)" ]
	# Rounds: r2.fla is round 2, made from the updates of both sites.
	[ "$(manifest_get s/r2.fla round)" = 2 ]
	[ "$(manifest_get s/r2.fla samples)" = \
	    $(($(manifest_get s/r2-site1.upd samples) +
	    $(manifest_get s/r2-site2.upd samples))) ]
	want=$(fl-eval --format tsv -d s/test.csv s/r2.fla | sed -n 2p)
	[ "$(sed -n 3p out.tsv)" = "2	$want" ]
	[ "$(grep '^federated' out.tsv)" = "federated	$want" ]
	want=$(fl-eval --format tsv -d s/test.csv s/site2-alone.fla | sed -n 2p)
	[ "$(grep '^site2 alone' out.tsv)" = "site2 alone	$want" ]
	[ "$(manifest_get s/site2-alone.fla round)" = 2 ]
	[ "$(manifest_get s/site2-alone.fla samples)" = \
	    "$(manifest_get s/r2-site2.upd samples)" ]
}

@test "fl-simulate: --seed fixes the split and the tables" {
	skip_under_asan "an agreement and determinism check"
	sim -r 1 >a.tsv
	# The same rows from stdin ('-') give the same tables.
	fl-simulate -l death_5y -x "$COLON_X" --sites 2 -r 1 - \
	    <"$DATA/colon.csv" >b.tsv
	cmp a.tsv b.tsv
	cp s/site1.csv first.csv
	sim -r 1 --seed 2 >c.tsv
	run ! cmp -s a.tsv c.tsv
	run ! cmp -s first.csv s/site1.csv
}

@test "fl-simulate: --site-column makes a site per value, not a feature" {
	run --separate-stderr fl-simulate --site-column site -l rfs \
	    -x pid,rfs_time -r 1 -o s "$DATA/breast_gbsg_rotterdam.csv"
	[ "$status" -eq 0 ]
	[[ $output == *"site1 alone"*"site2 alone"* ]]
	[ "$(awk -F, 'NR > 1 && $1 != 1' s/site1.csv | wc -l)" -eq 0 ]
	[ "$(awk -F, 'NR > 1 && $1 != 2' s/site2.csv | wc -l)" -eq 0 ]
	f=$(fl-pack manifest s/r0.fla | tr -d ' \n' |
	    grep -o '"features":\[[^]]*\]')
	[[ $f == '"features":["age","meno",'* ]]
	[[ $f != *'"site"'* ]]
	# Given in -x too, it is not given twice.
	fl-simulate --site-column site -l rfs -x site,pid,rfs_time -r 1 \
	    "$DATA/breast_gbsg_rotterdam.csv" >/dev/null
}

@test "fl-simulate: --categorical reaches fl-stats and fl-init" {
	run --separate-stderr fl-simulate --site-column site -l rel \
	    -x seqno,edrel,in_subcohort,instit --categorical histol,stage \
	    -r 1 -o s "$DATA/nwtco.csv"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	f=$(fl-pack manifest s/r0.fla | tr -d ' \n' |
	    grep -o '"features":\[[^]]*\]')
	[ "$f" = '"features":["histol=2","stage=2","stage=3","stage=4","age_months"]' ]
	fl-pack manifest s/site1.fls | grep -q '"levels"'
}

@test "fl-simulate: --strategy and the -args options reach the tools" {
	sim -r 1 --strategy fedadam --train-args '-e 3 --lr 0.05' \
	    --init-args '--seed 7' >/dev/null
	m=$(fl-pack manifest s/r1.fla | tr -d ' \n')
	[[ $m == *'"strategy":"fedadam"'* ]]
	u=$(fl-pack manifest s/r1-site1.upd | tr -d ' \n')
	[[ $u == *'"epochs":3'* ]]
	[[ $u == *'"lr":0.05'* ]]
	run --separate-stderr sim -r 1 --aggregate-args '--min-updates 3'
	[ "$status" -eq 1 ]
	assert_one_line_naming "fl-aggregate"
	run --separate-stderr sim -r 1 --train-args '--bogus'
	[ "$status" -eq 2 ]
	[[ ${stderr_lines[0]} == *"fl-train: unknown option '--bogus'"* ]]
}

@test "fl-simulate: --test scores on a file and trains on every row" {
	awk 'NR <= 101' "$DATA/colon.csv" >held.csv
	run --separate-stderr sim -r 1 --test held.csv -v
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >out.tsv
	assert_one_line_naming "2 sites: site1 ("
	[[ $stderr == *"tested on held.csv; 1 round of fedavg; files in s" ]]
	[ ! -e s/test.csv ]
	[ "$(wc -l <s/pooled.csv)" -eq "$(wc -l <"$DATA/colon.csv")" ]
	want=$(fl-eval --format tsv -d held.csv s/r1.fla | sed -n 2p)
	[ "$(sed -n 2p out.tsv)" = "1	$want" ]
}

@test "fl-simulate: a temporary folder is removed, on success and failure" {
	mkdir tmp
	# The tools are found beside fl-simulate, not in PATH.
	env PATH=/usr/bin:/bin TMPDIR="$PWD/tmp" "$BUILD/bin/fl-simulate" \
	    -l death_5y -x "$COLON_X" --sites 2 -r 1 "$DATA/colon.csv" >/dev/null
	[ -z "$(ls -A tmp)" ]
	run --separate-stderr env TMPDIR="$PWD/tmp" fl-simulate -l nope \
	    --sites 2 -r 1 "$DATA/colon.csv"
	[ "$status" -eq 1 ]
	assert_one_line_naming "'nope'"
	[ -z "$(ls -A tmp)" ]
}

@test "fl-simulate: a bad split is one line and exit 1" {
	run --separate-stderr fl-simulate --site-column nope -l death_5y \
	    "$DATA/colon.csv"
	[ "$status" -eq 1 ]
	assert_one_line_naming "colon.csv: no column 'nope'"
	head -n 4 "$DATA/colon.csv" >tiny.csv
	run --separate-stderr fl-simulate --sites 9 -l death_5y tiny.csv
	[ "$status" -eq 1 ]
	assert_one_line_naming "tiny.csv: too few rows"
	printf 'g,y\n1,0\n,1\n' >empty.csv
	run --separate-stderr fl-simulate --site-column g -l y --test \
	    empty.csv empty.csv
	[ "$status" -eq 1 ]
	assert_one_line_naming "empty.csv:3: column 'g' is empty"
	: >none.csv
	run --separate-stderr fl-simulate --sites 2 -l y none.csv
	[ "$status" -eq 1 ]
	assert_one_line_naming "none.csv: empty"
	run --separate-stderr fl-simulate --sites 2 -l y missing.csv
	[ "$status" -eq 1 ]
	assert_one_line_naming "missing.csv"
}

@test "fl-simulate: usage errors exit 2" {
	for args in "-l y x.csv" "--sites 2 --site-column g x.csv" \
	    "--sites 1 x.csv" "--sites 2" "--sites 2 --test t --holdout 0.1 x" \
	    "--sites 2 --holdout 1 x.csv" "--sites 2 --test - x.csv" \
	    "--sites 2 --strategy nope x.csv" "--sites 2 x.csv y.csv" \
	    "--sites 2 -x a,,b x.csv"; do
		# shellcheck disable=SC2086
		run --separate-stderr fl-simulate $args
		[ "$status" -eq 2 ] || { echo "$args: $status"; false; }
		[[ $stderr == *"Try 'fl-simulate --help'."* ]]
	done
}

@test "fl-simulate: on a terminal the columns line up" {
	command -v script >/dev/null || skip "script(1) not installed"
	script -qec "fl-simulate -q -l death_5y -x $COLON_X --sites 2 -r 1 \
	    $DATA/colon.csv" /dev/null | tr -d '\r' >tty.txt
	[ "$(wc -l <tty.txt)" -eq 8 ]	# -q: no summary line
	run ! grep -q '	' tty.txt
	# Each column starts where its header does, in both tables.
	awk 'NR == 1 { p = index($0, "auc") } NF > 2 && NR > 1 { if (substr($0, p - 1, 1) != " " ||
	    substr($0, p, 1) == " ") bad = 1 } END { exit bad }' tty.txt
	[ "$(sed -n 4p tty.txt | cut -c1-5)" = "model" ]
}
