#!/usr/bin/env bats
# fl-pack.bats: the fl-pack verbs, their options and exit codes, and
# hostile archives (tampered, truncated, garbage, several in one).

bats_require_minimum_version 1.5.0
load helper

# Bats keeps its --separate-stderr files in BATS_TEST_TMPDIR, so work in a
# directory of our own there, where assert_files sees only our files.
setup() {
	mkdir -p "$BATS_TEST_TMPDIR/work" && cd "$BATS_TEST_TMPDIR/work"
}

@test "fl-pack: --help on stdout, exit 0" {
	run --separate-stderr fl-pack --help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${lines[0]}" = "usage: fl-pack [-hV] verb [options] [archive]" ]
	[[ $output == *"  manifest   "* ]]
	run --separate-stderr fl-pack -h
	[ "$status" -eq 0 ]
}

@test "fl-pack: --version names the libraries" {
	run --separate-stderr fl-pack --version
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ $output == "fl-pack 0.1.0 (libfl 0.1.0; "*")" ]]
	run --separate-stderr fl-pack -V
	[ "$status" -eq 0 ]
}

@test "fl-pack: unknown option, missing or unknown verb exit 2" {
	run --separate-stderr fl-pack --bogus
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "fl-pack: unknown option '--bogus'" ]
	run --separate-stderr fl-pack
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-pack: missing verb" ]
	run --separate-stderr fl-pack frobnicate
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-pack: unknown verb 'frobnicate'" ]
	run --separate-stderr fl-pack list -x
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-pack: unknown option '-x'" ]
	run --separate-stderr fl-pack create --compress xz -o out.fla
	[ "$status" -eq 2 ]
	run --separate-stderr fl-pack list a b
	[ "$status" -eq 2 ]
	[ -z "$(ls -A)" ]
}

@test "fl-pack: every verb has --help" {
	for v in create extract list manifest; do
		run --separate-stderr fl-pack "$v" --help
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		[[ ${lines[0]} == "usage: fl-pack $v "* ]]
	done
}

@test "fl-pack manifest: prints the manifest, pretty and sorted" {
	run --separate-stderr fl-pack manifest "$FIX/model.fla"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${lines[0]}" = "{" ]
	[ "${lines[1]}" = '  "features": [' ]
	[[ $output == *'"format": "fl/1",'* ]]
	[[ $output == *'"id": "sha256:'* ]]
	[ "${lines[-1]}" = "}" ]
}

@test "fl-pack manifest: stdin without operand and with -" {
	run --separate-stderr fl-pack manifest "$FIX/model.fla"
	want=$output
	run --separate-stderr sh -c 'fl-pack manifest <"$FIX/model.fla"'
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	run --separate-stderr sh -c 'fl-pack manifest - <"$FIX/model.fla"'
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
}

@test "fl-pack manifest: several concatenated archives in order" {
	fl-pack extract -C m "$FIX/model.fla"
	sed 's/"round": 0/"round": 7/' m/manifest.json >m/x && mv m/x m/manifest.json
	fl-pack create -C m --compress none -o r7.fla
	cat "$FIX/model.fla" r7.fla "$FIX/model.fla" >cat.fla
	run --separate-stderr fl-pack manifest cat.fla
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | grep -c '"format"')" -eq 3 ]
	[ "$(printf '%s\n' "$output" | grep '"round"' | tr -d ' ,\n')" = \
	    '"round":0"round":7"round":0' ]
	# list and extract want exactly one archive.
	run --separate-stderr fl-pack list cat.fla
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-pack: cat.fla: holds more than one archive" ]
	run --separate-stderr fl-pack extract -C out cat.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming cat.fla
	[ ! -e out ]
}

@test "fl-pack list: TSV of name, dtype, shape" {
	run --separate-stderr fl-pack list "$FIX/model.fla"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(printf 'name\tdtype\tshape\nfc0.weight\tF32\t1,2\nfc0.bias\tF32\t1')" ]
}

@test "fl-pack extract/create: byte-identical round trip" {
	run --separate-stderr fl-pack extract -C dir "$FIX/model.fla"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	(cd dir && ls -A | tr '\n' ' ') >ls.txt
	[ "$(cat ls.txt)" = "manifest.json tensors.safetensors " ]
	run --separate-stderr fl-pack create -C dir -o again.fla
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	cmp "$FIX/model.fla" again.fla
	# Default directory is ".", default output is stdout.
	cd dir
	fl-pack create >../stdout.fla
	cmp "$FIX/model.fla" ../stdout.fla
	cd ..
	rm ls.txt
	# Options may follow the operand, as in "fl-pack extract ARCHIVE -C DIR".
	fl-pack extract "$FIX/model.fla" -C dir2
	cmp dir/tensors.safetensors dir2/tensors.safetensors
	rm -r dir2
	assert_files again.fla dir stdout.fla
}

@test "fl-pack: the fixture script reproduces model.fla exactly" {
	"$FIX/mkmodel.sh" "$PWD"
	cmp "$FIX/model.fla" model.fla
}

@test "fl-pack create --compress gzip and zstd read back" {
	fl-pack extract -C dir "$FIX/model.fla"
	for c in gzip zstd; do
		run --separate-stderr fl-pack create -C dir --compress "$c" -o "$c.fla"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		! cmp -s "$FIX/model.fla" "$c.fla"
		fl-pack create -C dir --compress "$c" -o "$c.2.fla"
		cmp "$c.fla" "$c.2.fla"
		run --separate-stderr fl-pack list "$c.fla"
		[ "$status" -eq 0 ]
		[ "${lines[1]}" = "$(printf 'fc0.weight\tF32\t1,2')" ]
		fl-pack extract -C "x$c" - <"$c.fla"
		cmp dir/tensors.safetensors "x$c/tensors.safetensors"
	done
	[ "$(head -c 2 gzip.fla | od -An -tx1 | tr -d ' ')" = 1f8b ]
	[ "$(head -c 4 zstd.fla | od -An -tx1 | tr -d ' ')" = 28b52ffd ]
}

