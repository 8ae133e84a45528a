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

@test "fl-init: a label missing from --stats exits 1 naming it, writing nothing" {
	fl-stats --data "$DATA/colon.csv" -o pooled.fls
	run --separate-stderr fl-init -m logreg -l relapse -s pooled.fls -o m.fla
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-init: pooled.fls: no column 'relapse' (the label)" ]
	run --separate-stderr fl-init -m logreg -l relapse -f age -s pooled.fls \
	    -o m.fla
	[ "$status" -eq 1 ]
	assert_files pooled.fls
}

@test "fl-init: a label that does not fit the task is refused" {
	fl-stats --data "$DATA/colon.csv" -o s.fls
	run --separate-stderr fl-init -m logreg -l nodes -s s.fls -o m.fla
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-init: s.fls: label 'nodes' is not 0/1 (min 0, max 33)" ]
	# 0.5 lies in 0..1 but is not 0/1: its square differs from it.
	printf 'y,x\n0,1\n0.5,2\n1,3\n' > h.csv
	fl-stats --data h.csv -o h.fls
	run --separate-stderr fl-init -m logreg -l y -s h.fls -o m.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming h.fls
	run --separate-stderr fl-init -m softmax -l differ -s s.fls --classes 3 \
	    -o m.fla
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"label 'differ' is not a class index 0..2"* ]]
	run --separate-stderr fl-init -m softmax -l y -s h.fls -o m.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming h.fls
	run --separate-stderr fl-init -m cox --time death_time --event nodes \
	    -s s.fls -o m.fla
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"label 'nodes' is not 0/1"* ]]
	assert_files s.fls h.csv h.fls
}

@test "fl-init: -v names the features chosen and left out; quiet otherwise" {
	fl-stats --data "$DATA/colon.csv" -o s.fls
	run --separate-stderr fl-init -v -m logreg -l death_5y -s s.fls \
	    -x id,recur_time,recur,death_time,death -o m.fla
	[ "$status" -eq 0 ]
	[ "$stderr" = "fl-init: 11 features: rx, sex, age, obstruct, perfor, adhere, nodes, differ, extent, surg, node4; excluded: id, recur_time, recur, death_time, death (by -x), death_5y (the label)" ]
	run --separate-stderr fl-init -m logreg -l death_5y -s s.fls -o m.fla
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run --separate-stderr fl-init -v -q -m logreg -l death_5y -s s.fls -o m.fla
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run --separate-stderr fl-init -v -m cox --time death_time --event death \
	    -f age,nodes,id -x id -o m.fla
	[ "$status" -eq 0 ]
	[ "$stderr" = "fl-init: 2 features: age, nodes; excluded: id (by -x)" ]
}

@test "fl-init: -v warns about constant and row-number columns" {
	printf 'row,k,age,y\n1,5,60,0\n2,5,71,1\n3,5,55,0\n4,5,68,1\n' > d.csv
	fl-stats --data d.csv -o d.fls
	run --separate-stderr fl-init -v -m logreg -l y -s d.fls -o m.fla
	[ "$status" -eq 0 ]
	[ "${#stderr_lines[@]}" -eq 3 ]
	[ "${stderr_lines[0]}" = "fl-init: 3 features: row, k, age; excluded: y (the label)" ]
	[ "${stderr_lines[1]}" = "fl-init: warning: d.fls: column 'row' looks like a row number or identifier (1..4, each value about once); exclude it with -x" ]
	[ "${stderr_lines[2]}" = "fl-init: warning: d.fls: column 'k' is constant (5)" ]
	run --separate-stderr fl-init -m logreg -l y -s d.fls -x row,k -v -o m.fla
	[ "$status" -eq 0 ]
	[ "$stderr" = "fl-init: 1 feature: age; excluded: row, k (by -x), y (the label)" ]
}

@test "fl-init: -v warns about an identifier with gaps, not a measurement" {
	# 50 patients numbered 1..60 with every sixth number unused, and an
	# age that is whole but not spread evenly over its range.
	awk 'BEGIN { print "pid,age,y"; for (i = 1; i <= 60; i++)
	    if (i % 6) print i "," 40 + int(i * i / 200) "," i % 2 }' > d.csv
	fl-stats --data d.csv -o d.fls
	run --separate-stderr fl-init -v -m logreg -l y -s d.fls -o m.fla
	[ "$status" -eq 0 ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	[ "${stderr_lines[1]}" = "fl-init: warning: d.fls: column 'pid' looks like a row number or identifier (1..59, each value about once); exclude it with -x" ]
}

# Two sites of a small table with text levels: sex, grade (I, II, III) and
# site b's grade IV, which site a never saw.
cat_sites() {
	printf 'y,sex,grade,age\n1,female,II,61\n0,male,I,40\n1,male,III,55\n0,female,I,38\n1,female,III,70\n0,male,II,45\n' >a.csv
	printf 'y,sex,grade,age\n1,male,III,66\n0,female,I,NA\n1,female,NA,59\n0,male,II,41\n' >b.csv
	fl-stats --data a.csv --categorical sex,grade -o a.fls
	fl-stats --data b.csv --categorical sex,grade -o b.fls
	fl-aggregate -o p.fls a.fls b.fls
}

