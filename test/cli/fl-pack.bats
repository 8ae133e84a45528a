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
	[ "${lines[0]}" = "usage: fl-pack [-hV] [--max-bytes n] verb [options] [archive]" ]
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
	for v in create extract list manifest open seal sign verify; do
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

# --- trust: sign, verify, seal, open ---------------------------------------

# Set one byte of file $1 at offset $2 to its value xor 1.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059
	printf "\\$(printf %03o $((b ^ 1)))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# Keys alice and carol in keys/, alice's public key in trust/, and
# signed.fla: model.fla signed by alice.
signed_setup() {
	mkdir -p keys trust/coordinator
	fl-keygen -o keys alice
	fl-keygen -o keys carol
	cp keys/alice.pub trust/coordinator/	# the fixture is a model
	fl-pack sign --key keys/alice.key -o signed.fla "$FIX/model.fla"
}

keyid_of() {
	cut -d ' ' -f 2 "$1"
}

@test "fl-pack: the trust verbs have --help" {
	for v in sign verify seal open log manifest; do
		run --separate-stderr fl-pack "$v" --help
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		[[ ${lines[0]} == "usage: fl-pack $v "* ]]
	done
	run --separate-stderr fl-pack --help
	[[ $output == *"  verify     "* ]]
}

@test "fl-pack sign/verify: round trip prints signer, key id and archive id" {
	signed_setup
	id=$(manifest_get "$FIX/model.fla" id)
	run --separate-stderr fl-pack verify --trust trust signed.fla
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(printf 'alice\t%s\t%s' "$(keyid_of keys/alice.pub)" "$id")" ]
	# Signing leaves the id and the manifest alone; the tar lists a sig/.
	[ "$(fl-pack manifest signed.fla)" = "$(fl-pack manifest "$FIX/model.fla")" ]
	[ "$(tar tf signed.fla | tail -n 1)" = "sig/$(keyid_of keys/alice.pub)" ]
	# Without -o, sign writes stdout; stdin is read with - or no operand.
	fl-pack sign --key keys/alice.key <"$FIX/model.fla" >stdout.fla
	cmp signed.fla stdout.fla
	run --separate-stderr sh -c 'fl-pack verify --trust trust - <signed.fla'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	# -q: nothing on stdout, the status tells.
	run --separate-stderr fl-pack verify --trust trust -q signed.fla
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	run --separate-stderr fl-pack verify --trust trust --quiet "$FIX/model.fla"
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	assert_files keys signed.fla stdout.fla trust
}

@test "fl-pack verify: unsigned, unknown signer, untrusted dir exit 3" {
	signed_setup
	run --separate-stderr fl-pack verify --trust trust "$FIX/model.fla"
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "$stderr" = "fl-pack: $FIX/model.fla: not signed" ]
	mkdir other
	cp keys/carol.pub other/
	run --separate-stderr fl-pack verify --trust other signed.fla
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "$stderr" = "fl-pack: signed.fla: signed by unknown key $(keyid_of keys/alice.pub) (alice)" ]
	# A trust directory without keys is malformed input, not a verdict.
	mkdir none
	run --separate-stderr fl-pack verify --trust none signed.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming none
	run --separate-stderr fl-pack verify signed.fla
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-pack: missing --trust" ]
}

@test "fl-pack verify: checks every archive of a stream" {
	signed_setup
	cat signed.fla "$FIX/model.fla" signed.fla >cat.fla
	run --separate-stderr fl-pack verify --trust trust cat.fla
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$stderr" = "fl-pack: cat.fla (archive 2): not signed" ]
	cat signed.fla signed.fla >two.fla
	run --separate-stderr fl-pack verify --trust trust two.fla
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	# Malformed input after a good archive: 1; after a failed one: 3.
	# (an archive is returned once the next member's header is read)
	head -c 5300 two.fla >cut.fla
	run --separate-stderr fl-pack verify --trust trust cut.fla
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	{ cat "$FIX/model.fla"; head -c 1000 signed.fla; } >bad.fla
	run --separate-stderr fl-pack verify --trust trust bad.fla
	[ "$status" -eq 3 ]
	[ "${#stderr_lines[@]}" -eq 2 ]
}

