#!/usr/bin/env bats
# Aggregation trees: fl-aggregate --partial, partials as inputs, and the
# examples that run a tree with make -j and xargs -P.

load helper
bats_require_minimum_version 1.5.0

# Six sites of colon.csv, s0..s5, each with an update of r0.fla.
setup() {
	enter_tmp || return 1
	awk -F, 'NR == 1 { for (i = 0; i < 6; i++) print > ("s" i ".csv");
		next } { print > ("s" (NR % 6) ".csv") }' "$DATA/colon.csv"
	fl-stats --data s0.csv -o s.fls
	fl-init -m logreg -l death_5y -f "$COLON_FEATURES" -s s.fls -o r0.fla
	for i in 0 1 2 3 4 5; do
		fl-train -d "s$i.csv" --site "s$i" -o "s$i.upd" r0.fla
	done
}

# The sha256 of archive $1's tensors member.
tensors() {
	rm -rf tx && mkdir tx && fl-pack extract -C tx "$1" &&
	    sha256sum <tx/tensors.safetensors | cut -d' ' -f1 && rm -rf tx
}

@test "tree: any tree of partials gives the flat model's tensors" {
	fl-aggregate -m r0.fla -o flat.fla s0.upd s1.upd s2.upd s3.upd s4.upd s5.upd
	want=$(tensors flat.fla)
	# The flat sum in another order.
	fl-aggregate -m r0.fla -o rev.fla s5.upd s3.upd s1.upd s4.upd s2.upd s0.upd
	[ "$(tensors rev.fla)" = "$want" ]
	# Two levels, three partials of two.
	run --separate-stderr fl-aggregate --partial -m r0.fla -o p01.part s0.upd s1.upd
	[ "$status" -eq 0 ] && [ -z "$output" ] && [ -z "$stderr" ]
	[ "$(manifest_get p01.part kind)" = partial ]
	[ "$(manifest_get p01.part updates)" = 2 ]
	fl-pack list p01.part | grep -q '^sum	I64	12$'
	fl-aggregate --partial -m r0.fla -o p23.part s2.upd s3.upd
	fl-aggregate --partial -m r0.fla -o p45.part s4.upd s5.upd
	fl-aggregate -m r0.fla -o t1.fla p01.part p23.part p45.part
	[ "$(tensors t1.fla)" = "$want" ]
	# Three levels, unbalanced, partials mixed with updates.
	fl-aggregate --partial -m r0.fla -o p1.part p01.part s2.upd
	fl-aggregate --partial -m r0.fla -o p2.part s5.upd p1.part
	fl-aggregate -m r0.fla -o t2.fla s4.upd p2.part s3.upd
	[ "$(tensors t2.fla)" = "$want" ]
	# One partial of all six, and a partial of one.
	fl-aggregate --partial -m r0.fla -o all.part s0.upd s1.upd s2.upd s3.upd s4.upd s5.upd
	fl-aggregate -m r0.fla -o t3.fla all.part
	[ "$(tensors t3.fla)" = "$want" ]
	fl-aggregate --partial -m r0.fla -o one.part s0.upd
	fl-aggregate -m r0.fla -o t4.fla one.part s1.upd p23.part p45.part
	[ "$(tensors t4.fla)" = "$want" ]
	# The history names every update inside, and the partials are listed.
	[ "$(manifest_get t2.fla samples)" = "$(manifest_get flat.fla samples)" ]
	for i in 0 1 2 3 4 5; do
		fl-pack log t2.fla | grep -q "$(manifest_get "s$i.upd" id)"
	done
	[ "$(fl-pack log t2.fla | grep -c .)" -eq "$(fl-pack log flat.fla | grep -c .)" ]
	fl-pack manifest t2.fla | grep -q "\"id\": \"$(manifest_get p2.part id)\""
}

