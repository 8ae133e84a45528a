#!/usr/bin/env bats
# A whole federation: pipelines, reproducibility, the example, install.

load helper
bats_require_minimum_version 1.5.0

@test "federation: init | train | aggregate | eval with no temporary file" {
	colon_sites
	run --separate-stderr sh -c "fl-init -m logreg -l death_5y \
	    -f $COLON_FEATURES | fl-train -d a.csv -e 3 --pass-model |
	    fl-aggregate | fl-eval -d test.csv"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "$output" == '{"n":'*'"auc":'* ]]
	assert_files a.csv b.csv test.csv
}

@test "federation: two runs of a round give byte-identical archives" {
	colon_sites
	for run in 1 2; do
		mkdir "$run"
		fl-stats --data a.csv -o "$run/a.fls"
		fl-stats --data b.csv -o "$run/b.fls"
		fl-aggregate -o "$run/p.fls" "$run/a.fls" "$run/b.fls"
		fl-init -m mlp:8 -l death_5y -s "$run/p.fls" \
		    -x id,recur_time,recur,death_time,death -o "$run/r0.fla"
		fl-train -d a.csv -e 2 --optimizer adam -o "$run/a.upd" "$run/r0.fla"
		fl-train -d b.csv -e 2 --optimizer adam -o "$run/b.upd" "$run/r0.fla"
		fl-aggregate -m "$run/r0.fla" -o "$run/r1.fla" "$run"/*.upd
	done
	for f in a.fls b.fls p.fls r0.fla a.upd b.upd r1.fla; do
		cmp "1/$f" "2/$f"
	done
}

@test "federation: SOURCE_DATE_EPOCH records a creation time" {
	fl-init -m logreg -l y -f a -o plain.fla
	SOURCE_DATE_EPOCH=1700000000 fl-init -m logreg -l y -f a -o dated.fla
	! cmp -s plain.fla dated.fla
	fl-pack manifest dated.fla | grep -q '"created"'
	! fl-pack manifest plain.fla | grep -q '"created"'
}

@test "federation: examples/quickstart.sh runs and the federation wins" {
	skip_under_asan "an example's claim"
	run --separate-stderr "$TOP/examples/quickstart.sh" 2
	[ "$status" -eq 0 ]
	[[ "$output" == *"== breast"* ]]
	[[ "$output" == *"== colon"* ]]
	[ "$(printf '%s\n' "$output" | grep -c 'federated beats')" -eq 2 ]
}

@test "federation: make install puts tools, pages and completions in place" {
	make -s -C "$TOP" BUILD="$BUILD" install PREFIX="$PWD/inst" >/dev/null
	for t in fl-init fl-train fl-aggregate fl-eval fl-stats fl-pack \
	    fl-simulate; do
		[ -x "inst/bin/$t" ]
		[ -f "inst/share/man/man1/$t.1" ]
	done
	[ -f inst/share/man/man5/fl-archive.5 ]
	[ -f inst/share/man/man7/fl.7 ]
	[ -f inst/share/bash-completion/completions/fl ]
	[ -f inst/share/zsh/site-functions/_fl ]
	"inst/bin/fl-init" --version
}
