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

@test "fl-stats with no operand and no --data reads an archive from stdin" {
	mkcsv
	run --separate-stderr bash -c 'fl-stats -q --data s.csv | fl-stats --tsv'
	[ "$status" -eq 0 ]
	[ "$output" = "$table" ]
	[ -z "$stderr" ]
	run --separate-stderr fl-stats --tsv </dev/null
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "fl-stats: <stdin>: "* ]]
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
	[ "${lines[0]}" = "usage: fl-stats [-qv] [--tsv | --table1 | --curve km] [-o file]" ]
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

@test "fl-stats: the archive names its site, from --site or the file" {
	mkcsv
	fl-stats --data s.csv -o s.fls
	[ "$(manifest_get s.fls site)" = s ]
	fl-stats --data - --site oslo <s.csv >o.fls
	[ "$(manifest_get o.fls site)" = oslo ]
	# Read back and written again, an archive keeps its site.
	fl-stats s.fls >again.fls
	[ "$(manifest_get again.fls site)" = s ]
	# From stdin, --site is needed; a name with a tab or a newline in it
	# could forge fl-pack log rows.
	run --separate-stderr fl-stats --data - <s.csv
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-stats: no site name: give --site NAME (the data is read from stdin)" ]
	run --separate-stderr fl-stats --data s.csv --site "$(printf 'x\ty')"
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-stats: --site: not a name (1 to 128 of A-Z a-z 0-9 . _ -)" ]
	run --separate-stderr fl-stats --data s.csv --tsv --site x
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-stats: --site needs --data and an archive to write" ]
}

@test "fl-stats: usage errors exit 2" {
	run --separate-stderr fl-stats --bogus
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "fl-stats: unknown option '--bogus'" ]
	[ "${stderr_lines[6]}" = "Try 'fl-stats --help'." ]
	run --separate-stderr fl-stats --site x </dev/null
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-stats: --site needs --data and an archive to write" ]
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

# The clinical summary (issue 5): colon split in two sites, a pooled
# grid, histograms, table 1, Kaplan-Meier, suppression and noise.
summary_sites() {
	colon_sites
	fl-stats --data a.csv -o a0.fls
	fl-stats --data b.csv -o b0.fls
	fl-aggregate -o grid.fls a0.fls b0.fls
	{ cat a.csv; tail -n +2 b.csv; } >ab.csv
}

@test "fl-stats --survival: the merged KM curve equals the pooled rows'" {
	summary_sites
	for s in a b; do
		fl-stats --data $s.csv --bins-from grid.fls \
		    --survival death_time,death -o $s.fls
	done
	fl-aggregate -o p.fls a.fls b.fls
	run --separate-stderr fl-stats --curve km p.fls
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${lines[0]}" = "$(printf 'time\tsurvival\tat_risk\tevents')" ]
	[ "${lines[1]}" = "$(printf '0\t1\t595\t0')" ]
	[ "$output" = "$(fl-stats --curve km --survival death_time,death \
	    --data ab.csv)" ]
	# Survival never rises.
	printf '%s\n' "$output" | awk 'NR > 2 && $2 > last + 1e-12 { exit 1 }
	    { last = $2 }'
}

@test "fl-stats --table1: merged quantiles within one bin of the exact" {
	summary_sites
	for s in a b; do
		fl-stats --data $s.csv --bins-from grid.fls --bins 200 -o $s.fls
	done
	fl-aggregate -o p.fls a.fls b.fls
	run --separate-stderr fl-stats --table1 p.fls
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(printf 'column\tn\tmissing\tmean\tsd\tmedian\tq1\tq3\tquantile_error\tones\tpercent')" ]
	line=$(printf '%s\n' "$output" | grep '^age	')
	# The exact median of age over the pooled rows.
	med=$(awk -F, 'NR > 1 && $4 != "NA" { print $4 }' ab.csv | sort -n |
	    awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]
	    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	echo "$line" | awk -F'\t' -v m="$med" '{ d = $6 - m; if (d < 0) d = -d
	    exit !(d <= $9) }'
	# Another grid does not merge.
	fl-stats --data b.csv --bins-from grid.fls --bins 50 -o c.fls
	run --separate-stderr fl-aggregate -o q.fls a.fls c.fls
	[ "$status" -eq 1 ]
	assert_one_line_naming c.fls
	# Without histograms, the quantile cells are empty.
	run fl-stats --table1 --data a.csv
	[ "$(printf '%s\n' "$output" | grep '^age	' | cut -f 6)" = "" ]
}

