#!/usr/bin/env bats
# fl-aggregate's strategies, clipping and central differential privacy:
# one test at least per option, each failing without it, and the
# demonstrations on real data (examples/robust.sh, examples/privacy.sh).

load helper
bats_require_minimum_version 1.5.0

# Five sites on colon (s1..s5.csv) and their updates of r0.fla.
setup() {
	enter_tmp || return 1
	awk -F, 'NR == 1 { for (i = 1; i <= 5; i++) print > ("s" i ".csv")
		print > "test.csv"; next }
	NR % 5 == 0 { print > "test.csv"; next }
	{ print > ("s" (NR % 4 + 1 + (NR % 7 == 0)) ".csv") }' \
	    "$DATA/colon.csv"
	for i in 1 2 3 4 5; do fl-stats --data "s$i.csv" -o "s$i.fls"; done
	fl-aggregate -o stats.fls s?.fls
	fl-init -m logreg -l death_5y -f "$COLON_FEATURES" -s stats.fls \
	    -o r0.fla
	for i in 1 2 3 4 5; do
		fl-train -d "s$i.csv" -e 2 -o "s$i.upd" r0.fla
	done
}

# A key of the manifest's "strategy_params" or "privacy" object.
inner_get() {
	fl-pack manifest "$1" | tr -d ' \n' |
	    sed -n "s/.*\"$2\":{\([^}]*\)}.*/\1/p" | tr ',' '\n' |
	    sed -n "s/^\"$3\":\(.*\)\$/\1/p" | tr -d '"'
}

# Whether number $1 equals $2 as a double.
num_eq() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 == b + 0 && a != "") }'
}

# The names of the state/ tensors of an archive.
states() {
	fl-pack list "$1" | awk '$1 ~ /^state\// { print $1 }' | tr '\n' ' '
}

@test "strategy: every strategy writes a model that names it and its parameters" {
	for s in fedavg fedavgm fedadam fedyogi fedadagrad median \
	    trimmed-mean krum multi-krum; do
		fl-aggregate --strategy "$s" -m r0.fla -o "$s.fla" s?.upd
		[ "$(manifest_get "$s.fla" strategy)" = "$s" ]
		fl-pack manifest "$s.fla" | grep -q '"strategy_params"'
		fl-eval -d test.csv "$s.fla" > /dev/null
	done
	! cmp -s fedavg.fla median.fla
	! cmp -s median.fla trimmed-mean.fla
	[ "$(states fedadam.fla)" = "state/fedopt_m state/fedopt_v " ]
	[ "$(states fedavgm.fla)" = "state/fedopt_m " ]
	[ -z "$(states fedavg.fla)" ]
	[ "$(inner_get krum.fla strategy_params byzantine)" = 1 ]
}

@test "strategy: --server-lr and --server-momentum change fedavgm's step" {
	fl-aggregate --strategy fedavgm -m r0.fla -o a.fla s?.upd
	fl-aggregate --strategy fedavgm --server-lr 0.5 -m r0.fla -o b.fla \
	    s?.upd
	! cmp -s a.fla b.fla
	num_eq "$(inner_get b.fla strategy_params server_lr)" 0.5
	# Momentum acts from the second round, through the carried state.
	for m in 0 0.9; do
		fl-aggregate --strategy fedavgm --server-momentum "$m" \
		    -m r0.fla -o "m$m.r1" s?.upd
		fl-train -d s1.csv -o "m$m.upd" "m$m.r1"
		fl-aggregate --strategy fedavgm --server-momentum "$m" \
		    -m "m$m.r1" -o "m$m.r2" "m$m.upd"
	done
	cmp m0.r1 m0.r1
	! cmp -s m0.r2 m0.9.r2
	num_eq "$(inner_get m0.9.r2 strategy_params momentum)" 0.9
}

