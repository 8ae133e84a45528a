#!/usr/bin/env bats
# fl-train: local training into an update.

load helper
bats_require_minimum_version 1.5.0

setup() {
	enter_tmp || return 1
	colon_sites
	colon_model
}

@test "fl-train: writes an update from the received model" {
	run --separate-stderr fl-train -d a.csv -o a.upd r0.fla
	[ "$status" -eq 0 ]
	[ -z "$output" ] && [ -z "$stderr" ]
	[ "$(manifest_get a.upd kind)" = update ]
	[ "$(manifest_get a.upd parent)" = "$(manifest_get r0.fla id)" ]
	[ "$(manifest_get a.upd round)" = 0 ]
	[ "$(manifest_get a.upd site)" = a ]
	# samples: the rows of a.csv whose label is not NA
	want=$(awk -F, 'NR > 1 && $17 != "NA"' a.csv | wc -l)
	[ "$(manifest_get a.upd samples)" = "$want" ]
	assert_files a.csv b.csv test.csv stats.fls r0.fla a.upd
}

@test "fl-train: reads the model from stdin and writes stdout" {
	fl-train -d a.csv < r0.fla > a1.upd
	fl-train -d a.csv - < r0.fla > a2.upd
	fl-train -d a.csv -o a3.upd r0.fla
	cmp a1.upd a2.upd
	cmp a1.upd a3.upd
	# Every update names its site: from stdin, --site (or --sign) says.
	run --separate-stderr fl-train -d - r0.fla <a.csv
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-train: no site name: give --site NAME (the data is read from stdin)" ]
	[ -z "$output" ]
	fl-train -d - --site oslo r0.fla < a.csv > a4.upd
	[ "$(manifest_get a4.upd site)" = oslo ]
	[ "$(manifest_get a1.upd site)" = a ]
	run --separate-stderr fl-train -d a.csv --site 'a b' r0.fla
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-train: --site: not a name (1 to 128 of A-Z a-z 0-9 . _ -)" ]
}

@test "fl-train: the same seed gives the same bytes, another seed others" {
	fl-train -d a.csv --seed 3 -o x.upd r0.fla
	fl-train -d a.csv --seed 3 -o y.upd r0.fla
	fl-train -d a.csv --seed 4 -o z.upd r0.fla
	cmp x.upd y.upd
	! cmp -s x.upd z.upd
}

@test "fl-train: hyperparameters are used and recorded" {
	fl-train -d a.csv -e 3 -b 16 --lr 0.05 --momentum 0.5 --l2 0.01 \
	    --seed 9 --site st-mary -o u.upd r0.fla
	m=$(fl-pack manifest u.upd | tr -d ' \n')
	[[ "$m" == *'"epochs":3'* ]]
	[[ "$m" == *'"batch":16'* ]]
	[[ "$m" == *'"lr":0.05'* ]]
	[[ "$m" == *'"momentum":0.5'* ]]
	[[ "$m" == *'"l2":0.01'* ]]
	[[ "$m" == *'"seed":9'* ]]
	[[ "$m" == *'"optimizer":"sgd"'* ]]
	[ "$(manifest_get u.upd site)" = st-mary ]
	fl-train -d a.csv --optimizer adam -o v.upd r0.fla
	m=$(fl-pack manifest v.upd | tr -d ' \n')
	[[ "$m" == *'"optimizer":"adam"'* ]]
	[[ "$m" == *'"lr":0.01'* ]]
	# Each flag changes the result.
	fl-train -d a.csv -o base.upd r0.fla
	for f in "-e 2" "-b 8" "--lr 0.2" "--momentum 0.9" "--l2 0.5" \
	    "--optimizer adam"; do
		# shellcheck disable=SC2086
		fl-train -d a.csv $f -o f.upd r0.fla
		! cmp -s base.upd f.upd
	done
}

@test "fl-train: more epochs lower the training loss" {
	fl-train -d a.csv -e 1 -o e1.upd r0.fla
	fl-train -d a.csv -e 20 -o e20.upd r0.fla
	l1=$(fl-pack manifest e1.upd | sed -n 's/^ *"loss": \([^,]*\),*$/\1/p')
	l20=$(fl-pack manifest e20.upd | sed -n 's/^ *"loss": \([^,]*\),*$/\1/p')
	[ -n "$l1" ] && [ -n "$l20" ]
	awk -v a="$l1" -v b="$l20" 'BEGIN { exit !(b < a) }'
}

@test "fl-train: --pass-model writes the model, then the update" {
	fl-train -d a.csv --pass-model -o both.fla r0.fla
	run fl-pack manifest both.fla
	[ "$(printf '%s\n' "$output" | grep -c '"kind": "model"')" -eq 1 ]
	[ "$(printf '%s\n' "$output" | grep -c '"kind": "update"')" -eq 1 ]
	fl-train -d a.csv -o u.upd r0.fla
	cat r0.fla u.upd | cmp - both.fla
}

