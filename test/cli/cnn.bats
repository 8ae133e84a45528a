#!/usr/bin/env bats
# cnn: convolutional models end to end (fl-init --input, fl-train,
# fl-aggregate, fl-eval) on a few bundled MNIST digits, and
# examples/imaging.sh in small.

load helper
bats_require_minimum_version 1.5.0

NET=cnn:conv8k5,pool2,conv16k5,pool2,dense64

# The first n digits (balanced: rows cycle through the classes) as d.csv.
digits() {
	gzip -dc "$DATA/mnist_2000.csv.gz" | head -n "$(($1 + 1))" >d.csv
}

@test "cnn: fl-init --input lays out conv tensors and standardises per channel" {
	digits 50
	fl-stats --data d.csv -o s.fls
	run --separate-stderr fl-init -m "$NET" --input 1x28x28 -l label \
	    -t multiclass -s s.fls -o m.fla
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	run fl-pack list m.fla
	[ "${lines[1]}" = "$(printf 'conv0.weight\tF32\t8,1,5,5')" ]
	[ "${lines[2]}" = "$(printf 'conv0.bias\tF32\t8')" ]
	[ "${lines[3]}" = "$(printf 'conv1.weight\tF32\t16,8,5,5')" ]
	[ "${lines[5]}" = "$(printf 'fc0.weight\tF32\t64,784')" ]
	[ "${lines[7]}" = "$(printf 'fc1.weight\tF32\t10,64')" ]
	run fl-pack manifest m.fla
	printf '%s' "$output" | grep -q \
	    '"spec": "cnn:1x28x28:conv8k5,pool2,conv16k5,pool2,dense64"'
	printf '%s' "$output" | grep -q '"params": 54314'
	# One mean and one scale for all 784 pixels: the pooled ones.
	means=$(printf '%s' "$output" | tr -d ' \n' |
	    grep -o '"mean":\[[^]]*\]' | tr -d '"mean:[]' | tr , '\n' |
	    sort -u)
	[ "$(printf '%s\n' "$means" | wc -l)" -eq 1 ]
	want=$(awk -F, 'NR > 1 { for (i = 2; i <= NF; i++) { s += $i; n++ } }
	    END { printf "%.9g", s / n }' d.csv)
	awk -v a="$means" -v b="$want" 'BEGIN { exit !(a - b < 1e-6 && b - a < 1e-6) }'
	scales=$(printf '%s' "$output" | tr -d ' \n' |
	    grep -o '"scale":\[[^]]*\]' | tr -d '"scale:[]' | tr , '\n' |
	    sort -u | wc -l)
	[ "$scales" -eq 1 ]
}

@test "cnn: fl-init refuses a bad --input or cnn spec, writing nothing" {
	digits 20
	fl-stats --data d.csv -o s.fls
	for bad in 1x28 1x28x28x1 axbxc 1x-28x28 0x28x28 ' 1x28x28'; do
		run --separate-stderr fl-init -m "$NET" --input "$bad" \
		    -l label -t multiclass -s s.fls -o m.fla
		# A usage error: the reason, then the usage.
		[ "$status" -eq 2 ]
		[[ ${stderr_lines[0]} == "fl-init: --input: '$bad' is not CxHxW" ]]
	done
	run --separate-stderr fl-init -m mlp:8 --input 1x28x28 -l label \
	    -t multiclass -s s.fls -o m.fla
	[ "$status" -eq 2 ]
	[[ ${stderr_lines[0]} == "fl-init: --input is for cnn: models" ]]
	run --separate-stderr fl-init -m "$NET" --input 1x28x27 -l label \
	    -t multiclass -s s.fls -o m.fla
	[ "$status" -eq 2 ]
	assert_one_line_naming "1x28x27"
	run --separate-stderr fl-init -m "$NET" -l label -t multiclass \
	    -s s.fls -o m.fla
	[ "$status" -eq 2 ]
	assert_one_line_naming "--input CxHxW"
	for spec in cnn:conv8k5,dense4,pool2 cnn:conv8 cnn:pool40 \
	    cnn:conv8k5s0 cnn:drop2,gap cnn:conv8k5,drop0 cnn:dense8; do
		run --separate-stderr fl-init -m "$spec" --input 1x28x28 \
		    -l label -t multiclass -s s.fls -o m.fla
		# The message names the spec joined with --input.
		[ "$status" -eq 2 ]
		assert_one_line_naming "${spec#cnn:}"
	done
	assert_files d.csv s.fls
}

@test "cnn: train, aggregate with every strategy, evaluate" {
	digits 300
	head -n 201 d.csv >a.csv
	{ head -n 1 d.csv; sed -n '202,251p' d.csv; } >b.csv
	{ head -n 1 d.csv; sed -n '252,301p' d.csv; } >test.csv
	fl-stats --data a.csv -o s.fls
	fl-init -m "$NET" --input 1x28x28 -l label -t multiclass -s s.fls \
	    -o r0.fla
	for s in a b; do
		run --separate-stderr fl-train -d "$s.csv" -e 3 -b 32 \
		    --optimizer adam --lr 0.002 -o "$s.upd" r0.fla
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
	done
	# Krum needs five updates.
	n=4
	for s in c d e; do
		n=$((n + 1))
		fl-train -d b.csv -e 1 --optimizer adam --lr 0.002 \
		    --seed "$n" --site "$s" -o "$s.upd" r0.fla
	done
	for st in fedavg fedavgm fedadam fedyogi fedadagrad median \
	    trimmed-mean krum multi-krum; do
		run --separate-stderr fl-aggregate --strategy "$st" -m r0.fla \
		    -o "$st.fla" a.upd b.upd c.upd d.upd e.upd
		[ "$status" -eq 0 ] || { echo "$st: $stderr"; false; }
		fl-eval -d test.csv "$st.fla" >/dev/null
	done
	run --separate-stderr fl-eval -d test.csv fedavg.fla
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	acc=$(printf '%s' "$output" | sed 's/.*"accuracy":\([0-9.]*\).*/\1/')
	# Five updates, three of one epoch: still well above chance (0.1).
	awk -v a="$acc" 'BEGIN { exit !(a > 0.3) }'
	run fl-eval -p -d test.csv fedavg.fla
	# One JSON line per digit, with its ten probabilities.
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 50 ]
	[[ ${lines[0]} == '{"label":'*'"pred":'*'"p":['* ]]
}