@test "strategy: --beta1, --beta2 and --tau are fedadam's, recorded" {
	fl-aggregate --strategy fedadam -m r0.fla -o a.fla s?.upd
	fl-aggregate --strategy fedadam --beta1 0.5 -m r0.fla -o b1.fla s?.upd
	fl-aggregate --strategy fedadam --beta2 0.5 -m r0.fla -o b2.fla s?.upd
	fl-aggregate --strategy fedadam --tau 0.1 -m r0.fla -o t.fla s?.upd
	! cmp -s a.fla b1.fla
	! cmp -s a.fla b2.fla
	! cmp -s a.fla t.fla
	num_eq "$(inner_get b1.fla strategy_params beta1)" 0.5
	num_eq "$(inner_get b2.fla strategy_params beta2)" 0.5
	num_eq "$(inner_get t.fla strategy_params tau)" 0.1
	# Not a parameter of fedadagrad (beta2) or fedavg (tau): usage.
	run --separate-stderr fl-aggregate --strategy fedadagrad --beta2 0.5 \
	    -m r0.fla -o x.fla s?.upd
	[ "$status" -eq 2 ]
	assert_one_line_naming --beta2
	run --separate-stderr fl-aggregate --tau 0.1 -m r0.fla -o x.fla s?.upd
	[ "$status" -eq 2 ]
	[ ! -e x.fla ]
}

@test "strategy: --trim, --byzantine and --select" {
	fl-aggregate --strategy trimmed-mean --trim 0 -m r0.fla -o t0.fla s?.upd
	fl-aggregate --strategy trimmed-mean --trim 0.4 -m r0.fla -o t4.fla \
	    s?.upd
	fl-aggregate --strategy median -m r0.fla -o med.fla s?.upd
	! cmp -s t0.fla t4.fla
	# Trimming 2 of 5 on each side leaves the median.
	fl-pack extract -C t4 t4.fla
	fl-pack extract -C med med.fla
	cmp t4/tensors.safetensors med/tensors.safetensors
	# Krum tolerating one fault needs five updates; three need F = 0.
	run --separate-stderr fl-aggregate --strategy krum -m r0.fla \
	    -o k.fla s1.upd s2.upd s3.upd
	[ "$status" -eq 2 ]
	assert_one_line_naming "at least 5"
	fl-aggregate --strategy krum --byzantine 0 -m r0.fla -o k.fla \
	    s1.upd s2.upd s3.upd
	fl-aggregate --strategy multi-krum --select 2 -m r0.fla -o mk.fla s?.upd
	[ "$(inner_get mk.fla strategy_params select)" = 2 ]
	fl-pack manifest mk.fla | tr -d ' \n' |
	    grep -q '"selected":\[[0-9],[0-9]\]'
}

@test "strategy: --clip bounds every update" {
	fl-aggregate -m r0.fla -o plain.fla s?.upd
	fl-aggregate --clip 1e-6 -m r0.fla -o clip.fla s?.upd
	! cmp -s plain.fla clip.fla
	num_eq "$(inner_get clip.fla strategy_params clip)" 1e-6
	# Clipped to almost nothing, the model hardly moves from r0.
	fl-pack extract -C r0 r0.fla
	fl-pack extract -C c clip.fla
	for f in r0 c; do
		od -An -v -f -j "$(( $(od -An -N8 -tu8 $f/tensors.safetensors) \
		    + 8 ))" $f/tensors.safetensors | tr -s ' ' '\n' | grep . \
		    > $f.txt
	done
	[ -s r0.txt ]
	paste r0.txt c.txt | awk '{ d = $1 - $2; if (d < 0) d = -d
		if (d > 1e-5) bad = 1 } END { exit bad }'
}