@test "fl-init --categorical: features col=level, the first level left out" {
	cat_sites
	run --separate-stderr fl-init -v -m logreg -l y -s p.fls \
	    --categorical grade,sex -o m.fla
	[ "$status" -eq 0 ]
	[ "${stderr_lines[0]}" = "fl-init: 4 features: sex=male, grade=II, grade=III, age; excluded: y (the label)" ]
	[ "${stderr_lines[1]}" = "fl-init: grade: 3 levels, reference I (all zeros)" ]
	[ "${stderr_lines[2]}" = "fl-init: sex: 2 levels, reference female (all zeros)" ]
	run fl-pack manifest m.fla
	flat=$(printf '%s' "$output" | tr -d ' \n')
	case $flat in *'"features":["sex=male","grade=II","grade=III","age"]'*) ;;
	*) echo "$flat"; false ;; esac
	case $flat in *'"grade":{"levels":["I","II","III"],"reference":"I"}'*) ;;
	*) echo "$flat"; false ;; esac
	# Missing cells impute each level's share: grade II is 3 of 9.
	case $flat in *'"impute":[0.5,0.33333333333333331,0.33333333333333331,'*) ;;
	*) echo "$flat"; false ;; esac
	# With hidden layers every level is a feature.
	fl-init -m mlp:4 -l y -s p.fls --categorical grade,sex -o h.fla
	run fl-pack manifest h.fla
	flat=$(printf '%s' "$output" | tr -d ' \n')
	case $flat in *'"features":["sex=female","sex=male","grade=I","grade=II","grade=III","age"]'*) ;;
	*) echo "$flat"; false ;; esac
	case $flat in *'"reference":null'*) ;; *) false ;; esac
}

@test "fl-init --categorical: sites train and score text levels, unknown ones too" {
	cat_sites
	fl-init -m logreg -l y -s p.fls --categorical sex,grade -o m.fla
	printf '1,female,IV,50\n' >>b.csv
	run --separate-stderr fl-train -q -d a.csv -e 2 -o a.upd m.fla
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run --separate-stderr fl-train -q -d b.csv -e 2 -o b.upd m.fla
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	fl-aggregate -m m.fla -o r1.fla a.upd b.upd
	run --separate-stderr fl-eval -d b.csv r1.fla
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	case $output in '{"n":5,'*) ;; *) echo "$output"; false ;; esac
	# fl-value reads the text levels through the model too.
	run --separate-stderr fl-value -m m.fla -d b.csv --format tsv a.upd b.upd
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	# Text elsewhere is still refused, naming file, line and column.
	printf 'y,sex,grade,age\n1,female,I,old\n' >c.csv
	run --separate-stderr fl-train -d c.csv -o c.upd r1.fla
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-train: c.csv:2: column 'age': not a number: 'old'" ]
	[ ! -e c.upd ]
}

@test "fl-init --categorical: refused without levels, with too many, off the features" {
	cat_sites
	cut -d, -f1,4 a.csv >n.csv
	fl-stats --data n.csv -o plain.fls
	run --separate-stderr fl-init -m logreg -l y -s plain.fls --categorical age
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "fl-init: plain.fls: column 'age' has no recorded levels (every site needs fl-stats --categorical age)" ]
	seq 0 70 | awk 'BEGIN { print "y,id" } { print $1 % 2 "," $1 }' >many.csv
	fl-stats --data many.csv --categorical id -o many.fls
	run --separate-stderr fl-init -m logreg -l y -s many.fls --categorical id
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-init: many.fls: column 'id' has too many levels for --categorical (over 64)" ]
	printf 'y,g\n1,a\n0,a\n' >one.csv
	fl-stats --data one.csv --categorical g -o one.fls
	run --separate-stderr fl-init -m logreg -l y -s one.fls --categorical g
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-init: one.fls: column 'g' has 1 level; --categorical needs 2 or more" ]
	run --separate-stderr fl-init -m logreg -l y -s p.fls -x sex --categorical sex
	[ "$status" -eq 2 ]
	[ "$stderr" = "fl-init: --categorical: 'sex' is not a feature" ]
	run --separate-stderr fl-init -m logreg -l y -s p.fls --categorical nope
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-init: p.fls: no column 'nope' (--categorical)" ]
	run --separate-stderr fl-init -m logreg -l y -f age,sex --categorical sex
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-init: --categorical needs --stats (the levels)" ]
}

@test "fl-init --categorical: a model with broken levels is refused with one line" {
	cat_sites
	fl-init -m logreg -l y -s p.fls --categorical sex,grade -o m.fla
	fl-pack extract -C x m.fla
	sed -i 's/"reference": "I"$/"reference": "IV"/' x/manifest.json
	fl-pack create -C x -o bad.fla
	run --separate-stderr fl-train -d a.csv -o a.upd bad.fla
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "fl-train: bad.fla: preprocess.categorical.grade: the reference is none of its levels" ]
	[ ! -e a.upd ]
	sed -i -e 's/"reference": "IV"$/"reference": "I"/' \
	    -e 's/"grade=II",$/"grade=I",/' x/manifest.json
	fl-pack create -C x -o bad.fla
	run --separate-stderr fl-eval -d a.csv bad.fla
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-eval: bad.fla: features name level 'I' of categorical column 'grade' 1 times" ]
}