@test "tree: server optimizers, SCAFFOLD and central DP apply once, at the root" {
	fl-aggregate --partial -m r0.fla -o a.part s0.upd s1.upd s2.upd
	fl-aggregate --partial -m r0.fla -o b.part s3.upd s4.upd s5.upd
	fl-aggregate --strategy fedadam -m r0.fla -o flat.fla s*.upd
	fl-aggregate --strategy fedadam -m r0.fla -o tree.fla a.part b.part
	[ "$(tensors tree.fla)" = "$(tensors flat.fla)" ]
	# The server step refuses to run at an inner node.
	run --separate-stderr fl-aggregate --strategy fedadam --partial -m r0.fla -o x.part s0.upd
	[ "$status" -eq 2 ]
	[ "$stderr" = "fl-aggregate: --partial: fedadam's server step applies once, at the root; make partials with --strategy fedavg" ]
	# Central DP: clip and equal weights at the leaves, noise at the root.
	dp="--clip 0.5 --dp-noise 1"
	# shellcheck disable=SC2086
	fl-aggregate $dp --partial -m r0.fla -o da.part s0.upd s1.upd s2.upd
	# shellcheck disable=SC2086
	fl-aggregate $dp --partial -m r0.fla -o db.part s3.upd s4.upd s5.upd
	# shellcheck disable=SC2086
	fl-aggregate $dp --seed 7 -m r0.fla -o dflat.fla s*.upd
	# shellcheck disable=SC2086
	fl-aggregate $dp --seed 7 -m r0.fla -o dtree.fla da.part db.part
	[ "$(tensors dtree.fla)" = "$(tensors dflat.fla)" ]
	[ "$(fl-pack manifest dtree.fla | grep -c '"epsilon"')" -eq 1 ]
	run --separate-stderr fl-aggregate --seed 7 --clip 0.5 --dp-noise 1 --partial -m r0.fla -o x.part s0.upd
	[ "$status" -eq 2 ]
	[[ "$stderr" == "fl-aggregate: --population, --max-epsilon, --seed and --min-updates apply at the root of the tree, not with --partial"* ]]
	run --separate-stderr fl-aggregate --min-updates 2 --partial -m r0.fla -o x.part s0.upd s1.upd
	[ "$status" -eq 2 ]
	# The root counts the updates inside partials.
	run --separate-stderr fl-aggregate --min-updates 4 -m r0.fla -o x.fla a.part
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-aggregate: 3 updates, fewer than --min-updates 4; no model written" ]
	fl-aggregate --min-updates 6 -m r0.fla -o x.fla a.part b.part
	rm x.fla
	run --separate-stderr fl-aggregate -m r0.fla -o x.fla da.part db.part
	[ "$status" -eq 2 ]
	[ "$stderr" = "fl-aggregate: da.part: partial weighs its updates equally; this round weighs them by samples (give --dp-noise to every node of the tree, or to none)" ]
	run --separate-stderr fl-aggregate --clip 0.4 --dp-noise 1 -m r0.fla -o x.fla da.part
	[ "$status" -eq 2 ]
	[ "$stderr" = "fl-aggregate: da.part: partial was clipped to another bound; this round clips to --clip" ]
	# SCAFFOLD: the control variates' sums compose too.
	for i in 0 1 2 3; do
		fl-train -d "s$i.csv" --site "s$i" --scaffold "s$i.state" -o "c$i.upd" r0.fla
	done
	fl-aggregate --partial -m r0.fla -o ca.part c0.upd c1.upd
	fl-pack list ca.part | grep -q '^scaffold_dc_sum	I64	12$'
	fl-aggregate -m r0.fla -o cflat.fla c0.upd c1.upd c2.upd c3.upd
	fl-aggregate -m r0.fla -o ctree.fla ca.part c2.upd c3.upd
	[ "$(tensors ctree.fla)" = "$(tensors cflat.fla)" ]
	fl-pack list ctree.fla | grep -q '^state/scaffold_c	F32	12$'
}

@test "tree: robust strategies and bad partials are refused" {
	fl-aggregate --partial -m r0.fla -o a.part s0.upd s1.upd
	fl-aggregate --partial -m r0.fla -o b.part s1.upd s2.upd
	for s in median trimmed-mean krum; do
		run --separate-stderr fl-aggregate --strategy "$s" -m r0.fla -o x.fla a.part s3.upd
		[ "$status" -eq 2 ]
		[ "$stderr" = "fl-aggregate: a.part: $s needs every update itself, not partial sums (give the updates)" ]
		run --separate-stderr fl-aggregate --strategy "$s" --partial -m r0.fla -o x.part s3.upd
		[ "$status" -eq 2 ]
		[ "$stderr" = "fl-aggregate: --partial: $s needs every update itself, not partial sums (give the updates)" ]
	done
	# A site inside two partials, or inside one and given again.
	run --separate-stderr fl-aggregate -m r0.fla -o x.fla a.part b.part
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-aggregate: b.part: a second update from site 's1' in round 0" ]
	run --separate-stderr fl-aggregate -m r0.fla -o x.fla s0.upd a.part
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-aggregate: a.part: a second update from site 's0' in round 0" ]
	# Partial sums of another model.
	fl-init -m logreg -l death_5y -f "$COLON_FEATURES" -s s.fls --seed 9 -o other.fla
	run --separate-stderr fl-aggregate -m other.fla -o x.fla a.part
	[ "$status" -eq 1 ]
	[[ "$stderr" == "fl-aggregate: a.part: partial sums updates of the round-0 model "* ]]
	# Samples that are not the contributors' sum (the id recomputed).
	rm -rf x && mkdir x && fl-pack extract -C x a.part
	sed -i 's/"samples": \([0-9]*\),$/"samples": 1\1,/' x/manifest.json
	fl-pack create -C x -o bad.part && rm -rf x
	run --separate-stderr fl-aggregate -m r0.fla -o x.fla bad.part
	[ "$status" -eq 1 ]
	assert_one_line_naming bad.part
	# Statistics are merged whole.
	run --separate-stderr fl-aggregate --partial -o x.part s.fls
	[ "$status" -eq 2 ]
	[ "$stderr" = "fl-aggregate: --partial sums updates; statistics and metrics archives are merged whole" ]
	assert_files a.part b.part other.fla r0.fla s.fls s0.csv s0.upd s1.csv s1.upd s2.csv s2.upd s3.csv s3.upd s4.csv s4.upd s5.csv s5.upd bad.part
}

