#!/usr/bin/env bats
# device.bats: --device on fl-train and fl-eval (lib/compute/backend.c,
# kernels/): cpu is the default, cuda needs a CUDA build (make cuda) and
# a GPU and says which is missing, auto falls back to the CPU and says so.
# test/kernels checks the kernels themselves and GPU training against
# the CPU's (it skips without a GPU).

load helper
bats_require_minimum_version 1.5.0

setup() {
	enter_tmp || return 1
	colon_sites
	colon_model "mlp:8"
}

CUDA_BUILD=$TOP/build/cuda

# 0 when a CUDA build exists and a GPU answers.
have_gpu() {
	[ -x "$CUDA_BUILD/test/kernels/test_kernels" ] &&
	    command -v nvidia-smi >/dev/null 2>&1 &&
	    nvidia-smi -L >/dev/null 2>&1
}

@test "device: --device cpu is the default: the same bytes" {
	fl-train -d a.csv -o a1.upd r0.fla
	run --separate-stderr fl-train --device cpu -d a.csv -o a2.upd r0.fla
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
	cmp a1.upd a2.upd
	fl-eval -d test.csv r0.fla >m1.json
	run --separate-stderr fl-eval --device cpu -d test.csv r0.fla
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
	[ "$output" = "$(cat m1.json)" ]
}

@test "device: --device cuda without CUDA or a GPU exits 1, writing nothing" {
	have_gpu && skip "a GPU is present"
	if fl-train --version | grep -q 'no CUDA'; then
		why="this build has no CUDA support (build it with 'make cuda')"
	else
		why="no CUDA GPU present"
	fi
	run --separate-stderr fl-train --device cuda -d a.csv -o a.upd r0.fla
	[ "$status" -eq 1 ] && [ -z "$output" ]
	assert_one_line_naming "--device cuda"
	[[ $stderr == "fl-train: --device cuda: $why"* ]]
	[ ! -e a.upd ]
	run --separate-stderr fl-eval --device cuda -d test.csv r0.fla
	[ "$status" -eq 1 ] && [ -z "$output" ]
	[[ $stderr == "fl-eval: --device cuda: $why"* ]]
}

@test "device: --device auto without a GPU trains on the CPU and says so" {
	have_gpu && skip "a GPU is present"
	fl-train -d a.csv -o a1.upd r0.fla
	run --separate-stderr fl-train --device auto -d a.csv -o a2.upd r0.fla
	[ "$status" -eq 0 ]
	[[ $stderr == "fl-train: --device auto: no CUDA GPU"*"; using the CPU" ]]
	cmp a1.upd a2.upd
	run --separate-stderr fl-train -q --device auto -d a.csv -o a3.upd \
	    r0.fla
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
	cmp a1.upd a3.upd
	run --separate-stderr fl-eval -q --device auto -d test.csv r0.fla
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
}

@test "device: an unknown device is a usage error" {
	run --separate-stderr fl-train --device tpu -d a.csv r0.fla
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-train: --device: unknown device 'tpu' (cpu, cuda, auto)" ]
	run --separate-stderr fl-eval --device ref -d test.csv r0.fla
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-eval: --device: unknown device 'ref' (cpu, cuda, auto)" ]
}

@test "device: --version names CUDA in a CUDA build, 'no CUDA' otherwise" {
	run fl-train --version
	[[ $output == *"; no CUDA)" || $output == *"; CUDA "[0-9]*")" ]]
	[ -x "$CUDA_BUILD/bin/fl-train" ] || skip "no CUDA build (make cuda)"
	for t in fl-train fl-eval fl-init; do
		run "$CUDA_BUILD/bin/$t" --version
		[ "$status" -eq 0 ]
		[[ $output == "$t "*"; CUDA "[0-9]*.[0-9]*")" ]]
	done
}

@test "device: on a GPU, training matches the CPU's loss" {
	have_gpu || skip "no GPU or no CUDA build: test/kernels checks the rest"
	"$CUDA_BUILD/bin/fl-train" -q --device cpu -d a.csv -o c.upd r0.fla
	"$CUDA_BUILD/bin/fl-train" -q --device cuda -d a.csv -o g.upd r0.fla
	c=$(fl-pack manifest c.upd | sed -n 's/^    "loss": \(.*\),$/\1/p')
	g=$(fl-pack manifest g.upd | sed -n 's/^    "loss": \(.*\),$/\1/p')
	[ -n "$c" ] && [ -n "$g" ]
	awk -v c="$c" -v g="$g" 'BEGIN { d = c - g; if (d < 0) d = -d;
	    exit !(d <= 1e-4 + 1e-4 * (c < 0 ? -c : c)) }'
	# DP-SGD and survival stay on the CPU, and say so.
	run --separate-stderr "$CUDA_BUILD/bin/fl-train" --device cuda \
	    --dp-clip 1 --dp-noise 1 -d a.csv -o d.upd r0.fla
	[ "$status" -eq 2 ] && [ ! -e d.upd ]
	[[ $stderr == *"does not run DP-SGD yet; use --device cpu"* ]]
}