@test "fl-pack create: SOURCE_DATE_EPOCH sets the time, not the id" {
	fl-pack extract -C dir "$FIX/model.fla"
	SOURCE_DATE_EPOCH=1700000000 fl-pack create -C dir -o t.fla
	! cmp -s "$FIX/model.fla" t.fla
	[ "$(fl-pack manifest t.fla)" = "$(fl-pack manifest "$FIX/model.fla")" ]
	run --separate-stderr env SOURCE_DATE_EPOCH=yesterday fl-pack create -C dir -o u.fla
	[ "$status" -eq 2 ]
	[ "$stderr" = "fl-pack: SOURCE_DATE_EPOCH: 'yesterday' is not a non-negative integer" ]
	assert_files dir t.fla
}

@test "fl-pack: a tampered archive exits 3" {
	cp "$FIX/model.fla" bad.fla
	# The last data byte of tensors.safetensors (0x40 of 2.0f): the
	# manifest header and 2 blocks of manifest, the tensors header, then
	# 148 bytes of tensors.safetensors.
	size=$(stat -c %s bad.fla)
	pos=$(( 512 + 1024 + 512 + 148 - 1 ))
	[ "$(dd if=bad.fla bs=1 skip=$pos count=1 2>/dev/null | od -An -tx1 | tr -d ' ')" = 40 ]
	printf '\101' | dd of=bad.fla bs=1 seek=$pos conv=notrunc 2>/dev/null
	[ "$(stat -c %s bad.fla)" -eq "$size" ]
	for v in manifest list; do
		run --separate-stderr fl-pack "$v" bad.fla
		[ "$status" -eq 3 ]
		[ -z "$output" ]
		[ "$stderr" = "fl-pack: bad.fla: id does not match content (archive altered)" ]
	done
	run --separate-stderr fl-pack extract -C out bad.fla
	[ "$status" -eq 3 ]
	assert_files bad.fla
	# An edited manifest is caught the same way.
	sed 's/"round": 0/"round": 1/' "$FIX/model.fla" >edit.fla
	run --separate-stderr fl-pack list edit.fla
	[ "$status" -eq 3 ]
	assert_one_line_naming edit.fla
}

@test "fl-pack: truncated and garbage input exit 1" {
	head -c 1000 "$FIX/model.fla" >short.fla
	run --separate-stderr fl-pack list short.fla
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "fl-pack: short.fla: truncated archive" ]
	echo "hello, world" >junk.fla
	run --separate-stderr fl-pack manifest junk.fla
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-pack: junk.fla: not an fl archive" ]
	run --separate-stderr fl-pack list nonexistent.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming nonexistent.fla
	run --separate-stderr sh -c 'head -c 700 "$FIX/model.fla" | fl-pack manifest -'
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-pack: <stdin>: truncated archive" ]
	run --separate-stderr fl-pack extract -C out junk.fla
	[ "$status" -eq 1 ]
	assert_files junk.fla short.fla
}

@test "fl-pack create: bad inputs name the file" {
	mkdir d
	run --separate-stderr fl-pack create -C d -o o.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming d/manifest.json
	fl-pack extract -C d "$FIX/model.fla"
	printf 'garbage' >d/tensors.safetensors
	run --separate-stderr fl-pack create -C d -o o.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming d/tensors.safetensors
	printf '{"format": "fl/9", "kind": "model"}\n' >d/manifest.json
	run --separate-stderr fl-pack create -C d -o o.fla
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-pack: d/manifest.json: unsupported format 'fl/9'" ]
	printf '{"format": "fl/1",\n "kind": }\n' >d/manifest.json
	run --separate-stderr fl-pack create -C d -o o.fla
	[ "$status" -eq 1 ]
	[[ $stderr == "fl-pack: d/manifest.json:2:"* ]]
	assert_files d
}

@test "fl-pack create -o /dev/full exits 1" {
	fl-pack extract -C dir "$FIX/model.fla"
	run --separate-stderr fl-pack create -C dir -o /dev/full
	[ "$status" -eq 1 ]
	assert_one_line_naming /dev/full
	run --separate-stderr sh -c 'fl-pack manifest "$FIX/model.fla" >/dev/full'
	[ "$status" -eq 1 ]
	assert_one_line_naming "<stdout>"
	assert_files dir
}

@test "fl-pack create refuses to write to a terminal" {
	command -v script >/dev/null || skip "script(1) not installed"
	fl-pack extract -C dir "$FIX/model.fla"
	run script -qec "fl-pack create -C dir" /dev/null
	[ "$status" -eq 2 ]
	[[ $output == *"refusing to write a binary archive to a terminal"* ]]
}

@test "fl-pack extract -C DIR replaces symlinks in DIR, never writes through them" {
	mkdir dir
	echo precious >outside
	ln -s ../outside dir/manifest.json
	ln -s ../nowhere dir/tensors.safetensors
	run --separate-stderr fl-pack extract -C dir "$FIX/model.fla"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	# The links were replaced by the members; nothing outside changed.
	[ ! -L dir/manifest.json ] && [ -f dir/manifest.json ]
	[ ! -L dir/tensors.safetensors ] && [ -f dir/tensors.safetensors ]
	[ "$(cat outside)" = precious ]
	[ ! -e nowhere ]
	assert_files dir outside
	(cd dir && assert_files manifest.json tensors.safetensors)
	fl-pack create -C dir | cmp - "$FIX/model.fla"
}