@test "fl-train: --progress draws on stderr, the default does not" {
	run --separate-stderr fl-train -d a.csv --progress -o u.upd r0.fla
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"training"*"100%"* ]]
	run --separate-stderr fl-train -d a.csv --progress --no-progress -o u.upd r0.fla
	[ -z "$stderr" ]
}

@test "fl-train: a missing column is named, and nothing is written" {
	cut -d, -f1-5,7- a.csv > noage.csv
	run --separate-stderr fl-train -d noage.csv -o u.upd r0.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming noage.csv
	[[ "$stderr" == *"age"* ]]
	[ ! -e u.upd ]
}

@test "fl-train: a non-number names file, line and column" {
	sed '3s/^\([^,]*\),\([^,]*\),/\1,abc,/' a.csv > bad.csv
	run --separate-stderr fl-train -d bad.csv -o u.upd r0.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming "bad.csv:3"
	[[ "$stderr" == *"rx"* ]]
	[ ! -e u.upd ]
}

@test "fl-train: refuses an update, garbage and a tampered model" {
	fl-train -d a.csv -o u.upd r0.fla
	run --separate-stderr fl-train -d a.csv -o v.upd u.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming u.upd
	head -c 700 r0.fla > cut.fla
	run --separate-stderr fl-train -d a.csv -o v.upd cut.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming cut.fla
	[ ! -e v.upd ]
}

@test "fl-train: usage errors exit 2" {
	run --separate-stderr fl-train r0.fla
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--data is required"* ]]
	run --separate-stderr fl-train -d - -
	[ "$status" -eq 2 ]
	run --separate-stderr fl-train -d a.csv --lr abc r0.fla
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--lr: 'abc' is not a number"* ]]
	run --separate-stderr fl-train -d a.csv --optimizer rmsprop r0.fla
	[ "$status" -eq 2 ]
	run --separate-stderr fl-train -d a.csv -e 0 r0.fla
	[ "$status" -eq 2 ]
	run --separate-stderr fl-train -d a.csv r0.fla r0.fla
	[ "$status" -eq 2 ]
}

@test "fl-train: -o /dev/full fails" {
	run --separate-stderr fl-train -d a.csv -o /dev/full r0.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming /dev/full
}

@test "fl-train: --prox-mu changes the update and is recorded" {
	fl-train -d a.csv -e 3 -o base.upd r0.fla
	fl-train -d a.csv -e 3 --prox-mu 0.5 -o p.upd r0.fla
	! cmp -s base.upd p.upd
	m=$(fl-pack manifest p.upd | tr -d ' \n')
	[[ "$m" == *'"prox_mu":0.5'* ]]
	m=$(fl-pack manifest base.upd | tr -d ' \n')
	[[ "$m" != *prox_mu* ]]
	# mu 0 is FedAvg's update, byte for byte.
	fl-train -d a.csv -e 3 --prox-mu 0 -o z.upd r0.fla
	cmp base.upd z.upd
	run --separate-stderr fl-train -d a.csv --prox-mu -1 r0.fla
	[ "$status" -eq 2 ]
	run --separate-stderr fl-train -d a.csv --prox-mu x r0.fla
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--prox-mu: 'x' is not a number"* ]]
}

@test "fl-train: --scaffold keeps the site's state between rounds" {
	run --separate-stderr fl-train -d a.csv --scaffold a.state -o u1.upd r0.fla
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
	[ "$(manifest_get a.state kind)" = state ]
	[ "$(manifest_get a.state state)" = scaffold ]
	[ "$(manifest_get a.state trained)" = "$(manifest_get r0.fla id)" ]
	fl-pack list u1.upd | grep -q '^state/scaffold_dc	F32	12$'
	fl-pack list a.state | grep -q '^scaffold_ci	F32	12$'
	m=$(fl-pack manifest u1.upd | tr -d ' \n')
	[[ "$m" == *'"scaffold":true'* ]]
	# Training the same model again gives the same update and state.
	cp a.state first.state
	fl-train -d a.csv --scaffold a.state -o u2.upd r0.fla
	cmp u1.upd u2.upd
	cmp a.state first.state
	# The next round moves the state on, bound to the new model.
	fl-train -d b.csv -o b.upd r0.fla
	fl-aggregate -m r0.fla -o r1.fla u1.upd b.upd
	fl-train -d a.csv --scaffold a.state -o s2.upd r1.fla
	[ "$(manifest_get a.state trained)" = "$(manifest_get r1.fla id)" ]
	! cmp -s a.state first.state
	assert_files a.csv b.csv test.csv stats.fls r0.fla r1.fla a.state \
	    first.state u1.upd u2.upd b.upd s2.upd
}

