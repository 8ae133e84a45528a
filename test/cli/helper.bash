# helper.bash: loaded by every Bats file.  Puts the fresh binaries first in
# PATH, gives each test its own temp directory as the working directory,
# and names the bundled data.
# shellcheck shell=bash

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
PATH=$BUILD/bin:$PATH
DATA=$TOP/examples/data
FIX=$TOP/test/fixtures
export TOP BUILD PATH DATA FIX
unset SOURCE_DATE_EPOCH

# Each test works in an empty directory of its own (a subdirectory, since
# "run --separate-stderr" keeps a file in $BATS_TEST_TMPDIR).
enter_tmp() {
	mkdir -p "$BATS_TEST_TMPDIR/w" && cd "$BATS_TEST_TMPDIR/w" || return 1
}

setup() {
	enter_tmp
}

# Assert that the directory holds exactly the named files (no temp files).
assert_files() {
	local want got
	want=""
	[ "$#" -eq 0 ] || want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	# Names in tests are plain: ls is enough.
	# shellcheck disable=SC2012
	got=$(ls -A | sort | tr '\n' ' ')
	if [ "$want" != "$got" ]; then
		echo "files: want '$want', got '$got'" >&2
		return 1
	fi
}

# Assert one line on stderr naming $1 (used after run --separate-stderr).
assert_one_line_naming() {
	local n
	# shellcheck disable=SC2154  # $stderr is set by Bats' run
	n=$(printf '%s\n' "$stderr" | grep -c .)
	if [ "$n" -ne 1 ]; then
		echo "stderr has $n lines: $stderr" >&2
		return 1
	fi
	case $stderr in
	*"$1"*) ;;
	*) echo "stderr does not name '$1': $stderr" >&2; return 1 ;;
	esac
}

# Split colon.csv into two sites and a test set by a fixed rule, in the
# current directory: a.csv, b.csv, test.csv.
colon_sites() {
	awk -F, 'NR == 1 { print > "a.csv"; print > "b.csv";
		print > "test.csv"; next }
	NR % 5 == 0 { print > "test.csv"; next }
	NR % 2 == 0 { print > "a.csv"; next }
	{ print > "b.csv" }' "$DATA/colon.csv"
}

COLON_FEATURES=rx,sex,age,obstruct,perfor,adhere,nodes,differ,extent,surg,node4

# Write r0.fla: logreg (or $1) for death_5y on colon, standardised with
# the statistics of a.csv and b.csv (stats.fls).
colon_model() {
	fl-stats --data a.csv -o a.fls
	fl-stats --data b.csv -o b.fls
	fl-aggregate -o stats.fls a.fls b.fls
	rm a.fls b.fls
	fl-init -m "${1:-logreg}" -l death_5y -f "$COLON_FEATURES" \
	    -s stats.fls -o r0.fla
}

# The value of a top-level manifest key (quotes removed): fl-pack prints
# manifests indented by two spaces, so top-level keys are those indented
# exactly so.
manifest_get() {
	fl-pack manifest "$1" |
	    sed -n "s/^  \"$2\": \(.*\)\$/\1/p" | sed 's/,$//; s/"//g'
}

# The key id of a .pub file (its second field).
keyid() {
	sed -n 's/^fl-pub-1 \([0-9a-f]*\) .*/\1/p' "$1"
}

# skip_under_asan WHAT: skip a long test in the sanitizer pass.  For
# tests of a numerical claim (many rounds of the tools) whose code paths
# other tests already run under ASan and UBSan; the plain pass runs them.
skip_under_asan() {
	case $BUILD in
	*/asan) skip "$1: checked in the plain pass; its code runs under ASan in other tests" ;;
	esac
}
