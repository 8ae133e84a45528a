# fl.bash: bash completion for the fl tools (fl-init fl-train fl-aggregate
# fl-eval fl-stats fl-pack fl-keygen fl-simulate fl-value).  Thin on purpose: options, fl-pack's verbs and
# the values of a few options; file names everywhere else.  The tools loop
# in test/cli/tools.bats checks that every long option of every --help is
# listed here.  Installed as .../bash-completion/completions/fl, with a
# link per tool.
# shellcheck shell=bash

_fl_opts() {
	case $1 in
	fl-init)
		echo "-m --model -l --label -t --task --classes -f --features
		    --time --event --grid --tmax -s --stats -x --exclude --missing --categorical --seed --input --sign -o --output -q --quiet
		    -v --verbose -h --help -V --version" ;;
	fl-train)
		echo "-d --data -e --epochs -b --batch --lr --optimizer
		    --momentum --l2 --seed --min-count --prox-mu --scaffold --dp-clip
		    --dp-noise --dp-delta --dp-seed --site --pass-model --trust
		    --key --sign --mask --mask-range --device --image-column --progress
		    --no-progress -o --output -q --quiet -v --verbose -h --help
		    -V --version" ;;
	fl-aggregate)
		echo "-m --model --strategy --trust --key --sign --progress
		    --no-progress
		    --server-lr --server-momentum --beta1 --beta2 --tau --trim
		    --byzantine --select --clip --dp-noise --population
		    --dp-delta --max-epsilon --seed --min-updates --partial
		    --recovery-request -o --output -q --quiet -v --verbose -h --help
		    -V --version" ;;
	fl-eval)
		echo "-d --data --format -p --predictions --key --curve --emit
		    --site -o --output --report --horizon --coef --level --device
		    --image-column -q --quiet
		    -v --verbose -h --help -V --version" ;;
	fl-value)
		echo "-m --model -d --data --metric --method --permutations
		    --truncation --seed --format --strategy --server-lr
		    --server-momentum --beta1 --beta2 --tau --trim --byzantine
		    --select --clip --min-updates --key --sign --report
		    --coalitions --from-metrics -o --output -q --quiet -h --help -V --version" ;;
	fl-stats)
		echo "--data --image-column --categorical --tsv --table1 --curve --bins-from --bins
		    --survival --min-count --dp-epsilon --site -o --output -q --quiet
		    -v --verbose -h --help -V --version" ;;
	fl-simulate)
		echo "--site-column --sites -r --rounds -m --model -l --label
		    -x --exclude --categorical --strategy --test --holdout --seed --init-args
		    --train-args --aggregate-args -o --output -q --quiet
		    -v --verbose -h --help -V --version" ;;
	fl-keygen)
		echo "-f --force -o --output -q --quiet -h --help
		    -V --version" ;;
	fl-pack)
		echo "--max-bytes -h --help -V --version" ;;
	fl-pack-create)
		echo "-C --directory --compress -o --output -q --quiet -v --verbose
		    -h --help" ;;
	fl-pack-extract)
		echo "-C --directory -q --quiet -v --verbose -h --help" ;;
	fl-pack-list)
		echo "-h --help" ;;
	fl-pack-manifest|fl-pack-log)
		echo "--key -h --help" ;;
	fl-pack-sign|fl-pack-open)
		echo "--key -o --output -q --quiet -v --verbose -h --help" ;;
	fl-pack-verify)
		echo "--trust --key --chain -q --quiet -h --help" ;;
	fl-pack-seal)
		echo "--to -o --output -q --quiet -v --verbose -h --help" ;;
	fl-pack-recover)
		echo "--key --trust -o --output -q --quiet -v --verbose -h --help" ;;
	esac
}

# The values TOOL (fl-pack-VERB for a verb of fl-pack) accepts after
# OPTION, or status 1 for an option without a list.  Each tool's own list:
# test/cli/tools.bats runs every tool with every value listed here and
# fails on one it refuses.
_fl_values() {
	case $1:$2 in
	fl-init:-t|fl-init:--task)
		echo "binary multiclass regression survival" ;;
	fl-init:-m|fl-init:--model)
		# A spec, not a file; mlp: goes on with hidden widths.
		echo "logreg softmax linear cox mlp:" ;;
	fl-train:--optimizer)
		echo "sgd adam newton" ;;
	fl-init:--missing)
		echo "impute drop" ;;
	fl-train:--device|fl-eval:--device)
		echo "cpu cuda auto" ;;
	fl-eval:--format)
		echo "json tsv" ;;
	fl-eval:--curve)
		echo "roc calibration survival" ;;
	fl-stats:--curve)
		echo "km" ;;
	fl-value:--format)
		echo "json tsv" ;;
	fl-value:--method)
		echo "shapley sampled loo auto" ;;
	fl-value:--metric)
		echo "auc accuracy log_loss brier rmse mae r2 c_index" ;;
	fl-aggregate:--strategy|fl-simulate:--strategy|fl-value:--strategy)
		echo "fedavg fedavgm fedadam fedyogi fedadagrad median trimmed-mean krum multi-krum newton" ;;
	fl-pack-create:--compress)
		echo "none gzip zstd" ;;
	*)
		return 1 ;;
	esac
}

_fl() {
	local cur prev tool verb="" vals i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	tool=${COMP_WORDS[0]##*/}

	# fl-pack's verb first: its options' values depend on it.
	if [ "$tool" = fl-pack ]; then
		for ((i = 1; i < COMP_CWORD; i++)); do
			case ${COMP_WORDS[i]} in
			-*) ;;
			*) verb=${COMP_WORDS[i]}; break ;;
			esac
		done
		[ -n "$verb" ] && tool=fl-pack-$verb
	fi
	if vals=$(_fl_values "$tool" "$prev"); then
		mapfile -t COMPREPLY < <(compgen -W "$vals" -- "$cur")
		return
	fi
	case $prev in
	-C|--directory|--trust|--mask)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
	-o|--output)
		# fl-keygen's and fl-simulate's -o name a directory.
		if [ "$tool" = fl-keygen ] || [ "$tool" = fl-simulate ]; then
			mapfile -t COMPREPLY < <(compgen -d -- "$cur")
			return
		fi ;;
	--key|--sign)
		mapfile -t COMPREPLY < <(compgen -f -X '!*.key' -- "$cur")
		compopt -o filenames 2>/dev/null; return ;;
	--to)
		mapfile -t COMPREPLY < <(compgen -f -X '!*.pub' -- "$cur")
		compopt -o filenames 2>/dev/null; return ;;
	-l|--label|--classes|-f|--features|-x|--exclude|--seed|-e|--epochs|\
	-b|--batch|--lr|--momentum|--l2|--site|--bins|--survival|\
	--min-count|--dp-epsilon|--time|--event|--grid|--tmax|--horizon|\
	--min-updates|--site-column|--sites|-r|--rounds|--holdout|\
	--init-args|--train-args|--aggregate-args|--permutations|--truncation|\
	--mask-range)
		return ;;	# a value of the user's own
	esac

	if [ "$tool" = fl-pack ] && [ -z "$verb" ] && [[ $cur != -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W \
		    "manifest list extract create sign verify seal open log recover" \
		    -- "$cur")
		return
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_fl_opts "$tool")" \
		    -- "$cur")
		return
	fi
	mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	compopt -o filenames 2>/dev/null
}

complete -F _fl fl-init fl-train fl-aggregate fl-eval fl-stats fl-pack \
    fl-keygen fl-simulate fl-value
