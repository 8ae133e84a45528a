#!/usr/bin/env bats
# Federated evaluation: fl-eval --emit writes a metrics archive of
# sufficient statistics, fl-aggregate merges them, fl-eval --report prints
# per-site and pooled rows, fl-eval --curve prints ROC and calibration.

load helper
bats_require_minimum_version 1.5.0

setup() {
	enter_tmp || return 1
	colon_sites
	colon_model
	fl-train -d a.csv --site a -e 5 -o a.upd r0.fla
	fl-train -d b.csv --site b -e 5 -o b.upd r0.fla
	fl-aggregate -m r0.fla -o r1.fla a.upd b.upd
	rm a.upd b.upd
}

# Compare two numbers: |got - want| <= atol + rtol * |want|.
near() {
	awk -v g="$1" -v w="$2" -v a="$3" -v r="$4" 'BEGIN {
		d = g - w; if (d < 0) d = -d; m = w < 0 ? -w : w
		if (d > a + r * m) { print g " != " w > "/dev/stderr"; exit 1 }
	}'
}

# Column $2 (by header name) of row $3 (by site) of a report table $1.
cell() {
	awk -F'\t' -v c="$2" -v s="$3" 'NR == 1 { for (i = 1; i <= NF; i++)
		if ($i == c) k = i; next } $1 == s { print $k }' "$1"
}

@test "fedeval: merged site metrics equal fl-eval on the pooled rows" {
	run --separate-stderr fl-eval --emit --site a -d a.csv -o a.fla r1.fla
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	fl-eval --emit --site b -d b.csv r1.fla >b.fla
	[ "$(manifest_get a.fla kind)" = metrics ]
	[ "$(manifest_get a.fla site)" = a ]
	[ "$(manifest_get a.fla parent)" = "$(manifest_get r1.fla id)" ]
	run --separate-stderr fl-aggregate -o pooled.fla a.fla b.fla
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	fl-eval --report pooled.fla >report.tsv
	[ "$(head -n 1 report.tsv)" = "$(printf 'site\tn\tauc\taccuracy\tlog_loss\tbrier\tauc_bound')" ]
	[ "$(cut -f 1 report.tsv | tr '\n' ' ')" = "site a b pooled " ]
	{ head -n 1 a.csv; tail -n +2 a.csv; tail -n +2 b.csv; } >ab.csv
	fl-eval --format tsv -d ab.csv r1.fla >whole.tsv
	fl-eval --format tsv -d a.csv r1.fla >a.tsv
	for k in n accuracy log_loss brier; do
		w=$(awk -F'\t' -v c="$k" 'NR == 1 { for (i = 1; i <= NF; i++)
		    if ($i == c) k = i } NR == 2 { print $k }' whole.tsv)
		near "$(cell report.tsv "$k" pooled)" "$w" 0 1e-9
		w=$(awk -F'\t' -v c="$k" 'NR == 1 { for (i = 1; i <= NF; i++)
		    if ($i == c) k = i } NR == 2 { print $k }' a.tsv)
		near "$(cell report.tsv "$k" a)" "$w" 0 1e-9
	done
	bound=$(cell report.tsv auc_bound pooled)
	w=$(awk -F'\t' 'NR == 2 { print $2 }' whole.tsv)
	near "$(cell report.tsv auc pooled)" "$w" "$bound" 0
	# The bound is small on colon: under 1e-3.
	near "$bound" 0 1e-3 0
	# The pooled archive's manifest carries the same keys as fl-eval.
	fl-pack manifest pooled.fla | grep -q '"auc_bound"'
}

@test "fedeval: regression and multiclass merges are exact" {
	fl-init -m linear -l age -f "rx,sex,nodes,differ" -s stats.fls -o lin.fla
	fl-init -m softmax -l differ --classes 4 -f "rx,sex,age,nodes" \
	    -s stats.fls -o soft.fla
	awk -F, 'NR == 1 || $9 != "NA"' a.csv >a2.csv
	awk -F, 'NR == 1 || $9 != "NA"' b.csv >b2.csv
	{ cat a2.csv; tail -n +2 b2.csv; } >ab.csv
	for m in lin soft; do
		fl-eval --emit --site a -d a2.csv -o a.fla $m.fla
		fl-eval --emit --site b -d b2.csv -o b.fla $m.fla
		fl-aggregate -o p.fla a.fla b.fla
		fl-eval --report p.fla >r.tsv
		fl-eval --format tsv -d ab.csv $m.fla >w.tsv
		n=$(head -n 1 w.tsv | awk -F'\t' '{ print NF }')
		for i in $(seq 1 "$n"); do
			k=$(head -n 1 w.tsv | cut -f "$i")
			near "$(cell r.tsv "$k" pooled)" \
			    "$(sed -n 2p w.tsv | cut -f "$i")" 0 1e-9
		done
	done
}