@test "fl-stats --table1: a 0/1 column is n (%) of 1s, not quartiles" {
	summary_sites
	for s in a b; do
		fl-stats --data $s.csv --bins-from grid.fls -o $s.fls
	done
	run --separate-stderr bash -c 'fl-aggregate a.fls b.fls | fl-stats --table1'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	# sex is 0 or 1: the 1s of the pooled rows and their percent.
	want=$(awk -F, 'NR > 1 && $3 != "NA" { n++; k += $3 }
	    END { printf "%d\t%.10g\n", k, 100 * k / n }' ab.csv)
	line=$(printf '%s\n' "$output" | grep '^sex	')
	[ "$(echo "$line" | cut -f 6-9)" = "$(printf '\t\t\t')" ]
	[ "$(echo "$line" | cut -f 10-11)" = "$want" ]
	# age is not: quartiles, and no count of 1s.
	line=$(printf '%s\n' "$output" | grep '^age	')
	[ -n "$(echo "$line" | cut -f 6)" ]
	[ "$(echo "$line" | cut -f 10-11)" = "$(printf '\t')" ]
	# Values in [0, 1] that are not all 0 or 1 are not binary.
	printf 'b,h\n0,0\n1,0.5\n1,1\n0,1\n' >h.csv
	run --separate-stderr fl-stats --table1 --data h.csv
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "$(printf 'b\t4\t0\t0.5\t0.5773502692\t\t\t\t\t2\t50')" ]
	[ "$(printf '%s\n' "${lines[2]}" | cut -f 10-11)" = "$(printf '\t')" ]
}

@test "fl-stats --min-count and --dp-epsilon are recorded and applied" {
	summary_sites
	fl-stats --data a.csv --bins-from grid.fls --survival death_time,death \
	    --min-count 10 -o m.fls
	fl-pack manifest m.fls | grep -q '"min_count": 10'
	# Each KM row holds at least 10 patients: at_risk falls by 10 or more.
	run fl-stats --curve km m.fls
	[ "${#lines[@]}" -gt 5 ]
	printf '%s\n' "$output" | awk -F'\t' 'NR > 3 && last - $3 < 10 { exit 1 }
	    { last = $3 }'
	fl-stats --data a.csv --bins-from grid.fls --dp-epsilon 1 -o d.fls
	fl-pack manifest d.fls | grep -q '"mechanism": "laplace"'
	fl-pack manifest d.fls | grep -q '"scale": 17.0'
	# Noise changes the histograms but keeps them counts that merge.
	fl-stats --data b.csv --bins-from grid.fls --dp-epsilon 1 -o e.fls
	run --separate-stderr fl-aggregate -o p.fls d.fls e.fls
	[ "$status" -eq 0 ]
	run --separate-stderr fl-stats --min-count 3 a.fls
	[ "$status" -eq 2 ]
	run --separate-stderr fl-stats --survival death_time --data a.csv
	[ "$status" -eq 2 ]
	run --separate-stderr fl-stats --survival nope,death --data a.csv
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-stats: a.csv: no column 'nope'" ]
	run --separate-stderr fl-stats --curve km --data a.csv
	[ "$status" -eq 2 ]
}

# The levels of colon.csv's differ (1, 2, 3, some NA) as fl-stats must
# record them: counted here with awk over the given files.
differ_levels() {
	awk -F, 'FNR > 1 && $9 != "NA" && $9 != "" { n[$9]++ }
	END { printf "{\"counts\":[%d,%d,%d],\"values\":[\"1\",\"2\",\"3\"]}",
	    n[1], n[2], n[3] }' "$@"
}

