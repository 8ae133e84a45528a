#!/bin/sh
# examples/tree/slurm.sh: the aggregation tree of examples/tree/Makefile as
# Slurm jobs, for a coordinator with a cluster (not run by the tests: it
# needs sbatch).  Updates lie in one folder per region, updates/REGION/;
# an array job sums each region into parts/REGION.part, and a job that
# waits for the whole array sums the partials into the next model:
#	examples/tree/slurm.sh r0.fla updates r1.fla
# Each array task runs this script again with FL_TREE_TASK=part; the root
# job with FL_TREE_TASK=root.  Add --trust, --key, --sign (an aggregator
# key, see fl-aggregate(1)) to FLAGS as the federation needs.
#SBATCH --job-name=fl-tree
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
set -eu
model=${1:?usage: slurm.sh MODEL UPDATES OUT}
updates=${2:?usage: slurm.sh MODEL UPDATES OUT}
out=${3:?usage: slurm.sh MODEL UPDATES OUT}
FLAGS=${FLAGS:-}

case ${FL_TREE_TASK:-submit} in
part)
	# One region per array index, in the order ls gives them.
	# shellcheck disable=SC2012  # region names are plain
	region=$(ls -d "$updates"/*/ | sed -n "$((SLURM_ARRAY_TASK_ID + 1))p")
	region=$(basename "$region")
	mkdir -p parts
	# shellcheck disable=SC2086  # FLAGS is a list of options
	exec fl-aggregate -q --partial $FLAGS -m "$model" \
	    -o "parts/$region.part" "$updates/$region"/*.upd
	;;
root)
	# shellcheck disable=SC2086
	exec fl-aggregate -q $FLAGS -m "$model" -o "$out" parts/*.part
	;;
submit)
	n=$(find "$updates" -mindepth 1 -maxdepth 1 -type d | wc -l)
	[ "$n" -gt 0 ] || { echo "slurm.sh: no region folders in $updates" >&2
		exit 1; }
	job=$(FL_TREE_TASK=part sbatch --parsable --array=0-$((n - 1)) \
	    --export=ALL,FL_TREE_TASK=part "$0" "$model" "$updates" "$out")
	sbatch --dependency=afterok:"$job" --export=ALL,FL_TREE_TASK=root \
	    "$0" "$model" "$updates" "$out"
	;;
*)
	echo "slurm.sh: FL_TREE_TASK must be part or root" >&2
	exit 2
	;;
esac