@test "fedeval: --report --format json prints one object per row" {
	fl-eval --emit --site a -d a.csv -o a.fla r1.fla
	fl-eval --emit --site b -d b.csv -o b.fla r1.fla
	fl-aggregate -o p.fla a.fla b.fla
	run --separate-stderr fl-eval --report --format json p.fla
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[2]} == '{"site":"pooled","n":'* ]]
	# Pooled archives merge again, hierarchically.
	fl-eval --emit --site c -d test.csv -o c.fla r1.fla
	fl-aggregate -o p2.fla p.fla c.fla
	[ "$(fl-eval --report p2.fla | cut -f 1 | tr '\n' ' ')" = "site a b c pooled " ]
}

@test "fedeval: merges refuse another model, another task or a site twice" {
	fl-eval --emit --site a -d a.csv -o a.fla r1.fla
	fl-eval --emit --site b -d b.csv -o b0.fla r0.fla
	run --separate-stderr fl-aggregate -o p.fla a.fla b0.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming b0.fla
	[[ $stderr == *"metrics of model"* ]]
	fl-init -m linear -l age -f "rx,sex" -s stats.fls -o lin.fla
	fl-eval --emit --site b -d b.csv -o lin.mfla lin.fla
	run --separate-stderr fl-aggregate -o p.fla a.fla lin.mfla
	[ "$status" -eq 1 ]
	[[ $stderr == *"task 'regression'"* ]]
	run --separate-stderr fl-aggregate -o p.fla a.fla a.fla
	[ "$status" -eq 1 ]
	[[ "$stderr" == "fl-aggregate: a.fla: archive sha256:"*" is given twice" ]]
	fl-eval --emit --site a -d b.csv -o a2.fla r1.fla
	run --separate-stderr fl-aggregate -o p.fla a.fla a2.fla
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-aggregate: a2.fla: site 'a' already contributed" ]
	# Every metrics archive names its site: from stdin, --site is needed.
	run --separate-stderr fl-eval --emit -d - -o s.fla r1.fla <a.csv
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-eval: no site name: give --site NAME (the data is read from stdin)" ]
	fl-eval --emit -d a.csv -o s.fla r1.fla
	[ "$(manifest_get s.fla site)" = a ]
	fl-stats --data a.csv -o a.fls
	run --separate-stderr fl-aggregate -o p.fla a.fla a.fls
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-aggregate: a.fls: a stats archive among metrics archives" ]
	assert_files a.csv a.fla a.fls a2.fla b.csv b0.fla lin.fla lin.mfla \
	    r0.fla r1.fla s.fla stats.fls test.csv
}

@test "fedeval: --curve roc and calibration print TSV" {
	run --separate-stderr fl-eval --curve roc -d test.csv r1.fla
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${lines[0]}" = "$(printf 'fpr\ttpr\tthreshold')" ]
	[ "${lines[1]}" = "$(printf '0\t0\t1')" ]
	[ "${lines[${#lines[@]} - 1]%	*}" = "$(printf '1\t1')" ]
	run --separate-stderr fl-eval --curve calibration -d test.csv r1.fla
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(printf 'bin\tmean_pred\tobserved\tn')" ]
	# The bins' counts add up to the rows scored.
	n=$(fl-eval --format tsv -d test.csv r1.fla | awk 'NR == 2 { print $1 }')
	[ "$(printf '%s\n' "$output" | awk 'NR > 1 { s += $4 } END { print s }')" = "$n" ]
	# The pooled curve from a merged archive.
	fl-eval --emit --site a -d a.csv -o a.fla r1.fla
	run --separate-stderr fl-eval --report --curve roc a.fla
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(printf 'fpr\ttpr\tthreshold')" ]
}

@test "fedeval: usage errors and bad inputs" {
	run --separate-stderr fl-eval --curve bogus -d a.csv r1.fla
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-eval: --curve: unknown curve 'bogus' (roc, calibration, survival)" ]
	run --separate-stderr fl-eval --emit --predictions -d a.csv r1.fla
	[ "$status" -eq 2 ]
	run --separate-stderr fl-eval --site a -d a.csv r1.fla
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-eval: --site and --output need --emit" ]
	run --separate-stderr fl-eval --report -d a.csv r1.fla
	[ "$status" -eq 2 ]
	run --separate-stderr fl-eval --report r1.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming r1.fla
	run --separate-stderr fl-eval --emit -d a.csv -o /dev/full r1.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming /dev/full
	fl-init -m linear -l age -f "rx,sex" -s stats.fls -o lin.fla
	run --separate-stderr fl-eval --curve roc -d a.csv lin.fla
	[ "$status" -eq 2 ]
	[ "$stderr" = "fl-eval: --curve roc needs a binary task, not 'regression'" ]
}

@test "fedeval: examples/plots/plots.sh renders four PNGs" {
	command -v gnuplot >/dev/null || skip "gnuplot not installed"
	mkdir out
	run --separate-stderr "$TOP/examples/plots/plots.sh" out
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	for p in roc calibration km survival; do
		[ "$(head -c 4 out/$p.png | tail -c 3)" = PNG ]
	done
}
