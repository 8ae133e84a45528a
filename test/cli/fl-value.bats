#!/usr/bin/env bats
# fl-value: Shapley and leave-one-out values of sites' updates on the
# bundled colon data: the properties the values must have (efficiency,
# symmetry, a noisy site lowest, a copy valued as its original), the
# aggregate of all updates as fl-aggregate makes it, several rounds, the
# valuation archive, and bad input.

load helper
bats_require_minimum_version 1.5.0

# Four hospitals a b c d and held-out rows; d's labels are shuffled (a
# fixed permutation of its rows' labels), e is a copy of a's rows under
# another name.  Round 0's updates ?.upd, round 1's r1/?.upd.
setup_file() {
	FX=$BATS_FILE_TMPDIR/fx
	export FX
	mkdir -p "$FX/r1" && cd "$FX" || return 1
	awk -F, 'NR == 1 { print > "a.csv"; print > "b.csv"; print > "c.csv"
		print > "d.csv"; print > "test.csv"; next }
	NR % 5 == 0 { print > "test.csv"; next }
	{ print > (substr("abcd", NR % 5, 1) ".csv") }' "$DATA/colon.csv"
	awk -F, 'NR == 1 { print; next } { row[NR] = $0; lab[NR] = $NF }
	END { for (i = 2; i <= NR; i++) {
		n = split(row[i], f, ","); f[n] = lab[(i * 37) % (NR - 1) + 2]
		s = f[1]; for (k = 2; k <= n; k++) s = s "," f[k]; print s } }' \
	    d.csv >d.tmp && mv d.tmp d.csv
	for s in a b c d; do
		fl-stats --data $s.csv -o $s.fls
	done
	fl-aggregate -o pooled.fls ?.fls
	fl-init -m logreg -l death_5y -s pooled.fls \
	    -x id,recur_time,recur,death_time,death --seed 1 -o r0.fla
	for s in a b c d; do
		fl-train -q -d $s.csv -e 5 --seed 1 -o $s.upd r0.fla
	done
	fl-train -q -d a.csv --site e -e 5 --seed 1 -o e.upd r0.fla
	fl-aggregate -m r0.fla -o r1.fla ?.upd
	for s in a b c d; do
		fl-train -q -d $s.csv -e 5 --seed 1 -o r1/$s.upd r1.fla
	done
	fl-train -q -d a.csv --site e -e 5 --seed 1 -o r1/e.upd r1.fla
}

# Compare two numbers: |got - want| <= atol.
near() {
	awk -v g="$1" -v w="$2" -v a="$3" 'BEGIN {
		d = g - w; if (d < 0) d = -d
		if (d > a) { print g " != " w > "/dev/stderr"; exit 1 } }'
}

# Column $2 of site $3's row of the TSV $1.
cell() {
	awk -F'\t' -v c="$2" -v s="$3" 'NR == 1 { for (i = 1; i <= NF; i++)
		if ($i == c) k = i; next } $1 == s { print $k }' "$1"
}

# A top-level number of fl-value's JSON in $1 (before its "rounds").
top() {
	sed 's/"rounds":.*//' "$1" | grep -o "\"$2\":[^,}]*" | head -1 |
	    cut -d: -f2
}

# The sum of column $2 of the TSV $1.
colsum() {
	awk -F'\t' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++)
		if ($i == c) k = i; next } { s += $k } END { printf "%.15g", s }' \
	    "$1"
}