@test "fl-train: --scaffold refuses another model's state, adam and momentum" {
	fl-train -d a.csv --scaffold a.state -o u.upd r0.fla
	fl-init -m mlp:4 -l death_5y -f "$COLON_FEATURES" -s stats.fls -o mlp.fla
	run --separate-stderr fl-train -d a.csv --scaffold a.state -o v.upd mlp.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming a.state
	[ ! -e v.upd ]
	run --separate-stderr fl-train -d a.csv --scaffold x.state \
	    --optimizer adam r0.fla
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--scaffold needs plain SGD"* ]]
	run --separate-stderr fl-train -d a.csv --scaffold x.state \
	    --momentum 0.9 r0.fla
	[ "$status" -eq 2 ]
	[ ! -e x.state ]
	run --separate-stderr fl-train -d a.csv --scaffold a.csv -o v.upd r0.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming a.csv
}

@test "fl-train: DP-SGD records its privacy; seeded noise repeats" {
	fl-train -d a.csv -e 5 --dp-clip 1 --dp-noise 1.1 -o d.upd r0.fla
	m=$(fl-pack manifest d.upd | tr -d ' \n')
	[[ "$m" == *'"privacy":{"accountant":"rdp","clip":1.0,"delta":1'*'e-5,"epsilon":'* ]]
	[[ "$m" == *'"noise":"openssl"'* ]]
	[[ "$m" == *'"sigma":1.1'* ]]
	[[ "$m" == *'"dp_clip":1.0'* ]]
	n=$(manifest_get d.upd samples)
	steps=$(( 5 * ((n + 31) / 32) ))
	[[ "$m" == *"\"steps\":$steps,\"unit\":\"row\""* ]]
	# OpenSSL's noise differs every time; a --dp-seed repeats.
	fl-train -d a.csv -e 5 --dp-clip 1 --dp-noise 1.1 -o e.upd r0.fla
	! cmp -s d.upd e.upd
	fl-train -d a.csv --dp-clip 1 --dp-noise 1.1 --dp-seed 3 -o s1.upd r0.fla
	fl-train -d a.csv --dp-clip 1 --dp-noise 1.1 --dp-seed 3 -o s2.upd r0.fla
	cmp s1.upd s2.upd
	[[ "$(fl-pack manifest s1.upd | tr -d ' \n')" == *'"noise":"seeded"'* ]]
	# More noise, less epsilon; a larger delta, less epsilon.
	e1=$(fl-pack manifest s1.upd | sed -n 's/^ *"epsilon": \([^,]*\),*$/\1/p')
	fl-train -d a.csv --dp-clip 1 --dp-noise 3 --dp-seed 3 -o s3.upd r0.fla
	e3=$(fl-pack manifest s3.upd | sed -n 's/^ *"epsilon": \([^,]*\),*$/\1/p')
	fl-train -d a.csv --dp-clip 1 --dp-noise 1.1 --dp-delta 1e-3 \
	    --dp-seed 3 -o s4.upd r0.fla
	e4=$(fl-pack manifest s4.upd | sed -n 's/^ *"epsilon": \([^,]*\),*$/\1/p')
	awk -v a="$e1" -v b="$e3" -v c="$e4" 'BEGIN { exit !(b < a && c < a) }'
	# Without DP there is no privacy record.
	fl-train -d a.csv -o p.upd r0.fla
	[ -z "$(manifest_get p.upd privacy)" ]
}

@test "fl-train: DP flags alone or out of range exit 2" {
	for f in "--dp-clip 1" "--dp-noise 1" "--dp-delta 1e-5" "--dp-seed 1" \
	    "--dp-clip 0 --dp-noise 1" "--dp-clip 1 --dp-noise -1" \
	    "--dp-clip 1 --dp-noise 1 --dp-delta 0" \
	    "--dp-clip 1 --dp-noise 1 --dp-delta 1" \
	    "--dp-clip abc --dp-noise 1"; do
		# shellcheck disable=SC2086
		run --separate-stderr fl-train -d a.csv $f -o u.upd r0.fla
		[ "$status" -eq 2 ]
		[[ "$stderr" == *"Try 'fl-train --help'."* ]]
	done
	[ ! -e u.upd ]
}

@test "fl-train: examples/noniid.sh compares FedAvg, FedProx and DP-SGD" {
	skip_under_asan "an example's claim"
	run --separate-stderr "$TOP/examples/noniid.sh" 2
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "$output" == *"method	auc_round1	auc_final"* ]]
	printf '%s\n' "$output" | grep -Eq '^fedavg	0\.[0-9]+	0\.[0-9]+'
	printf '%s\n' "$output" | grep -Eq '^fedprox_mu0.1	0\.[0-9]+'
	printf '%s\n' "$output" | grep -Eq '^(scaffold	0\.|scaffold	skipped)'
	printf '%s\n' "$output" | grep -Eq '^2.0	[0-9.]+	0\.[0-9]+$'
}
