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

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# Assert that the directory holds exactly the named files (no temp files).
assert_files() {
	local want got
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	got=$(ls -A | sort | tr '\n' ' ')
	if [ "$want" != "$got" ]; then
		echo "files: want '$want', got '$got'" >&2
		return 1
	fi
}

# Assert one line on stderr naming $1 (used after run --separate-stderr).
assert_one_line_naming() {
	local n
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