@test "fl-value: exact values add up to U(all) - U(none), as fl-aggregate and fl-eval see them" {
	run --separate-stderr fl-value -m "$FX/r0.fla" -d "$FX/test.csv" \
	    "$FX"/?.upd
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	echo "$output" >v.json
	fl-value -m "$FX/r0.fla" -d "$FX/test.csv" --format tsv \
	    "$FX"/?.upd >v.tsv
	[ "$(head -1 v.tsv)" = "$(printf 'site\tsamples\tshapley\tshapley_se\tloo')" ]
	[ "$(wc -l <v.tsv)" -eq 6 ]
	[ "$(cell v.tsv samples b)" -eq 142 ]
	# Updates and rows from stdin give the same values.
	cat "$FX"/?.upd | fl-value -m "$FX/r0.fla" -d "$FX/test.csv" \
	    --format tsv - | cmp - v.tsv
	fl-value -m "$FX/r0.fla" -d - --format tsv "$FX"/?.upd \
	    <"$FX/test.csv" | cmp - v.tsv
	[ "$(cell v.tsv shapley_se a)" = 0 ]
	grep -q '"metric":"auc","utility":"auc","method":"shapley"' v.json
	grep -q '"evaluations":32,' v.json
	all=$(top v.json utility_all)
	none=$(top v.json utility_none)
	near "$(colsum v.tsv shapley)" "$(awk -v a="$all" -v n="$none" \
	    'BEGIN { printf "%.15g", a - n }')" 1e-9
	# U(all) is the AUC of fl-aggregate's model, U(none) the base's.
	fl-aggregate -m "$FX/r0.fla" -o all.fla "$FX"/?.upd
	near "$all" "$(fl-eval --format tsv -d "$FX/test.csv" all.fla |
	    awk -F'\t' 'NR == 2 { print $2 }')" 1e-9
	near "$none" "$(fl-eval --format tsv -d "$FX/test.csv" "$FX/r0.fla" |
	    awk -F'\t' 'NR == 2 { print $2 }')" 1e-9
}

@test "fl-value: the shuffled-label site is valued lowest, and a copy as its original" {
	local m s
	for m in auc log_loss brier; do
		fl-value -m "$FX/r0.fla" -d "$FX/test.csv" --metric $m \
		    --format tsv "$FX"/?.upd >v.tsv
		low=$(awk -F'\t' 'NR > 1 && (min == "" || $3 < min) {
			min = $3; s = $1 } END { print s }' v.tsv)
		[ "$low" = d ] || { echo "$m: lowest $low" >&2; return 1; }
		# e trained a's rows with a's seed: the same update.
		[ "$(cell v.tsv shapley e)" = "$(cell v.tsv shapley a)" ]
		[ "$(cell v.tsv loo e)" = "$(cell v.tsv loo a)" ]
	done
	# A loss is negated: higher is better.
	fl-value -m "$FX/r0.fla" -d "$FX/test.csv" --metric log_loss \
	    "$FX"/?.upd | grep -q '"metric":"log_loss","utility":"-log_loss"'
}

@test "fl-value: another strategy is valued as fl-aggregate applies it" {
	fl-value -m "$FX/r0.fla" -d "$FX/test.csv" --metric brier \
	    --strategy trimmed-mean --trim 0.2 "$FX"/?.upd >v.json
	fl-aggregate -m "$FX/r0.fla" --strategy trimmed-mean --trim 0.2 \
	    -o all.fla "$FX"/?.upd
	near "$(top v.json utility_all)" "-$(fl-eval --format tsv \
	    -d "$FX/test.csv" all.fla | awk -F'\t' 'NR == 2 { print $5 }')" \
	    1e-9
	grep -q '"strategy":"trimmed-mean"' v.json
	# A parameter its strategy does not take is a usage error.
	run --separate-stderr fl-value -m "$FX/r0.fla" -d "$FX/test.csv" \
	    --beta2 0.9 "$FX"/a.upd
	[ "$status" -eq 2 ]
	[[ $stderr == *"--beta2 is for fedadam and fedyogi, not fedavg"* ]]
	# Krum's coalitions too small for it keep the model as it was.
	fl-value -m "$FX/r0.fla" -d "$FX/test.csv" --strategy krum \
	    --byzantine 0 --format tsv "$FX"/?.upd >k.tsv
	[ "$(wc -l <k.tsv)" -eq 6 ]
}

