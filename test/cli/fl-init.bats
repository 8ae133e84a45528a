#!/usr/bin/env bats
# fl-init: round 0's model.

load helper
bats_require_minimum_version 1.5.0

@test "fl-init: logreg with --features writes a round-0 model" {
	run --separate-stderr fl-init -m logreg -l death_5y -f age,nodes -o m.fla
	[ "$status" -eq 0 ]
	[ -z "$output" ] && [ -z "$stderr" ]
	[ "$(manifest_get m.fla kind)" = model ]
	[ "$(manifest_get m.fla round)" = 0 ]
	[ "$(manifest_get m.fla parent)" = null ]
	run fl-pack list m.fla
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(printf 'name\tdtype\tshape')" ]
	[ "${lines[1]}" = "$(printf 'fc0.weight\tF32\t1,2')" ]
	[ "${lines[2]}" = "$(printf 'fc0.bias\tF32\t1')" ]
	assert_files m.fla
}

@test "fl-init: --stats gives every column but the label and --exclude" {
	fl-stats --data "$DATA/colon.csv" -o s.fls
	fl-init -m logreg -l death_5y -s s.fls \
	    -x id,recur_time,recur,death_time,death -o m.fla
	run fl-pack manifest m.fla
	feats=$(printf '%s' "$output" | tr -d ' \n' |
	    grep -o '"features":\[[^]]*\]')
	[ "$feats" = '"features":["rx","sex","age","obstruct","perfor","adhere","nodes","differ","extent","surg","node4"]' ]
	# Standardisation comes from the pooled statistics: age's mean.
	mean=$(fl-stats --tsv s.fls | awk -F'\t' '$1 == "age" { print $4 }')
	printf '%s' "$output" | tr -d ' \n' | grep -q "\"mean\":\[[^]]*\]"
	got=$(printf '%s' "$output" | tr -d ' \n' |
	    grep -o '"mean":\[[^]]*\]' | tr -d '"mean:[]' | cut -d, -f3)
	awk -v a="$got" -v b="$mean" 'BEGIN { exit !(a - b < 1e-6 && b - a < 1e-6) }'
}

@test "fl-init: the same seed gives the same bytes, another seed others" {
	fl-init -m mlp:8 -l death_5y -f age,nodes --seed 7 -o a.fla
	fl-init -m mlp:8 -l death_5y -f age,nodes --seed 7 -o b.fla
	fl-init -m mlp:8 -l death_5y -f age,nodes --seed 8 -o c.fla
	cmp a.fla b.fla
	! cmp -s a.fla c.fla
}

@test "fl-init: mlp layers and multiclass classes from --stats" {
	fl-stats --data "$DATA/colon.csv" -o s.fls
	fl-init -m mlp:8,4 -l death_5y -f age,nodes,sex -o m.fla
	fl-pack manifest m.fla | tr -d ' \n' | grep -q '"layers":\[3,8,4,1\]'
	fl-init -m softmax -l differ -f age,nodes -s s.fls -o k.fla
	fl-pack manifest k.fla | tr -d ' \n' | grep -q '"classes":4'
	fl-init -m softmax -l differ -f age,nodes --classes 5 -o k5.fla
	fl-pack manifest k5.fla | tr -d ' \n' | grep -q '"classes":5'
	fl-init -m linear -l age -f nodes -o r.fla
	fl-pack manifest r.fla | tr -d ' \n' | grep -q '"task":"regression"'
}

@test "fl-init: usage errors exit 2" {
	run --separate-stderr fl-init -m logreg -l y
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"give --features or --stats"* ]]
	run --separate-stderr fl-init -m nosuch -l y -f a -o m.fla
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"nosuch"* ]]
	run --separate-stderr fl-init -m logreg -t regression -l y -f a -o m.fla
	[ "$status" -eq 2 ]
	run --separate-stderr fl-init -m softmax -l y -f a -o m.fla
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--classes"* ]]
	run --separate-stderr fl-init -m logreg -l y -f a,b,a -o m.fla
	[ "$status" -eq 2 ]
	run --separate-stderr fl-init -m logreg -l y -f a --seed -1 -o m.fla
	[ "$status" -eq 2 ]
	run --separate-stderr fl-init -m logreg -l y -f a --classes x -o m.fla
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--classes: 'x' is not a number"* ]]
	assert_files
}

@test "fl-init: a bad --stats file fails naming it, writing nothing" {
	run --separate-stderr fl-init -m logreg -l y -s nosuch.fls -o m.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming nosuch.fls
	printf 'garbage' > bad.fls
	run --separate-stderr fl-init -m logreg -l y -s bad.fls -o m.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming bad.fls
	fl-stats --data "$DATA/colon.csv" -o s.fls
	run --separate-stderr fl-init -m logreg -l death_5y -s s.fls -x nosuch -o m.fla
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"nosuch"* ]]
	assert_files bad.fls s.fls
}

@test "fl-init: -o into a missing directory or /dev/full fails cleanly" {
	run --separate-stderr fl-init -m logreg -l y -f a -o nodir/m.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming nodir/m.fla
	run --separate-stderr fl-init -m logreg -l y -f a -o /dev/full
	[ "$status" -eq 1 ]
	assert_files
}

@test "fl-init: writes stdout when no -o is given" {
	fl-init -m logreg -l y -f a,b > m.fla
	[ "$(manifest_get m.fla kind)" = model ]
	run --separate-stderr sh -c 'fl-init -m logreg -l y -f a > /dev/full'
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"<stdout>"* ]]
}
