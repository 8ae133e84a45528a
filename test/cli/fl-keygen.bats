#!/usr/bin/env bats
# fl-keygen.bats: identities: the two files, their modes and formats,
# never replacing without -f, the output directory, bad names.

bats_require_minimum_version 1.5.0
load helper

@test "fl-keygen: writes NAME.key (0600) and NAME.pub, prints nothing" {
	run --separate-stderr fl-keygen alice
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	assert_files alice.key alice.pub
	[ "$(stat -c %a alice.key)" = 600 ]
	# One line each: magic, key id, base64 of two 32-byte keys, name.
	[[ $(cat alice.pub) =~ ^fl-pub-1\ [0-9a-f]{16}\ [A-Za-z0-9+/]{86}==\ alice$ ]]
	[[ $(cat alice.key) =~ ^fl-key-1\ [0-9a-f]{16}\ [A-Za-z0-9+/]{86}==\ alice$ ]]
	[ "$(wc -l <alice.pub)" -eq 1 ]
	[ "$(cut -d ' ' -f 2 alice.pub)" = "$(cut -d ' ' -f 2 alice.key)" ]
	# Two runs make two different identities.
	fl-keygen bob
	[ "$(cut -d ' ' -f 2 alice.pub)" != "$(cut -d ' ' -f 2 bob.pub)" ]
}

@test "fl-keygen: never replaces a key without -f" {
	fl-keygen alice
	cp alice.key old.key
	run --separate-stderr fl-keygen alice
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	assert_one_line_naming alice.pub
	cmp alice.key old.key
	rm alice.pub
	run --separate-stderr fl-keygen alice
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-keygen: alice.key: exists (give -f to replace it)" ]
	cmp alice.key old.key
	assert_files alice.key old.key
	run --separate-stderr fl-keygen -f alice
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	! cmp -s alice.key old.key
	[ "$(stat -c %a alice.key)" = 600 ]
	[ "$(cut -d ' ' -f 2 alice.pub)" = "$(cut -d ' ' -f 2 alice.key)" ]
	fl-keygen --force alice
	assert_files alice.key alice.pub old.key
}

@test "fl-keygen: -o writes into a directory" {
	mkdir keys
	run --separate-stderr fl-keygen -o keys site1
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ -f keys/site1.key ] && [ -f keys/site1.pub ]
	fl-keygen --output keys site2
	[ -f keys/site2.pub ]
	run --separate-stderr fl-keygen -o missing/sub site1
	[ "$status" -eq 1 ]
	assert_one_line_naming missing/sub
	assert_files keys
}

@test "fl-keygen: -o makes a missing directory, mode 0700; an existing one is kept" {
	run --separate-stderr fl-keygen -o keys site1
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ -f keys/site1.key ] && [ -f keys/site1.pub ]
	[ "$(stat -c %a keys)" = 700 ]
	# Whatever the umask says.
	(umask 0277 && fl-keygen -o strict site2)
	[ "$(stat -c %a strict)" = 700 ]
	[ -f strict/site2.pub ]
	# An existing directory is used as it is, mode and all.
	mkdir shared && chmod 755 shared
	fl-keygen -o shared site3
	[ "$(stat -c %a shared)" = 755 ]
	[ -f shared/site3.key ]
	assert_files keys shared strict
}

@test "fl-keygen: -q is accepted and success stays silent" {
	run --separate-stderr fl-keygen -q alice
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	run --separate-stderr fl-keygen --quiet bob
	[ "$status" -eq 0 ]
	assert_files alice.key alice.pub bob.key bob.pub
}

@test "fl-keygen: bad names and operands exit 2" {
	for name in "a/b" "" "x y" "$(printf 'a%.0s' $(seq 129))"; do
		run --separate-stderr fl-keygen "$name"
		[ "$status" -eq 2 ]
	done
	run --separate-stderr fl-keygen "a/b"
	[ "${stderr_lines[0]}" = "fl-keygen: 'a/b': bad key name (1 to 128 of A-Z a-z 0-9 . _ -)" ]
	[ "${stderr_lines[2]}" = "Try 'fl-keygen --help'." ]
	run --separate-stderr fl-keygen
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-keygen: missing name" ]
	run --separate-stderr fl-keygen a b
	[ "$status" -eq 2 ]
	run --separate-stderr fl-keygen -o
	[ "$status" -eq 2 ]
	assert_files
}

@test "fl-keygen: a key readable by others is refused where it is used" {
	fl-keygen alice
	chmod 644 alice.key
	run --separate-stderr fl-pack sign --key alice.key -o s.fla "$FIX/model.fla"
	[ "$status" -eq 3 ]
	[ "$stderr" = "fl-pack: alice.key: readable by others; chmod 600" ]
	assert_files alice.key alice.pub
}

@test "fl-keygen: under umask 000 the .pub is 0644 and the .key 0600" {
	run --separate-stderr sh -c 'umask 000; fl-keygen alice'
	[ "$status" -eq 0 ]
	[ "$(stat -c %a alice.pub)" = 644 ]
	[ "$(stat -c %a alice.key)" = 600 ]
	run --separate-stderr sh -c 'umask 000; fl-keygen -f alice'
	[ "$(stat -c %a alice.pub)" = 644 ]
}