@test "fl-value: sampled values: seeded, within 3 standard errors of the exact" {
	fl-value -m "$FX/r0.fla" -d "$FX/test.csv" --format tsv \
	    "$FX"/?.upd >exact.tsv
	fl-value -m "$FX/r0.fla" -d "$FX/test.csv" --format tsv \
	    --method sampled --permutations 100 --truncation 0 --seed 3 \
	    "$FX"/?.upd >s3.tsv
	fl-value -m "$FX/r0.fla" -d "$FX/test.csv" --format tsv \
	    --method sampled --permutations 100 --truncation 0 --seed 3 \
	    "$FX"/?.upd >again.tsv
	cmp s3.tsv again.tsv
	fl-value -m "$FX/r0.fla" -d "$FX/test.csv" --format tsv \
	    --method sampled --permutations 100 --truncation 0 --seed 4 \
	    "$FX"/?.upd >s4.tsv
	! cmp -s s3.tsv s4.tsv
	for s in a b c d e; do
		se=$(cell s3.tsv shapley_se $s)
		awk -v s="$se" 'BEGIN { exit !(s > 0) }'
		near "$(cell s3.tsv shapley $s)" "$(cell exact.tsv shapley $s)" \
		    "$(awk -v s="$se" 'BEGIN { print 3 * s }')"
		[ "$(cell s3.tsv loo $s)" = "$(cell exact.tsv loo $s)" ]
	done
	# At N = 8 (three more sites: a's, b's and c's rows with other
	# seeds), each sampled value within 3 of its standard errors of the
	# exact one, and at least half within one.
	for s in a b c; do
		fl-train -q -d "$FX/$s.csv" --site ${s}2 -e 5 --seed 2 \
		    -o ${s}2.upd "$FX/r0.fla"
	done
	fl-value -m "$FX/r0.fla" -d "$FX/test.csv" --format tsv \
	    "$FX"/?.upd ?2.upd >exact8.tsv
	fl-value -m "$FX/r0.fla" -d "$FX/test.csv" --format tsv \
	    --method sampled --permutations 200 --truncation 0 \
	    "$FX"/?.upd ?2.upd >s8.tsv
	[ "$(wc -l <s8.tsv)" -eq 9 ]
	paste exact8.tsv s8.tsv | awk -F'\t' 'NR > 1 {
		d = $3 - $8; if (d < 0) d = -d
		if (!($9 > 0) || d > 3 * $9) bad++
		if (d <= $9) one++ }
	    END { exit !(bad == 0 && one >= 4) }'
	# Leave-one-out only: no Shapley values.
	fl-value -m "$FX/r0.fla" -d "$FX/test.csv" --format tsv --method loo \
	    "$FX"/?.upd >loo.tsv
	[ "$(cell loo.tsv shapley a)" = NA ]
	[ "$(cell loo.tsv loo a)" = "$(cell exact.tsv loo a)" ]
}

@test "fl-value: rounds add up, to a signed valuation archive" {
	fl-keygen -q -o . coord
	fl-value -m "$FX/r0.fla" -d "$FX/test.csv" --format tsv \
	    "$FX"/?.upd >r0.tsv
	fl-value -m "$FX/r1.fla" -d "$FX/test.csv" --format tsv \
	    "$FX"/r1/?.upd >r1.tsv
	run --separate-stderr fl-value -m "$FX/r1.fla" -m "$FX/r0.fla" \
	    -d "$FX/test.csv" --sign coord.key -o value.fla "$FX"/r1/?.upd \
	    "$FX"/?.upd
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(manifest_get value.fla kind)" = valuation ]
	fl-pack manifest value.fla | grep -q "$(fl-pack manifest "$FX/r0.fla" |
	    grep '"id"' | cut -d'"' -f4)"
	fl-pack manifest value.fla | grep -q "$(fl-pack manifest \
	    "$FX/r1/c.upd" | grep '"id"' | cut -d'"' -f4)"
	mkdir -p trusted/coordinator && cp coord.pub trusted/coordinator/
	fl-pack verify -q --trust trusted value.fla
	fl-value --report --format tsv value.fla >both.tsv
	for s in a b c d e; do
		near "$(cell both.tsv shapley $s)" "$(awk -v x="$(cell r0.tsv \
		    shapley $s)" -v y="$(cell r1.tsv shapley $s)" \
		    'BEGIN { printf "%.15g", x + y }')" 1e-9
	done
	# r1 is round 0's aggregate of a..d: the values of both rounds add up
	# to U(round 1's aggregate) - U(r0).
	fl-value -m "$FX/r0.fla" -m "$FX/r1.fla" -d "$FX/test.csv" \
	    "$FX"/r1/?.upd "$FX"/?.upd >both.json
	grep -q '"utility_none":'"$(top both.json utility_none)"',"metric"' \
	    both.json
	near "$(colsum both.tsv shapley)" "$(awk -v a="$(top both.json \
	    utility_all)" -v n="$(top both.json utility_none)" \
	    'BEGIN { printf "%.15g", a - n }')" 1e-9
}