@test "strategy: --dp-noise with --seed is reproducible, without it is not" {
	fl-aggregate --clip 1 --dp-noise 1 --seed 3 -m r0.fla -o a.fla s?.upd
	fl-aggregate --clip 1 --dp-noise 1 --seed 3 -m r0.fla -o b.fla s?.upd
	fl-aggregate --clip 1 --dp-noise 1 -m r0.fla -o c.fla s?.upd
	fl-aggregate --clip 1 -m r0.fla -o d.fla s?.upd
	cmp a.fla b.fla
	! cmp -s a.fla c.fla
	! cmp -s a.fla d.fla
	fl-pack manifest a.fla | grep -q '"privacy"'
	! fl-pack manifest d.fla | grep -q '"privacy"'
	[ "$(inner_get a.fla privacy rounds)" = 1 ]
	# Noise needs a clip; the accountant's options need noise.
	run --separate-stderr fl-aggregate --dp-noise 1 -m r0.fla s?.upd
	[ "$status" -eq 2 ]
	run --separate-stderr fl-aggregate --population 9 -m r0.fla s?.upd
	[ "$status" -eq 2 ]
	run --separate-stderr fl-aggregate --strategy median --clip 1 \
	    --dp-noise 1 -m r0.fla s?.upd
	[ "$status" -eq 2 ]
}

@test "strategy: --population and --dp-delta set the epsilon reported" {
	fl-aggregate --clip 1 --dp-noise 2 --seed 1 -m r0.fla -o q1.fla s?.upd
	fl-aggregate --clip 1 --dp-noise 2 --seed 1 --population 100 \
	    -m r0.fla -o q05.fla s?.upd
	fl-aggregate --clip 1 --dp-noise 2 --seed 1 --dp-delta 1e-3 \
	    -m r0.fla -o d3.fla s?.upd
	e1=$(inner_get q1.fla privacy epsilon)
	e2=$(inner_get q05.fla privacy epsilon)
	e3=$(inner_get d3.fla privacy epsilon)
	awk -v a="$e1" -v b="$e2" -v c="$e3" \
	    'BEGIN { exit !(b < a / 3 && c < a && a > 0) }'
	num_eq "$(inner_get d3.fla privacy delta)" 0.001
	[ "$(inner_get q05.fla strategy_params population)" = 100 ]
	run --separate-stderr fl-aggregate --clip 1 --dp-noise 2 \
	    --population 3 -m r0.fla -o x.fla s?.upd
	[ "$status" -eq 2 ]
	assert_one_line_naming "--population is 3"
}

@test "strategy: the budget accumulates over rounds, and --max-epsilon stops it" {
	fl-aggregate --clip 1 --dp-noise 1 --population 10 -m r0.fla \
	    -o r1.fla s?.upd
	for i in 1 2 3 4 5; do fl-train -d "s$i.csv" -o "t$i.upd" r1.fla; done
	fl-aggregate --clip 1 --dp-noise 1 --population 10 -m r1.fla \
	    -o r2.fla t?.upd
	[ "$(inner_get r2.fla privacy rounds)" = 2 ]
	e1=$(inner_get r1.fla privacy epsilon)
	e2=$(inner_get r2.fla privacy epsilon)
	awk -v a="$e1" -v b="$e2" 'BEGIN { exit !(b > a) }'
	# A budget between the two: round 2 is refused, nothing written.
	max=$(awk -v a="$e1" -v b="$e2" 'BEGIN { print (a + b) / 2 }')
	run --separate-stderr fl-aggregate --clip 1 --dp-noise 1 \
	    --population 10 --max-epsilon "$max" -m r1.fla -o r2b.fla t?.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming "--max-epsilon"
	[ -z "$output" ]
	[ ! -e r2b.fla ]
	# Within budget it passes.
	fl-aggregate --clip 1 --dp-noise 1 --population 10 --max-epsilon 1000 \
	    -m r1.fla -o r2c.fla t?.upd
	# A private model's round without noise would void the guarantee.
	run --separate-stderr fl-aggregate -m r1.fla -o x.fla t?.upd
	[ "$status" -eq 2 ]
	assert_one_line_naming "privacy budget"
	[ ! -e x.fla ]
}