@test "fl-pack verify: a flipped byte in a signed archive never exits 0 unless nothing read changed" {
	signed_setup
	good=$(fl-pack verify --trust trust signed.fla)
	[ "$(stat -c %s signed.fla)" -eq 4608 ]
	# Layout: manifest.json header 0, data 512..1122, padding ..1536;
	# tensors.safetensors header 1536, data 2048..2196 (its JSON header
	# first, the tensor bytes last), padding ..2560; sig/ header 2560,
	# data 3072..3230, padding ..3584; two zero blocks 3584..4608.
	round=$(grep -boa '"round": 0' signed.fla | cut -d: -f1)
	for class in "1 0 100 148 511 1536 1700 2560 2700 3584 4607" \
	    "1 512 2060" "3 $((round + 9)) 2195 2190 3080 3100 3150 3220" \
	    "0 1122 1300 1535 2196 2559 3230 3583"; do
		want=${class%% *}
		for pos in ${class#* }; do
			cp signed.fla f.fla
			flip f.fla "$pos"
			run --separate-stderr fl-pack verify --trust trust f.fla
			[ "$status" -eq "$want" ] ||
			    { echo "byte $pos: exit $status, want $want" >&2; false; }
			if [ "$want" -eq 0 ]; then
				# Tar padding: not read, so nothing verified changed.
				[ "$output" = "$good" ]
			else
				[ -z "$output" ]
				assert_one_line_naming f.fla
			fi
		done
	done
}

@test "fl-pack sign: needs a private key file of mode 0600" {
	signed_setup
	run --separate-stderr fl-pack sign -o out.fla "$FIX/model.fla"
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-pack: missing --key" ]
	chmod 640 keys/alice.key
	run --separate-stderr fl-pack sign --key keys/alice.key -o out.fla "$FIX/model.fla"
	[ "$status" -eq 3 ]
	[ "$stderr" = "fl-pack: keys/alice.key: readable by others; chmod 600" ]
	chmod 600 keys/alice.key keys/alice.pub
	run --separate-stderr fl-pack sign --key keys/alice.pub -o out.fla "$FIX/model.fla"
	[ "$status" -eq 1 ]
	assert_one_line_naming keys/alice.pub
	# A tampered input is not signed.
	sed 's/"round": 0/"round": 1/' "$FIX/model.fla" >edit.fla
	run --separate-stderr fl-pack sign --key keys/alice.key -o out.fla edit.fla
	[ "$status" -eq 3 ]
	assert_one_line_naming edit.fla
	assert_files edit.fla keys signed.fla trust
}

@test "fl-pack sign/seal/open refuse to write to a terminal" {
	command -v script >/dev/null || skip "script(1) not installed"
	signed_setup
	for v in "sign --key keys/alice.key" "seal --to keys/alice.pub" \
	    "open --key keys/alice.key"; do
		run script -qec "fl-pack $v signed.fla" /dev/null
		[ "$status" -eq 2 ]
		[[ $output == *"refusing to write a binary archive to a terminal"* ]]
	done
}

@test "fl-pack seal/open: byte-identical round trip, one or more recipients" {
	signed_setup
	seq 1 40000 >big.txt
	run --separate-stderr fl-pack seal --to keys/alice.pub --to keys/carol.pub -o big.sealed big.txt
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(head -c 8 big.sealed)" = "flseal1" ]
	for k in alice carol; do
		run --separate-stderr fl-pack open --key "keys/$k.key" -o "$k.txt" big.sealed
		[ "$status" -eq 0 ]
		[ -z "$output" ]
		[ -z "$stderr" ]
		cmp big.txt "$k.txt"
	done
	# stdin to stdout, and an archive read back as it was.
	fl-pack seal --to keys/alice.pub <signed.fla >s.sealed
	fl-pack open --key keys/alice.key <s.sealed >s.fla
	cmp signed.fla s.fla
	# Sealed input is refused by the readers without a key.
	run --separate-stderr fl-pack manifest s.sealed
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-pack: s.sealed: sealed; give --key" ]
	rm alice.txt carol.txt s.fla
	assert_files big.sealed big.txt keys s.sealed signed.fla trust
}

@test "fl-pack seal: options" {
	signed_setup
	run --separate-stderr fl-pack seal -o x.sealed signed.fla
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-pack: missing --to" ]
	run --separate-stderr fl-pack seal --to keys/alice.pub --to keys/alice.pub -o x.sealed signed.fla
	[ "$status" -eq 2 ]
	[[ ${stderr_lines[0]} == "fl-pack: --to: key $(keyid_of keys/alice.pub) given twice"* ]]
	run --separate-stderr fl-pack seal --to keys/alice.key -o x.sealed signed.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming keys/alice.key
	run --separate-stderr fl-pack seal --to keys/alice.pub -o /dev/full signed.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming /dev/full
	run --separate-stderr fl-pack open -o x signed.fla
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-pack: missing --key" ]
	assert_files keys signed.fla trust
}

@test "fl-pack open: a wrong key exits 3 and writes nothing" {
	signed_setup
	fl-pack seal --to keys/alice.pub -o s.sealed signed.fla
	run --separate-stderr fl-pack open --key keys/carol.key -o out.fla s.sealed
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "$stderr" = "fl-pack: s.sealed: not sealed for key $(keyid_of keys/carol.pub) (carol)" ]
	run --separate-stderr fl-pack open --key keys/carol.key s.sealed
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	run --separate-stderr fl-pack open --key keys/alice.key -o out.fla signed.fla
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-pack: signed.fla: not a sealed archive" ]
	assert_files keys s.sealed signed.fla trust
}