@test "fl-value: bad input: one line naming the problem, no output" {
	run --separate-stderr fl-value -m "$FX/r1.fla" -d "$FX/test.csv" \
	    -o out.fla "$FX"/a.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming "a.upd: trained from the model"
	run --separate-stderr fl-value -m "$FX/r0.fla" -d "$FX/test.csv" \
	    "$FX"/a.upd "$FX"/a.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming "a second update from site 'a'"
	run --separate-stderr fl-value -m "$FX/r0.fla" -m "$FX/r1.fla" \
	    -d "$FX/test.csv" "$FX"/a.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming "r1.fla: no update was trained from this model"
	run --separate-stderr fl-value -m "$FX/a.upd" -d "$FX/test.csv" \
	    "$FX"/b.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming "a.upd: an update archive, not a model"
	head -c 900 "$FX/b.upd" >cut.upd
	run --separate-stderr fl-value -m "$FX/r0.fla" -d "$FX/test.csv" \
	    -o out.fla "$FX"/a.upd cut.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming cut.upd
	cut -d, -f1-5 "$FX/test.csv" >few.csv
	run --separate-stderr fl-value -m "$FX/r0.fla" -d few.csv "$FX"/a.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming few.csv
	run --separate-stderr fl-value --report "$FX/r0.fla"
	[ "$status" -eq 1 ]
	assert_one_line_naming "r0.fla: a model archive, not a valuation"
	run --separate-stderr fl-value -m "$FX/r0.fla" -d "$FX/test.csv" \
	    --metric rmse "$FX"/a.upd
	[ "$status" -eq 2 ]
	assert_one_line_naming "--metric rmse is not a metric of binary models"
	run --separate-stderr fl-value -m "$FX/r0.fla" -d "$FX/test.csv" \
	    -o /dev/full "$FX"/a.upd
	[ "$status" -eq 1 ]
	assert_files cut.upd few.csv
}

@test "fl-value: usage errors exit 2" {
	local args
	for args in "-d t.csv a.upd" "-m r0.fla a.upd" "-m r0.fla -d t.csv" \
	    "--method best -m r0.fla -d t.csv a.upd" \
	    "--metric bogus -m r0.fla -d t.csv a.upd" \
	    "--sign k.key -m r0.fla -d t.csv a.upd" \
	    "--permutations 1 -m r0.fla -d t.csv a.upd" \
	    "--truncation 2 -m r0.fla -d t.csv a.upd" \
	    "--report a.fla b.fla" "--report -m r0.fla a.fla"; do
		# shellcheck disable=SC2086
		run --separate-stderr fl-value $args
		[ "$status" -eq 2 ] || { echo "$args: $status" >&2; return 1; }
		[[ ${stderr_lines[-1]} == "Try 'fl-value --help'." ]]
	done
}

@test "fl-value: value.sh: the noisy hospital lowest in every run, the copy as its original" {
	skip_under_asan "an example's claim"
	run --separate-stderr "$TOP/examples/value.sh" 2 3
	[ "$status" -eq 0 ]
	echo "$output"
	echo "$output" | awk -F'\t' '
	    /^== stability/ { st = 1; next }
	    !st && $1 == "site1" { s1 = $4 }
	    !st && $1 == "site6" { s6 = $4 }
	    !st && $1 == "site5" { s5 = $4 }
	    st && $1 == "site5" { low = $4 }
	    END { exit !(s1 == s6 && s5 < 0 && low == "3/3") }'
}

# The held-out rows as two validating sites' rows, v1.csv and v2.csv.
split_test() {
	awk 'NR == 1 { print > "v1.csv"; print > "v2.csv"; next }
	NR % 2 { print > "v1.csv"; next } { print > "v2.csv" }' "$FX/test.csv"
}