@test "fl-stats --categorical records levels; fl-aggregate unions them" {
	colon_sites
	fl-stats --data a.csv --categorical differ,id -o a.fls
	fl-stats --data b.csv --categorical differ,id -o b.fls
	fl-aggregate -o pooled.fls a.fls b.fls
	want=$(differ_levels a.csv b.csv)
	run --separate-stderr fl-pack manifest pooled.fls
	[ "$status" -eq 0 ]
	flat=$(printf '%s' "$output" | tr -d ' \n')
	case $flat in *"\"differ\":$want"*) ;; *) echo "want $want in $flat"; false ;; esac
	# id has over 64 distinct values: null; no other column is recorded.
	case $flat in *'"id":null}'*) ;; *) false ;; esac
	case $flat in *'"age":{'*) false ;; esac
}

@test "fl-stats records no levels by default; a site without them: none" {
	colon_sites
	fl-stats --data a.csv -o a.fls
	run --separate-stderr fl-pack manifest a.fls
	[ "$status" -eq 0 ]
	case $output in *levels*) false ;; esac
	fl-stats --data b.csv --categorical differ -o b.fls
	fl-aggregate -o pooled.fls a.fls b.fls
	run --separate-stderr fl-pack manifest pooled.fls
	case $output in *levels*) false ;; esac
}

@test "fl-stats --categorical reads text cells there only, refuses them elsewhere" {
	printf 'sex,age\nfemale,40\nmale,51\n"female",NA\n' >t.csv
	run --separate-stderr fl-stats --data t.csv --categorical sex --tsv
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "$(printf 'sex\t0\t3\t\t\t\t')" ]
	fl-stats --data t.csv --categorical sex -o t.fls
	run --separate-stderr fl-pack manifest t.fls
	flat=$(printf '%s' "$output" | tr -d ' \n')
	case $flat in *'"levels":{"sex":{"counts":[2,1],"values":["female","male"]}}'*) ;;
	*) echo "$flat"; false ;; esac
	run --separate-stderr fl-stats --data t.csv --tsv
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-stats: t.csv:2: column 'sex': not a number: 'female'" ]
	run --separate-stderr fl-stats --data t.csv --categorical nope -o x.fls
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-stats: t.csv: no column 'nope' (--categorical)" ]
	[ ! -e x.fls ]
	run --separate-stderr fl-stats --categorical sex t.fls
	[ "$status" -eq 2 ]
}

@test "fl-stats --min-count drops a site's rare levels" {
	printf 'g\n1\n1\n1\n2\n3\n3\n3\n' >s.csv
	fl-stats --data s.csv --categorical g --min-count 3 -o s.fls
	run --separate-stderr fl-pack manifest s.fls
	[ "$status" -eq 0 ]
	flat=$(printf '%s' "$output" | tr -d ' \n')
	case $flat in
	*'"levels":{"g":{"counts":[3,3],"values":["1","3"]}}'*) ;;
	*) echo "$flat"; false ;;
	esac
	case $flat in *'"suppressed":1'*) ;; *) echo "$flat"; false ;; esac
}

@test "fl-stats --table1: a categorical column is n (%) per level" {
	printf 'sex,stage\nfemale,1\nmale,2\nfemale,NA\nfemale,2\nNA,1\n' >a.csv
	printf 'sex,stage\nmale,3\nfemale,2\n' >b.csv
	fl-stats --data a.csv --categorical sex,stage -o a.fls
	fl-stats --data b.csv --categorical sex,stage -o b.fls
	run --separate-stderr bash -c 'fl-aggregate a.fls b.fls | fl-stats --table1'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${lines[1]}" = "$(printf 'sex\t6\t1\t\t\t\t\t\t\t\t')" ]
	[ "${lines[2]}" = "$(printf 'sex=female\t6\t\t\t\t\t\t\t\t4\t66.66666667')" ]
	[ "${lines[3]}" = "$(printf 'sex=male\t6\t\t\t\t\t\t\t\t2\t33.33333333')" ]
	[ "${lines[4]}" = "$(printf 'stage\t6\t1\t\t\t\t\t\t\t\t')" ]
	[ "${lines[6]}" = "$(printf 'stage=2\t6\t\t\t\t\t\t\t\t3\t50')" ]
	[ "${#lines[@]}" -eq 8 ]
}