@test "fl-pack manifest/verify/log --key open sealed input" {
	signed_setup
	fl-pack seal --to keys/alice.pub -o s.sealed signed.fla
	fl-pack manifest signed.fla >plain.json
	run --separate-stderr fl-pack manifest --key keys/alice.key s.sealed
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(cat plain.json)" ]
	run --separate-stderr fl-pack verify --trust trust --key keys/alice.key s.sealed
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(fl-pack verify --trust trust signed.fla)" ]
	# From stdin too, and a model without history logs its header.
	run --separate-stderr fl-pack log --key keys/alice.key <s.sealed
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(fl-pack log signed.fla)" ]
	# Input that is not sealed is read as it is.
	run --separate-stderr fl-pack log --key keys/alice.key signed.fla
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	# A key the file was not sealed for exits 3, naming the file.
	for v in manifest "verify --trust trust" log; do
		# shellcheck disable=SC2086
		run --separate-stderr fl-pack $v --key keys/carol.key s.sealed
		[ "$status" -eq 3 ]
		[ -z "$output" ]
		[ "$stderr" = "fl-pack: s.sealed: not sealed for key $(keyid_of keys/carol.pub) (carol)" ]
	done
	run --separate-stderr fl-pack log --key nonesuch.key s.sealed
	[ "$status" -eq 1 ]
	assert_one_line_naming nonesuch.key
	assert_files keys plain.json s.sealed signed.fla trust
}

@test "fl-pack open: truncated or altered input exits 3, no byte released" {
	signed_setup
	seq 1 40000 >big.txt
	fl-pack seal --to keys/alice.pub -o big.sealed big.txt
	size=$(stat -c %s big.sealed)
	# Cut at the end of the first chunk: the rest is missing.
	hdr=$(( size - 228894 - 4 * 16 ))
	head -c $(( hdr + 65536 + 16 )) big.sealed >cut.sealed
	run --separate-stderr fl-pack open --key keys/alice.key -o out.txt cut.sealed
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "$stderr" = "fl-pack: cut.sealed: sealed archive truncated" ]
	run --separate-stderr fl-pack open --key keys/alice.key cut.sealed
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	# One byte short, and one byte altered in the last chunk: three good
	# chunks come first, yet stdout stays empty.
	head -c $(( size - 1 )) big.sealed >short.sealed
	run --separate-stderr fl-pack open --key keys/alice.key short.sealed
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "$stderr" = "fl-pack: short.sealed: sealed archive altered or corrupt at chunk 3" ]
	cp big.sealed alt.sealed
	flip alt.sealed $(( size - 20 ))
	run --separate-stderr fl-pack open --key keys/alice.key alt.sealed
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	run --separate-stderr fl-pack open --key keys/alice.key -o out.txt alt.sealed
	[ "$status" -eq 3 ]
	[ "$stderr" = "fl-pack: alt.sealed: sealed archive altered or corrupt at chunk 3" ]
	# Bytes after the final chunk.
	{ cat big.sealed; echo x; } >long.sealed
	run --separate-stderr fl-pack open --key keys/alice.key -o out.txt long.sealed
	[ "$status" -eq 3 ]
	assert_one_line_naming long.sealed
	assert_files alt.sealed big.sealed big.txt cut.sealed keys long.sealed \
	    short.sealed signed.fla trust
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

