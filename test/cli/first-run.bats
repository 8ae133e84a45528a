#!/usr/bin/env bats
# first-run.bats: what a new user meets in the first ten minutes.  A built
# tree has nothing left to make (no object file deleted as an
# intermediate); test/deps prints an apt-get line that works without sudo
# and installs quietly unless apt-get fails; an example's tables keep their
# tabs when stdout is not a terminal.

bats_require_minimum_version 1.5.0
load helper

# fake NAME BODY: a shell script NAME in ./bin, for a PATH that hides the
# real one.
fake() {
	mkdir -p bin
	printf '#!/bin/sh\n%s\n' "$2" >"bin/$1"
	chmod +x "bin/$1"
}

# deps_path: ./bin, then a folder of links to the tools test/deps needs
# besides those faked (so that no real apt-get or dpkg-query is found).
deps_path() {
	local t
	mkdir -p sys
	for t in sh cat rm mktemp; do
		ln -sf "$(command -v "$t")" "sys/$t"
	done
	echo "$PWD/bin:$PWD/sys"
}

@test "first run: after make all, make has nothing left to do" {
	local san=
	[ -z "${FL_SANITIZE:-}" ] || san=SANITIZE=1
	run make -C "$TOP" -q $san BUILD="$BUILD" all
	[ "$status" -eq 0 ] ||
	    { make -C "$TOP" -n $san BUILD="$BUILD" all | head -n 5; false; }
}

@test "first run: test/deps prints the apt-get line to run as root, no sudo" {
	fake dpkg-query 'echo not-installed'
	fake id 'echo 1000'
	run --separate-stderr env PATH="$(deps_path)" "$TOP/test/deps"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"as root, run:"* ]]
	[[ "$stderr" == *"  apt-get install -y make gcc "* ]]
	[[ "$stderr" != *sudo* ]]
	[ -z "$output" ]
}

@test "first run: test/deps as root installs quietly, and shows apt-get's words when it fails" {
	fake dpkg-query 'echo not-installed'
	fake id 'echo 0'
	# shellcheck disable=SC2016  # expanded by the fake
	fake apt-get 'echo "apt-get chatter $*"; [ "$DEBIAN_FRONTEND" = noninteractive ]'
	run --separate-stderr env PATH="$(deps_path)" "$TOP/test/deps"
	[ "$status" -eq 0 ]
	[ "$stderr" = "fl: installing: make gcc libc6-dev pkg-config libopenblas-dev libjansson-dev libarchive-dev libssl-dev libspng-dev libzstd-dev bats mandoc rsync" ]
	[ -z "$output" ]

	# shellcheck disable=SC2016
	fake apt-get 'echo "E: Unable to locate package $*" >&2; exit 100'
	run --separate-stderr env PATH="$(deps_path)" "$TOP/test/deps"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"E: Unable to locate package update -qq"* ]]
	[[ "$stderr" == *"fl: apt-get failed" ]]
}

@test "first run: test/deps says nothing when every package is installed" {
	fake dpkg-query 'echo installed'
	fake id 'echo 1000'
	run --separate-stderr env PATH="$(deps_path)" "$TOP/test/deps"
	[ "$status" -eq 0 ]
	[ -z "$stderr$output" ]
}
