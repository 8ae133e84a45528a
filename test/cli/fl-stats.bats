#!/usr/bin/env bats
# fl-stats: statistics of a CSV file or a stats archive, as an archive or
# a table; its bad inputs and its usage.

load helper
bats_require_minimum_version 1.5.0

table='column	count	missing	mean	sd	min	max
a	3	0	2.333333333	1.527525232	1	4
b	1	2	4		4	4'

mkcsv() {
	printf 'a,b\n1,NA\n2,4\n4,\n' >s.csv
}

@test "fl-stats --tsv prints the table of a CSV file" {
	mkcsv
	run --separate-stderr fl-stats --tsv --data s.csv
	[ "$status" -eq 0 ]
	[ "$output" = "$table" ]
	[ -z "$stderr" ]
	assert_files s.csv
}

@test "fl-stats writes an archive that fl-stats --tsv reads back" {
	mkcsv
	run --separate-stderr fl-stats -q --data s.csv -o s.fls
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	assert_files s.csv s.fls
	run --separate-stderr fl-stats --tsv s.fls
	[ "$status" -eq 0 ]
	[ "$output" = "$table" ]
	[ -z "$stderr" ]
}

@test "fl-stats is silent on success" {
	mkcsv
	run --separate-stderr fl-stats --data s.csv -o s.fls
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "fl-stats --tsv -o writes the table to a file" {
	mkcsv
	run --separate-stderr fl-stats --tsv -o t.tsv --data s.csv
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(cat t.tsv)" = "$table" ]
	assert_files s.csv t.tsv
}

@test "fl-stats --data - reads the CSV from stdin" {
	mkcsv
	run --separate-stderr fl-stats --tsv --data - <s.csv
	[ "$status" -eq 0 ]
	[ "$output" = "$table" ]
	[ -z "$stderr" ]
}

@test "fl-stats - reads an archive from stdin" {
	mkcsv
	run --separate-stderr bash -c 'fl-stats -q --data s.csv | fl-stats --tsv -'
	[ "$status" -eq 0 ]
	[ "$output" = "$table" ]
	[ -z "$stderr" ]
}

@test "fl-stats on the bundled colon.csv counts its NA cells" {
	run --separate-stderr fl-stats --tsv --data "$DATA/colon.csv"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | grep '^nodes	')" = \
	    "nodes	730	14	3.639726027	3.546332162	0	33" ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 18 ]
}

@test "fl-stats: a missing file fails with one line naming it" {
	run --separate-stderr fl-stats --data nope.csv -o out.fls
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "fl-stats: nope.csv: No such file or directory" ]
	[ -z "$(ls -A)" ]	# assert_files with no names wants one blank
}

@test "fl-stats: a non-number fails naming file, line and column" {
	printf 'a,b\n1,2\n3,x\n' >bad.csv
	run --separate-stderr fl-stats --data bad.csv -o out.fls
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "fl-stats: bad.csv:3: column 'b': not a number: 'x'" ]
	assert_files bad.csv
}

@test "fl-stats: a short row fails" {
	printf 'a,b\n1,2\n3\n' >bad.csv
	run --separate-stderr fl-stats --tsv --data bad.csv
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "fl-stats: bad.csv:3: 1 fields, header has 2" ]
}

@test "fl-stats: a CSV given as an archive fails naming it" {
	mkcsv
	run --separate-stderr fl-stats --tsv s.csv
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	assert_one_line_naming s.csv
}

@test "fl-stats: a truncated archive fails naming it" {
	mkcsv
	fl-stats -q --data s.csv -o s.fls
	head -c 1000 s.fls >t.fls
	run --separate-stderr fl-stats --tsv t.fls
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	assert_one_line_naming t.fls
}

@test "fl-stats: a full stdout is an error" {
	mkcsv
	run --separate-stderr bash -c 'fl-stats --tsv --data s.csv >/dev/full'
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-stats: <stdout>: No space left on device" ]
	run --separate-stderr bash -c 'fl-stats -q --data s.csv >/dev/full'
	[ "$status" -eq 1 ]
	assert_one_line_naming "<stdout>"
}

@test "fl-stats -o /dev/full fails and leaves nothing behind" {
	mkcsv
	run --separate-stderr fl-stats -q --data s.csv -o /dev/full
	[ "$status" -eq 1 ]
	assert_one_line_naming /dev/full
	assert_files s.csv
}

@test "fl-stats -o into a missing directory fails and leaves nothing" {
	mkcsv
	run --separate-stderr fl-stats -q --data s.csv -o nodir/s.fls
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	assert_one_line_naming nodir/s.fls
	assert_files s.csv
}

@test "fl-stats refuses to write an archive to a terminal" {
	command -v script >/dev/null || skip "no script(1) to make a terminal"
	mkcsv
	run script -qec "fl-stats --data s.csv" /dev/null
	[ "$status" -eq 2 ]
	[[ $output == *"fl-stats: refusing to write a binary archive to a terminal"* ]]
	run script -qec "fl-stats --tsv --data s.csv" /dev/null
	[ "$status" -eq 0 ]
}

@test "fl-stats --help prints the usage on stdout" {
	run --separate-stderr fl-stats --help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: fl-stats [-q] [--tsv] [-o file] (--data file.csv | archive)" ]
	[[ $output == *"--tsv"* ]]
	[ -z "$stderr" ]
	run --separate-stderr fl-stats -h
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}

@test "fl-stats --version prints one line" {
	run --separate-stderr fl-stats --version
	[ "$status" -eq 0 ]
	[[ $output == "fl-stats 0.1.0 (libfl 0.1.0; "* ]]
	[ "${#lines[@]}" -eq 1 ]
	[ -z "$stderr" ]
}

@test "fl-stats: usage errors exit 2" {
	run --separate-stderr fl-stats --bogus
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "fl-stats: unknown option '--bogus'" ]
	[ "${stderr_lines[2]}" = "Try 'fl-stats --help'." ]
	run --separate-stderr fl-stats
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-stats: missing --data or an archive operand" ]
	run --separate-stderr fl-stats --data a.csv b.fls
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-stats: --data and an archive operand conflict" ]
	run --separate-stderr fl-stats a.fls b.fls
	[ "$status" -eq 2 ]
	run --separate-stderr fl-stats --data
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-stats: option '--data' needs an argument" ]
}

@test "fl-stats: errors in a CSV from stdin name <stdin>" {
	run --separate-stderr fl-stats --tsv --data - < <(printf 'a\n1\nx\n')
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "fl-stats: <stdin>:3: column 'a': not a number: 'x'" ]
}
