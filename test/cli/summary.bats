#!/usr/bin/env bats
# The one-line summary each tool prints on stderr: on a terminal, or with
# -v; never with -q, nor when stderr is not a terminal (scripts, cron).

bats_require_minimum_version 1.5.0
load helper

setup() {
	enter_tmp
	colon_sites
	colon_model
}

@test "summary: silent when stderr is not a terminal, one line with -v" {
	run --separate-stderr fl-stats --data a.csv -o a.fls
	[ -z "$stderr" ]
	run --separate-stderr fl-stats -v --data a.csv -o a.fls
	[ "$status" -eq 0 ]
	n=$(($(wc -l <a.csv) - 1))
	[ "$stderr" = "fl-stats: a.csv: $n rows, 17 columns" ]
	run --separate-stderr fl-stats -v -q --data a.csv -o a.fls
	[ -z "$stderr" ]
	run --separate-stderr fl-stats -v --tsv a.fls
	[ -z "$stderr" ]	# a table, not an archive: nothing to sum up

	fl-train -q -d a.csv -o a.upd r0.fla
	fl-train -q -d b.csv -o b.upd r0.fla
	run --separate-stderr fl-aggregate -m r0.fla -o r1.fla a.upd b.upd
	[ -z "$stderr" ]
	run --separate-stderr fl-aggregate -v --strategy fedavgm -m r0.fla \
	    -o r1.fla a.upd b.upd
	s=$(($(manifest_get a.upd samples) + $(manifest_get b.upd samples)))
	[ "$stderr" = "fl-aggregate: round 1: 2 updates merged, $s samples, fedavgm" ]
	fl-stats -q --data b.csv -o b.fls
	run --separate-stderr fl-aggregate -v -o p.fls a.fls b.fls
	[ "$stderr" = "fl-aggregate: statistics of 2 sites merged: $(($(wc -l <a.csv) + $(wc -l <b.csv) - 2)) rows, 17 columns" ]

	run --separate-stderr fl-eval --format tsv -d test.csv r1.fla
	[ -z "$stderr" ]
	run --separate-stderr fl-eval -v --format tsv -d test.csv r1.fla
	[[ $stderr == "fl-eval: test.csv: "*" rows"*" scored by r1.fla (round 1)" ]]
	run --separate-stderr fl-eval -q -v -d test.csv r1.fla
	[ -n "$stderr" ]	# the last of -q and -v counts
	run --separate-stderr fl-eval -v -q -d test.csv r1.fla
	[ -z "$stderr" ]
}

# Loss before and after: the library's training objective, which with no
# L2 term is the log loss fl-eval reports on the same rows, for the
# received model and for it with the update applied.
@test "summary: fl-train's loss before and after is the log loss on its rows" {
	run --separate-stderr fl-train -d a.csv -e 3 -o a.upd r0.fla
	[ -z "$stderr" ]
	run --separate-stderr fl-train -v -d a.csv -e 3 -o a.upd r0.fla
	[ "$status" -eq 0 ]
	rows=$(manifest_get a.upd samples)
	[[ $stderr == "fl-train: a.csv: $rows rows ("*" without a label skipped), 3 epochs, loss "*" -> "* ]]
	fl-aggregate -q -m r0.fla -o t.fla a.upd
	before=$(fl-eval --format tsv -d a.csv r0.fla | awk 'NR == 2 { print $4 }')
	after=$(fl-eval --format tsv -d a.csv t.fla | awk 'NR == 2 { print $4 }')
	l=${stderr##*loss }
	awk -v a="${l% -> *}" -v b="$before" -v c="${l#* -> }" -v d="$after" 'BEGIN {
		exit !(a - b < 1e-4 && b - a < 1e-4 && c - d < 1e-4 &&
		    d - c < 1e-4 && c < a) }'
}

@test "summary: printed on a terminal without -v, not with -q" {
	command -v script >/dev/null || skip "script(1) not installed"
	script -qec "fl-train -d a.csv -o a.upd r0.fla" /dev/null |
	    tr '\r' '\n' >tty.txt
	grep -q '^fl-train: a.csv: .* rows .*, 1 epoch, loss ' tty.txt
	script -qec "fl-train -q -d a.csv -o a.upd r0.fla" /dev/null >q.txt
	[ ! -s q.txt ]
}

