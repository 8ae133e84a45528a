#!/bin/sh
# gen-data.sh ROWS COLS [SEED]: a synthetic binary classification CSV on
# stdout: columns x1..xCOLS (uniform in [-1, 1), 3 decimals) and y, drawn
# from a logistic model with fixed weights.  The Park-Miller generator (exact in doubles) keeps the output
# identical across awk implementations.
set -eu
rows=${1:?usage: gen-data.sh ROWS COLS [SEED]}
cols=${2:?usage: gen-data.sh ROWS COLS [SEED]}
seed=${3:-1}
awk -v rows="$rows" -v cols="$cols" -v seed="$seed" '
function rnd() { state = (state * 16807) % 2147483647
	return state / 2147483647 }
BEGIN {
	state = seed % 2147483646 + 1
	for (j = 1; j <= cols; j++) {
		w[j] = 2 * rnd() - 1
		printf "x%d,", j
	}
	print "y"
	for (i = 0; i < rows; i++) {
		z = 0
		for (j = 1; j <= cols; j++) {
			x = 2 * rnd() - 1
			z += w[j] * x
			printf "%.3f,", x
		}
		print (rnd() < 1 / (1 + exp(-3 * z))) ? 1 : 0
	}
}'