@test "fl-value: from the sites' metrics, the values of the central rows" {
	split_test
	run --separate-stderr fl-value --coalitions -m "$FX/r0.fla" \
	    -o co.fla "$FX"/?.upd
	[ "$status" -eq 0 ]
	[ -z "$output$stderr" ]
	[ "$(manifest_get co.fla kind)" = coalitions ]
	run --separate-stderr fl-eval --emit --site v1 -d v1.csv -o m1.fla \
	    co.fla
	[ "$status" -eq 0 ]
	[ -z "$output$stderr" ]
	fl-eval --emit --site v2 -d v2.csv co.fla >m2.fla
	local m s
	for m in brier log_loss accuracy; do
		fl-value --from-metrics co.fla --metric $m --format tsv \
		    m1.fla m2.fla >remote.tsv
		fl-value -m "$FX/r0.fla" -d "$FX/test.csv" --metric $m \
		    --format tsv "$FX"/?.upd >central.tsv
		for s in a b c d e; do
			near "$(cell remote.tsv shapley $s)" \
			    "$(cell central.tsv shapley $s)" 1e-9
			near "$(cell remote.tsv loo $s)" \
			    "$(cell central.tsv loo $s)" 1e-9
		done
	done
	# The AUC is pooled from 10000-bin histograms: within about 1e-4.
	fl-value --from-metrics co.fla --format tsv m1.fla m2.fla >remote.tsv
	fl-value -m "$FX/r0.fla" -d "$FX/test.csv" --format tsv \
	    "$FX"/?.upd >central.tsv
	for s in a b c d e; do
		near "$(cell remote.tsv shapley $s)" \
		    "$(cell central.tsv shapley $s)" 1e-3
	done
	# Sampled and leave-one-out valuations travel the same way.
	fl-value --coalitions -m "$FX/r0.fla" --method sampled \
	    --permutations 10 --seed 5 -o cs.fla "$FX"/?.upd
	fl-eval --emit --site v1 -d v1.csv -o s1.fla cs.fla
	fl-eval --emit --site v2 -d v2.csv -o s2.fla cs.fla
	fl-value --from-metrics cs.fla --metric brier --format tsv s1.fla \
	    s2.fla >remote.tsv
	fl-value -m "$FX/r0.fla" -d "$FX/test.csv" --metric brier \
	    --method sampled --permutations 10 --seed 5 --format tsv \
	    "$FX"/?.upd >central.tsv
	for s in a b c d e; do
		near "$(cell remote.tsv shapley $s)" \
		    "$(cell central.tsv shapley $s)" 1e-9
		near "$(cell remote.tsv shapley_se $s)" \
		    "$(cell central.tsv shapley_se $s)" 1e-9
	done
}

@test "fl-value: --from-metrics refuses metrics that do not fit" {
	split_test
	fl-value --coalitions -m "$FX/r0.fla" --method loo -o co.fla \
	    "$FX"/?.upd
	fl-value --coalitions -m "$FX/r0.fla" --method loo -o other.fla \
	    "$FX"/a.upd "$FX"/b.upd
	fl-eval --emit --site v1 -d v1.csv -o m1.fla co.fla
	fl-eval --emit --site v2 -d v2.csv -o m2.fla co.fla
	fl-eval --emit --site v2 -d v2.csv -o o2.fla other.fla
	run --separate-stderr fl-value --from-metrics co.fla m1.fla o2.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming "o2.fla: archive 1 is no metrics of this coalitions archive"
	# A site's stream cut short, or one site twice.
	head -c 3000 m2.fla >cut.fla
	run --separate-stderr fl-value --from-metrics co.fla m1.fla cut.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming cut.fla
	run --separate-stderr fl-value --from-metrics co.fla m1.fla m1.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming m1.fla
	run --separate-stderr fl-value --from-metrics "$FX/r0.fla" m1.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming "r0.fla: a model archive, not a coalitions archive"
	# fl-eval scores a coalitions archive only with --emit.
	run --separate-stderr fl-eval -d v1.csv co.fla
	[ "$status" -eq 2 ]
	assert_one_line_naming "co.fla: a coalitions archive is scored with --emit"
	for args in "--coalitions -m r0.fla a.upd" \
	    "--coalitions -m r0.fla -m r1.fla -o x.fla a.upd" \
	    "--coalitions --from-metrics co.fla -o x.fla a.upd" \
	    "--from-metrics co.fla -m r0.fla m1.fla" \
	    "--from-metrics co.fla --method loo m1.fla" \
	    "--from-metrics co.fla --strategy median m1.fla" \
	    "--from-metrics co.fla"; do
		# shellcheck disable=SC2086
		run --separate-stderr fl-value $args
		[ "$status" -eq 2 ] || { echo "$args: $status" >&2; return 1; }
	done
}