@test "strategy: fedadam carries m and v from round to round" {
	fl-aggregate --strategy fedadam -m r0.fla -o r1.fla s?.upd
	[ "$(states r1.fla)" = "state/fedopt_m state/fedopt_v " ]
	for i in 1 2 3; do fl-train -d "s$i.csv" -o "t$i.upd" r1.fla; done
	fl-aggregate --strategy fedadam -m r1.fla -o r2.fla t?.upd
	fl-aggregate --strategy fedadam -m r1.fla -o again.fla t?.upd
	cmp r2.fla again.fla
	[ "$(states r2.fla)" = "state/fedopt_m state/fedopt_v " ]
	# The model still reads, trains and evaluates as any other.
	fl-eval -d test.csv r2.fla > /dev/null
	fl-train -d s1.csv -o u.upd r2.fla
}

@test "strategy: a poisoned round breaks fedavg; median, trimmed-mean and krum hold" {
	command -v perl > /dev/null || skip "perl is needed to forge the update"
	run --separate-stderr "$TOP/examples/robust.sh"
	[ "$status" -eq 0 ]
	echo "$output"
	echo "$output" | awk -F'\t' '
	    $1 == "fedavg, honest sites only" { h = $2 }
	    $1 == "fedavg" { f = $2 }
	    $1 ~ /^(median|trimmed-mean|krum|multi-krum)$/ { n++
		if ($2 < 0.62) bad = 1 }
	    END { exit !(h > 0.62 && f < 0.5 && n == 4 && !bad) }'
}

@test "strategy: privacy.sh shows the AUC cost of a few budgets and stops at one" {
	skip_under_asan "an example's claim"
	run --separate-stderr "$TOP/examples/privacy.sh" 3
	[ "$status" -eq 0 ]
	echo "$output"
	echo "$output" | awk -F'\t' '
	    $1 == "none" { a0 = $2 }
	    $1 == "4" { a4 = $2; e4 = $3 }
	    $1 == "0.5" { e05 = $3 }
	    END { exit !(a0 > 0.62 && a4 > 0.55 && e4 < e05) }'
	[[ "$output" == *"round 3 refused"*"--max-epsilon 8"* ]]
}

@test "strategy: label-skew.sh: on a label-skewed split fedadam leads fedavg" {
	skip_under_asan "an example's claim"
	run --separate-stderr "$TOP/examples/label-skew.sh" 6
	[ "$status" -eq 0 ]
	echo "$output"
	# The last round: fedadam ahead of fedavg by 0.02 AUC (measured
	# 0.678 against 0.641).
	echo "$output" | awk -F'\t' '$1 == "fedavg" { f = $NF }
	    $1 == "fedadam" { a = $NF } END { exit !(a > f + 0.02) }'
}

@test "strategy: --help, the completions and the man page name the table's strategies" {
	# The --strategy row of --help comes from the strategy table.
	names=$(fl-aggregate --help | awk '/^ +--strategy NAME/ { on = 1 } on { print }
	    on && /fl-aggregate\(1\)\)/ { exit }' | tr '\n' ' ' |
	    sed 's/.*--strategy NAME *//; s/ *(default.*//' | tr -s ', ' '\n\n' | sort)
	[ "$(echo "$names" | wc -l)" -eq 10 ]
	for s in $names; do
		grep -q -- "[ (\"]$s[ )\"]" "$TOP/completions/fl.bash"
		grep -q -- "[ (]$s[ )]" "$TOP/completions/_fl"
		grep -Eq -- "^\.It (.* )?Cm $s( |\$)" "$TOP/man/fl-aggregate.1"
	done
	# Every strategy the completions offer is one fl-aggregate takes.
	for s in $(sed -n 's/.*echo "\(fedavg[^"]*\)".*/\1/p' "$TOP/completions/fl.bash"); do
		echo "$names" | grep -qx -- "$s"
	done
}