# --- limits: amplifying manifests, compressed bombs -------------------------

# hostile KIND FILE [N FILE N ...]: write hostile archives, one Python run.
#   deep FILE N ...: a manifest with arrays nested N deep (compact);
#   wide: arrays nested 30 deep holding 300000 zeros (about 600 KB, over
#     16 MiB printed indented);
#   bomb: gzip, a tensors member declaring 1 GiB of zeros, about 1 MB.
hostile() {
	python3 - "$@" <<'PY'
import gzip, hashlib, struct, sys, tarfile

kind = sys.argv[1]

def member(name, size):
    ti = tarfile.TarInfo(name)
    ti.size = size
    ti.mode = 0o644
    return ti.tobuf(format=tarfile.USTAR_FORMAT)

def pad(n):
    return b"\0" * (-n % 512)

# c: the canonical manifest, keys sorted, compact, with no "id".
def archive_head(c, st_size, st_prefix, ident_tail):
    h = hashlib.sha256(struct.pack("<Q", len(c)) + c + ident_tail)
    m = c[:-1] + b',"id":"sha256:' + h.hexdigest().encode() + b'"}'
    return (member("manifest.json", len(m)) + m + pad(len(m)) +
            member("tensors.safetensors", st_size) + st_prefix)

def small(path, x):
    man = b'{"format":"fl/1","kind":"model","x":' + x + b"}"
    hdr = b'{"t":{"data_offsets":[0,4],"dtype":"F32","shape":[1]}}'
    hdr += b" " * (-(8 + len(hdr)) % 8)
    st = struct.pack("<Q", len(hdr)) + hdr + b"\0" * 4
    out = archive_head(man, len(st), st, st) + pad(len(st)) + b"\0" * 1024
    open(path, "wb").write(out)

man = b'{"format":"fl/1","kind":"model"}'
if kind == "deep":
    for i in range(2, len(sys.argv), 2):
        n = int(sys.argv[i + 1])
        small(sys.argv[i], b"[" * n + b"]" * n)
elif kind == "wide":
    small(sys.argv[2],
          b"[" * 30 + b",".join([b"0"] * 300000) + b"]" * 30)
else:
    path = sys.argv[2]
    data = 1 << 30
    hdr = ('{"t":{"data_offsets":[0,%d],"dtype":"F32","shape":[%d]}}'
           % (data, data // 4)).encode()
    hdr += b" " * (-(8 + len(hdr)) % 8)
    pre = struct.pack("<Q", len(hdr)) + hdr
    size = len(pre) + data
    # The id is left wrong: computing it would hash 1 GiB.
    head = archive_head(man, size, pre, b"")
    mib = gzip.compress(b"\0" * (1 << 20), 9)
    with open(path, "wb") as f:
        f.write(gzip.compress(head, 9))
        f.write(mib * (data >> 20))
        f.write(gzip.compress(pad(size) + b"\0" * 1024, 9))
PY
}

@test "fl-pack: a manifest nested too deep is refused before printing" {
	hostile deep deep.fla 2000 ok.fla 31 over.fla 32
	[ "$(stat -c %s deep.fla)" -lt 16384 ]
	for v in manifest list log; do
		run --separate-stderr fl-pack "$v" deep.fla
		[ "$status" -eq 1 ]
		[ -z "$output" ]
		assert_one_line_naming deep.fla
		[ "$stderr" = "fl-pack: deep.fla: manifest.json: nested deeper than 32 levels" ]
	done
	run --separate-stderr fl-pack extract -C out deep.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming deep.fla
	mkdir keys
	fl-keygen -o keys alice
	run --separate-stderr fl-pack sign --key keys/alice.key -o s.fla deep.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming deep.fla
	assert_files deep.fla keys ok.fla over.fla
	# 32 levels (the manifest and 31 arrays) are read.
	run --separate-stderr fl-pack manifest ok.fla
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run --separate-stderr fl-pack manifest over.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming over.fla
}

@test "fl-pack: a compact manifest over 16 MiB printed is refused" {
	hostile wide wide.fla
	[ "$(stat -c %s wide.fla)" -lt 1048576 ]
	run --separate-stderr fl-pack manifest wide.fla
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "fl-pack: wide.fla: manifest.json: over 16777216 bytes when printed indented" ]
	run --separate-stderr fl-pack extract -C out wide.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming wide.fla
	assert_files wide.fla
	# fl-pack create refuses the same manifest from a directory.
	mkdir d
	fl-pack extract -C d "$FIX/model.fla"
	python3 -c 'import json, sys
m = json.load(open("d/manifest.json"))
x = 0
for _ in range(40):
    x = [x]
m["x"] = x
json.dump(m, open("d/manifest.json", "w"))'
	run --separate-stderr fl-pack create -C d -o new.fla
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-pack: d/manifest.json: nested deeper than 32 levels" ]
	assert_files d wide.fla
}

@test "fl-pack: a compressed bomb is refused by its declared size, before reading" {
	hostile bomb bomb.fla
	[ "$(stat -c %s bomb.fla)" -lt 2097152 ]
	mkdir keys trust
	fl-keygen -o keys alice
	cp keys/alice.pub trust/
	msg="fl-pack: bomb.fla: tensors.safetensors: 1073741904 bytes declared, over the limit of"
	# Under a 1 GiB address space, reading 1 GiB would fail otherwise
	# (not under ASan, whose shadow memory needs terabytes of addresses).
	lim='ulimit -v 1048576;'
	case $BUILD in */asan) lim= ;; esac
	run --separate-stderr sh -c "$lim exec fl-pack verify --trust trust bomb.fla"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "$msg 536870912 (FL_MAX_BYTES or --max-bytes)" ]
	run --separate-stderr sh -c "$lim exec fl-pack --max-bytes 1M list bomb.fla"
	[ "$status" -eq 1 ]
	[ "$stderr" = "$msg 1048576 (FL_MAX_BYTES or --max-bytes)" ]
	run --separate-stderr sh -c "$lim FL_MAX_BYTES=1m exec fl-pack manifest bomb.fla"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "$msg 1048576 (FL_MAX_BYTES or --max-bytes)" ]
	assert_files bomb.fla keys trust
}