@test "tree: --trust accepts a partial signed by a key in aggregator/" {
	for k in s0 s1 s2 agg coord; do fl-keygen -o keys "$k"; done
	mkdir -p trusted/coordinator trusted/aggregator
	cp keys/s0.pub keys/s1.pub keys/s2.pub trusted/
	cp keys/coord.pub trusted/coordinator/
	fl-pack sign --key keys/coord.key -o r0s.fla r0.fla && mv r0s.fla r0.fla
	for i in 0 1 2; do
		fl-train -d "s$i.csv" --sign "keys/s$i.key" -o "t$i.upd" r0.fla
	done
	fl-aggregate --trust trusted --sign keys/agg.key --partial -m r0.fla -o a.part t0.upd t1.upd
	# Not yet trusted: agg.pub is nowhere in the folder.
	run --separate-stderr fl-aggregate --trust trusted -m r0.fla -o x.fla a.part t2.upd
	[ "$status" -eq 3 ]
	assert_one_line_naming a.part
	cp keys/agg.pub trusted/aggregator/
	run --separate-stderr fl-aggregate --trust trusted -m r0.fla -o r1.fla a.part t2.upd
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
	fl-aggregate -m r0.fla -o flat.fla t0.upd t1.upd t2.upd
	[ "$(tensors r1.fla)" = "$(tensors flat.fla)" ]
	# The update signers pass through the partial into the history.
	fl-pack log r1.fla | grep -q "$(keyid keys/s0.pub)"
	fl-pack manifest r1.fla | grep -q "\"signer\": \"$(keyid keys/agg.pub)\""
	# An aggregator key signs partials only; a site key signs no partial.
	fl-aggregate --sign keys/agg.key -m r0.fla -o m.fla t0.upd
	run --separate-stderr fl-aggregate --trust trusted -o x.fla m.fla t2.upd
	[ "$status" -eq 3 ]
	[[ "$stderr" == "fl-aggregate: m.fla: signed by agg ("*"), an aggregator key; a model that names no site must be signed by a coordinator key (the trust folder's coordinator/)" ]]
	fl-aggregate --sign keys/s0.key --partial -m r0.fla -o s.part t1.upd
	run --separate-stderr fl-aggregate --trust trusted -m r0.fla -o x.fla s.part
	[ "$status" -eq 3 ]
	[[ "$stderr" == "fl-aggregate: s.part: signed by s0 ("*"), a site key; a partial must be signed by an aggregator key (the trust folder's aggregator/) or a coordinator key" ]]
}

@test "tree: examples/tree/run.sh runs the tree with make -j and xargs -P" {
	skip_under_asan "an example's claim"
	run --separate-stderr "$TOP/examples/tree/run.sh" 9 3
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "way	partials	tensors" ]
	[ "${#lines[@]}" -eq 4 ]
	f=$(printf '%s\n' "${lines[1]}" | cut -f3)
	[ "$(printf '%s\n' "${lines[2]}" | cut -f1,2)" = "make	3" ]
	[ "$(printf '%s\n' "${lines[3]}" | cut -f1,2)" = "xargs	3" ]
	[ "$(printf '%s\n' "${lines[2]}" | cut -f3)" = "$f" ]
	[ "$(printf '%s\n' "${lines[3]}" | cut -f3)" = "$f" ]
	sh -n "$TOP/examples/tree/slurm.sh"
}