@test "summary: fl-pack's verbs that write say what they wrote" {
	id=$(manifest_get r0.fla id | cut -c1-19)
	nt=$(($(fl-pack list r0.fla | wc -l) - 1))
	run --separate-stderr fl-pack extract -C d r0.fla
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
	run --separate-stderr fl-pack extract -v -C d r0.fla
	[ "$status" -eq 0 ]
	[ "$stderr" = "fl-pack: r0.fla: a model archive of $nt tensors, id $id..., into d (manifest.json, tensors.safetensors)" ]
	run --separate-stderr fl-pack create -v -C d --compress gzip -o c.fla
	[ "$stderr" = "fl-pack: c.fla: a model archive of $nt tensors, id $id..., from d (compression: gzip)" ]
	fl-keygen -q -o keys s1
	fl-keygen -q -o keys s2
	run --separate-stderr fl-pack sign -v --key keys/s1.key -o s.fla r0.fla
	[ "$stderr" = "fl-pack: r0.fla: signed by s1 (key $(keyid keys/s1.pub)), written to s.fla" ]
	run --separate-stderr fl-pack seal -v --to keys/s1.pub \
	    --to keys/s2.pub -o s.sealed s.fla
	[ "$stderr" = "fl-pack: s.fla: sealed for 2 recipients (s1, s2), written to s.sealed" ]
	run --separate-stderr fl-pack open -v --key keys/s2.key -o o.fla - <s.sealed
	[ "$stderr" = "fl-pack: <stdin>: opened with the key of s2 (key $(keyid keys/s2.pub)), written to o.fla" ]
	cmp o.fla s.fla
	# The last of -q and -v counts; a failure prints its error alone.
	run --separate-stderr fl-pack sign -v -q --key keys/s1.key -o s.fla r0.fla
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
	run --separate-stderr fl-pack sign -q -v --key keys/s1.key r0.fla
	[ "$status" -eq 0 ] && [ -n "$output" ]
	[ "$stderr" = "fl-pack: r0.fla: signed by s1 (key $(keyid keys/s1.pub)), written to <stdout>" ]
	run --separate-stderr fl-pack open -v --key keys/s1.key -o x.fla r0.fla
	[ "$status" -ne 0 ]
	[ "$(printf '%s\n' "$stderr" | grep -c .)" -eq 1 ]
	[[ $stderr != *"opened with"* ]]
	[ ! -e x.fla ]
}

@test "summary: fl-pack prints its line on a terminal without -v" {
	command -v script >/dev/null || skip "script(1) not installed"
	script -qec "fl-pack extract -C t r0.fla" /dev/null |
	    tr '\r' '\n' >tty.txt
	grep -q '^fl-pack: r0.fla: a model archive of .* tensors, id sha256:' tty.txt
	script -qec "fl-pack extract -q -C t r0.fla" /dev/null >q.txt
	[ ! -s q.txt ]
}

# Issue 16, item 1: an outcome left among the features.  death_time, the
# days to death or censoring, tells death_5y apart at every site; the
# summary warns about it (and about nothing in colon_model's features,
# which the tests above see as one line).
@test "summary: fl-train -v warns about a feature that alone separates the label" {
	fl-stats -q --data a.csv -o a.fls
	fl-init -q -m logreg -l death_5y -x id,death,recur -s a.fls -o m.fla
	run --separate-stderr fl-train -e 1 -d a.csv -o a.upd m.fla
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run --separate-stderr fl-train -v -e 1 -d a.csv -o a.upd m.fla
	[ "$status" -eq 0 ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	[[ ${stderr_lines[0]} == "fl-train: warning: a.csv: feature 'death_time' alone separates the label here (AUC 0.0"*"); an outcome, or a copy of the label? (fl-init -x leaves it out)" ]]
	[[ ${stderr_lines[1]} == "fl-train: a.csv: "*" rows"* ]]
}