@test "cnn: dropout is seeded in training and off in prediction" {
	digits 60
	fl-stats --data d.csv -o s.fls
	fl-init -m cnn:conv4k3,pool2,drop0.5,dense16 --input 1x28x28 \
	    -l label -t multiclass --classes 10 -s s.fls -o r0.fla
	fl-train -d d.csv --seed 3 -o a.upd r0.fla
	fl-train -d d.csv --seed 3 -o b.upd r0.fla
	cmp -s a.upd b.upd
	fl-train -d d.csv --seed 4 -o c.upd r0.fla
	run ! cmp -s a.upd c.upd
	fl-aggregate -m r0.fla -o r1.fla a.upd
	fl-eval -p -d d.csv r1.fla >p1
	fl-eval -p -d d.csv r1.fla >p2
	cmp -s p1 p2
}

@test "cnn: examples/imaging.sh runs a small federation" {
	skip_under_asan "an example's claim"
	run --separate-stderr "$TOP/examples/imaging.sh" 2 300
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(printf 'model\tdigits trained on\theld-out accuracy')" ]
	[ "${#lines[@]}" -eq 7 ]
	[[ ${lines[1]} == "federated (4 sites)"* ]]
	re=$'\t(0\\.[0-9]{3}|1\\.000)$'
	for i in 1 2 3 4 5 6; do
		[[ ${lines[$i]} =~ $re ]]
	done
	# Pooled training on 240 digits beats chance by far.
	awk -F'\t' 'NR == 3 { exit !($3 > 0.5) }' <<<"$output"
}
