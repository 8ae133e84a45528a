#!/bin/sh
# bench/gpu.sh: the checks and benchmarks that need an NVIDIA GPU, as one
# script for a session that has one (bench/README.md).  It builds the
# default and the CUDA build (make cuda), runs test/kernels and the
# --device tests, then measures, writing everything under $OUT (default
# build/gpu-bench):
#   test_kernels.txt   every kernel against the reference, GPU training
#                      against the CPU's
#   device.tap         test/cli/device.bats against the CUDA build
#   gpu-bench.txt      cuBLAS SGEMM GFLOP/s, a large-batch MLP's training
#                      GFLOP/s on the GPU (and on the CPU)
#   cnn.txt            fl-train images/s for the issue 11 CNN on MNIST-
#                      sized images, CPU against GPU, batch 32 and 256
#   torch.txt          the same network in PyTorch on CUDA (when torch
#                      with CUDA is installed)
# Exit status: that of test_kernels (0 pass, 77 no GPU, else failed).
set -u
cd "$(dirname "$0")/.." || exit 1
OUT=${OUT:-build/gpu-bench}
mkdir -p "$OUT"
jobs=$(nproc 2>/dev/null || echo 2)
log() { echo "gpu.sh: $*" | tee -a "$OUT/log.txt" >&2; }

nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1 || log "nvidia-smi failed"
log "building (make all, make cuda)"
if ! make -s -j"$jobs" all >"$OUT/build.txt" 2>&1 ||
    ! make -s -j"$jobs" cuda >>"$OUT/build.txt" 2>&1; then
	log "build failed; see build.txt"
	exit 1
fi
build/cuda/bin/fl-train --version >"$OUT/version.txt"

build/cuda/test/kernels/test_kernels >"$OUT/test_kernels.txt" 2>&1
krc=$?
log "test_kernels: exit $krc ($(tail -n 1 "$OUT/test_kernels.txt"))"
if command -v bats >/dev/null 2>&1; then
	BUILD=build/cuda bats --tap test/cli/device.bats >"$OUT/device.tap" 2>&1
	log "device.bats: $(grep -c '^ok' "$OUT/device.tap") ok, $(grep -c '^not ok' "$OUT/device.tap") not ok"
fi

libs=$(pkg-config --libs jansson libarchive libcrypto spng openblas)
# shellcheck disable=SC2086  # $libs is a list of flags
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Ilib -o build/cuda/gpu-bench \
    bench/gpu-bench.c build/cuda/libfl.a $libs \
    -L"${CUDA_HOME:-/usr/local/cuda}/lib64" -lcublas -lcudart -lstdc++ -lm &&
    build/cuda/gpu-bench >"$OUT/gpu-bench.txt" 2>&1
log "gpu-bench: exit $?"

# The CNN of issue 11 on 1x28x28 images: MNIST when the shared data is
# there, else 4096 random images of the same shape (speed only).
w=build/gpu-bench-work
mkdir -p "$w"
if [ -f ../shared/data/mnist_2000.csv ]; then
	cp ../shared/data/mnist_2000.csv "$w/img.csv"
else
	awk 'BEGIN { srand(1); printf "label"; for (j = 0; j < 784; j++)
		printf ",px%d", j; print ""; for (i = 0; i < 4096; i++) {
		printf "%d", i % 10; for (j = 0; j < 784; j++)
		printf ",%d", int(rand() * 256); print "" } }' >"$w/img.csv"
fi
n=$(($(wc -l <"$w/img.csv") - 1))
build/bin/fl-stats --data "$w/img.csv" -o "$w/s.fls"
build/bin/fl-init -m cnn:conv8k5,pool2,conv16k5,pool2,dense64 \
    --input 1x28x28 -l label -t multiclass -s "$w/s.fls" -o "$w/m.fla" \
    2>>"$OUT/log.txt"
{
	echo "fl-train images/s, cnn:conv8k5,pool2,conv16k5,pool2,dense64, $n images, 3 epochs, adam"
	printf '%-6s %-6s %10s %10s\n' device batch seconds images/s
	for dev in cpu cuda; do
		for b in 32 256; do
			s=$(date +%s.%N)
			build/cuda/bin/fl-train -q --device "$dev" -d "$w/img.csv" \
			    -e 3 -b "$b" --optimizer adam -o /dev/null "$w/m.fla" ||
			    echo "fl-train --device $dev failed"
			e=$(date +%s.%N)
			awk -v d="$dev" -v b="$b" -v s="$s" -v e="$e" -v n="$n" \
			    'BEGIN { printf "%-6s %-6d %10.3f %10.0f\n", d, b, e - s, 3 * n / (e - s) }'
		done
	done
} >"$OUT/cnn.txt" 2>&1
log "cnn: $(tail -n 4 "$OUT/cnn.txt" | tr '\n' ';')"

if python3 -c 'import torch, sys; sys.exit(not torch.cuda.is_available())' \
    2>/dev/null; then
	python3 bench/torch-cnn.py "$w/img.csv" >"$OUT/torch.txt" 2>&1
	log "torch: $(tr '\n' ';' <"$OUT/torch.txt")"
else
	log "torch with CUDA not installed: no PyTorch comparison"
fi
exit "$krc"
