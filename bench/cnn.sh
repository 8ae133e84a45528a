#!/bin/sh
# bench/cnn.sh: fl-train's training speed on the CNN of fl-init(1)
# (cnn:conv8k5,pool2,conv16k5,pool2,dense64 on 1x28x28 MNIST digits, ten
# classes) beside PyTorch on the CPU training the same network the same
# way (bench/cnn_torch.py: Adam, lr 0.001, batch 32, one thread), in the
# same run.  Both are timed in CPU seconds (user + system), the best of
# FL_BENCH_REPS runs, since wall time on a shared machine measures the
# neighbours; both run one thread (OPENBLAS_NUM_THREADS=1,
# torch.set_num_threads(1)).  Per epoch: for fl-train the difference
# between E epochs and 1 over E - 1 (reading the CSV cancels), for PyTorch
# its training loop's own CPU time over E.  Whole process: E epochs, start
# to exit, CSV parsing and (for PyTorch) the interpreter and import
# included.  Run by bench/run; alone: BUILD=build bench/cnn.sh.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
work=$BUILD/bench
mkdir -p "$work"
cc -O2 -o "$work/maxrss" bench/maxrss.c
PATH=$BUILD/bin:$PATH
reps=${FL_BENCH_REPS:-3}
epochs=${FL_BENCH_CNN_EPOCHS:-5}
py=/usr/bin/python3	# Debian's, where python3-torch installs
export OPENBLAS_NUM_THREADS=1

# cpu CMD...: the smallest CPU seconds of $reps runs.
cpu() {
	b=""
	i=0
	while [ "$i" -lt "$reps" ]; do
		"$work/maxrss" "$@" 2>"$work/rss.txt" >"$work/out.txt"
		t=$(sed -n 's/.*cpu=\([0-9.]*\).*/\1/p' "$work/rss.txt" | tail -n 1)
		if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN { exit !(t < b) }'
		then b=$t; fi
		i=$((i + 1))
	done
	echo "$b"
}

csv=$work/mnist_2000.csv
gzip -dc examples/data/mnist_2000.csv.gz >"$csv"
n=$(($(wc -l <"$csv") - 1))
net=cnn:conv8k5,pool2,conv16k5,pool2,dense64
fl-stats --data "$csv" -o "$work/mnist.fls"
fl-init -m "$net" --input 1x28x28 -l label -t multiclass \
    -s "$work/mnist.fls" -o "$work/cnn.fla"
train() {
	cpu fl-train -d "$csv" -e "$1" -b 32 --optimizer adam --lr 0.001 \
	    -o /dev/null "$work/cnn.fla"
}
t1=$(train 1)
te=$(train "$epochs")

echo "CNN $net on $n MNIST digits, batch 32, Adam, one thread, $epochs epochs"
echo "(CPU seconds, best of $reps; images/s = digits x epochs / seconds)"
printf '  %-16s %14s %22s\n' "" "per epoch img/s" "whole process img/s"
awk -v a="$t1" -v b="$te" -v e="$epochs" -v n="$n" 'BEGIN {
	printf "  %-16s %14.0f %22.0f\n", "fl-train", n * (e - 1) / (b - a), n * e / b }'
if "$py" -c 'import torch' 2>/dev/null; then
	tv=$("$py" -c 'import torch; print(torch.__version__)')
	tw=$(cpu "$py" bench/cnn_torch.py "$csv" "$epochs")
	# The loop's own time: the best of $reps again, from the script.
	tl=""
	i=0
	while [ "$i" -lt "$reps" ]; do
		t=$("$py" bench/cnn_torch.py "$csv" "$epochs" |
		    sed -n 's/^train=//p')
		if [ -z "$tl" ] || awk -v t="$t" -v b="$tl" 'BEGIN { exit !(t < b) }'
		then tl=$t; fi
		i=$((i + 1))
	done
	awk -v l="$tl" -v w="$tw" -v e="$epochs" -v n="$n" -v v="$tv" \
	    -v a="$t1" -v b="$te" 'BEGIN {
		printf "  %-16s %14.0f %22.0f\n", "PyTorch " v, n * e / l, n * e / w
		printf "  %-16s %14.2f %22.2f\n", "fl / PyTorch",
		    (n * (e - 1) / (b - a)) / (n * e / l), (n * e / b) / (n * e / w) }'
else
	echo "  PyTorch: $py has no torch module (Debian python3-torch); skipped"
fi
