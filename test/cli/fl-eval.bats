#!/usr/bin/env bats
# fl-eval: metrics and predictions.

load helper
bats_require_minimum_version 1.5.0

setup() {
	enter_tmp || return 1
	colon_sites
	colon_model
}

@test "fl-eval: binary metrics as one JSON object with exactly its keys" {
	run --separate-stderr fl-eval -d test.csv r0.fla
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	keys=$(printf '%s' "$output" | grep -o '"[a-z_]*":' | tr -d '":' |
	    tr '\n' ' ')
	[ "$keys" = "n auc accuracy log_loss brier " ]
	want=$(awk -F, 'NR > 1 && $17 != "NA"' test.csv | wc -l)
	[[ "$output" == "{\"n\":$want,"* ]]
}

@test "fl-eval: --format tsv prints a header and a value line" {
	run --separate-stderr fl-eval --format tsv -d test.csv r0.fla
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(printf 'n\tauc\taccuracy\tlog_loss\tbrier')" ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "fl-eval: training improves the held-out AUC" {
	fl-train -d a.csv -e 5 -o a.upd r0.fla
	fl-train -d b.csv -e 5 -o b.upd r0.fla
	fl-aggregate -m r0.fla -o r1.fla a.upd b.upd
	auc=$(fl-eval --format tsv -d test.csv r1.fla | awk 'NR == 2 { print $2 }')
	awk -v a="$auc" 'BEGIN { exit !(a > 0.65) }'
}

@test "fl-eval: --predictions prints one line per row" {
	run --separate-stderr fl-eval -p --format tsv -d test.csv r0.fla
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(printf 'label\tp')" ]
	# Every row is predicted, an NA label shown as NA (or null).
	want=$(($(wc -l < test.csv) - 1))
	[ "${#lines[@]}" -eq $((want + 1)) ]
	[ "$(printf '%s\n' "${lines[@]}" | grep -c '^NA')" -eq \
	    "$(awk -F, 'NR > 1 && $17 == "NA"' test.csv | wc -l)" ]
	run --separate-stderr fl-eval --predictions -d test.csv r0.fla
	[ "${#lines[@]}" -eq "$want" ]
	[[ "${lines[0]}" == '{"label":'*',"p":'* ]]
	# Without the label column, every row is predicted.
	cut -d, -f1-16 test.csv > nolabel.csv
	run --separate-stderr fl-eval -p --format tsv -d nolabel.csv r0.fla
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq "$(wc -l < nolabel.csv)" ]
	[[ "${lines[1]}" == "NA"* ]]
}

@test "fl-eval: multiclass and regression keys" {
	fl-init -m softmax -l differ --classes 4 -f age,nodes,extent -o k.fla
	run --separate-stderr fl-eval --format tsv -d test.csv k.fla
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(printf 'n\taccuracy\tlog_loss')" ]
	run --separate-stderr fl-eval -p --format tsv -d test.csv k.fla
	[ "${lines[0]}" = "$(printf 'label\tpred\tp0\tp1\tp2\tp3')" ]
	fl-init -m linear -l age -f nodes,extent -o r.fla
	run --separate-stderr fl-eval --format tsv -d test.csv r.fla
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(printf 'n\trmse\tmae\tr2')" ]
}

@test "fl-eval: bad inputs fail with one line" {
	cut -d, -f1-5,7- test.csv > noage.csv
	run --separate-stderr fl-eval -d noage.csv r0.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming noage.csv
	[ -z "$output" ]
	fl-train -d a.csv -o u.upd r0.fla
	run --separate-stderr fl-eval -d test.csv u.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming u.upd
	run --separate-stderr fl-eval -d test.csv --format xml r0.fla
	[ "$status" -eq 2 ]
	run --separate-stderr fl-eval r0.fla
	[ "$status" -eq 2 ]
}