@test "fl-pack --max-bytes: caps every verb that reads archives" {
	# model.fla's tensors member is 148 bytes.
	for v in list manifest log; do
		run --separate-stderr fl-pack --max-bytes 148 "$v" "$FIX/model.fla"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		run --separate-stderr fl-pack --max-bytes 147 "$v" "$FIX/model.fla"
		[ "$status" -eq 1 ]
		[ -z "$output" ]
		[ "$stderr" = "fl-pack: $FIX/model.fla: tensors.safetensors: 148 bytes declared, over the limit of 147 (FL_MAX_BYTES or --max-bytes)" ]
	done
	run --separate-stderr fl-pack --max-bytes 147 extract -C d "$FIX/model.fla"
	[ "$status" -eq 1 ]
	assert_one_line_naming model.fla
	mkdir keys trust
	fl-keygen -o keys alice
	cp keys/alice.pub trust/
	run --separate-stderr fl-pack --max-bytes 147 sign --key keys/alice.key -o s.fla "$FIX/model.fla"
	[ "$status" -eq 1 ]
	assert_one_line_naming model.fla
	fl-pack sign --key keys/alice.key -o s.fla "$FIX/model.fla"
	run --separate-stderr fl-pack --max-bytes 147 verify --trust trust s.fla
	[ "$status" -eq 1 ]
	assert_one_line_naming s.fla
	assert_files keys s.fla trust
	# The option overrides the environment; bad sizes are usage errors.
	FL_MAX_BYTES=1 fl-pack --max-bytes 1K list "$FIX/model.fla" >/dev/null
	for bad in 0 abc 1X 1MB -1 99999999999999999999; do
		run --separate-stderr fl-pack --max-bytes "$bad" list "$FIX/model.fla"
		[ "$status" -eq 2 ]
		[[ ${lines[0]} == "" ]]
		[[ $stderr == "fl-pack: --max-bytes: '$bad' is not a size"* ]]
	done
	run --separate-stderr env FL_MAX_BYTES=lots fl-pack list "$FIX/model.fla"
	[ "$status" -eq 2 ]
	[ "$stderr" = "fl-pack: FL_MAX_BYTES: 'lots' is not a size (bytes, or a number and K, M, G or T)" ]
}
