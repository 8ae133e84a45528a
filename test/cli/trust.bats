#!/usr/bin/env bats
# Trust across the tools: --sign, --trust and --key, replays, tampering,
# and the air-gapped example (the cron jobs: cron.bats).

load helper
bats_require_minimum_version 1.5.0

setup() {
	enter_tmp || return 1
	colon_sites
	mkdir keys
	for who in coord a b; do
		fl-keygen -o keys "$who"
	done
	# Site keys at a trust folder's top, coordinator keys in coordinator/.
	mkdir -p coord-trust/coordinator site-trust/coordinator
	cp keys/a.pub keys/b.pub coord-trust/
	cp keys/coord.pub coord-trust/coordinator/
	cp keys/coord.pub site-trust/coordinator/
	fl-stats --data a.csv -o a.fls
	fl-stats --data b.csv -o b.fls
	fl-aggregate -o stats.fls a.fls b.fls
	fl-init -m logreg -l death_5y -f "$COLON_FEATURES" -s stats.fls \
	    --sign keys/coord.key -o r0.fla
}

@test "trust: fl-init --sign signs the model; fl-train --trust accepts it" {
	run --separate-stderr fl-pack verify --trust site-trust r0.fla
	[ "$status" -eq 0 ]
	[[ "$output" == *coord* ]]
	run --separate-stderr fl-train --trust site-trust -d a.csv -o a.upd r0.fla
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}

@test "trust: fl-aggregate --trust takes its own models only with its .pub in coordinator/" {
	fl-train --sign keys/a.key -d a.csv -o a.upd r0.fla
	fl-train --sign keys/b.key -d b.csv -o b.upd r0.fla
	run --separate-stderr fl-aggregate --trust coord-trust --sign keys/coord.key \
	    -m r0.fla -o r1.fla a.upd b.upd
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	# Its own key missing from the folder: the model it signed is refused.
	mkdir -p nocoord/coordinator
	cp keys/a.pub keys/b.pub nocoord/
	run --separate-stderr fl-aggregate --trust nocoord -m r0.fla -o x.fla a.upd b.upd
	[ "$status" -eq 3 ]
	[ "$stderr" = "fl-aggregate: r0.fla: signed by unknown key $(keyid keys/coord.pub) (coord)" ]
	# At the top of the folder it is a site key, not a coordinator's.
	cp keys/coord.pub nocoord/
	run --separate-stderr fl-aggregate --trust nocoord -m r0.fla -o x.fla a.upd b.upd
	[ "$status" -eq 3 ]
	assert_one_line_naming r0.fla
	[[ $stderr == *"must be signed by a coordinator key (the trust folder's coordinator/)" ]]
	[ ! -e x.fla ]
}

@test "trust: fl-train --trust refuses an unsigned or foreign-signed model" {
	fl-init -m logreg -l death_5y -f "$COLON_FEATURES" -o plain.fla
	run --separate-stderr fl-train --trust site-trust -d a.csv -o u.upd plain.fla
	[ "$status" -eq 3 ]
	assert_one_line_naming plain.fla
	fl-init -m logreg -l death_5y -f "$COLON_FEATURES" --sign keys/a.key \
	    -o bya.fla
	run --separate-stderr fl-train --trust site-trust -d a.csv -o u.upd bya.fla
	[ "$status" -eq 3 ]
	assert_one_line_naming bya.fla
	[ ! -e u.upd ]
	# A site key in the folder does not make a coordinator: not for
	# fl-train, fl-pack verify, nor as fl-aggregate's base model.
	cp keys/a.pub site-trust/
	run --separate-stderr fl-train --trust site-trust -d a.csv -o u.upd bya.fla
	[ "$status" -eq 3 ]
	[ "$stderr" = "fl-train: bya.fla: signed by a ($(keyid keys/a.pub)), a site key; a model that names no site must be signed by a coordinator key (the trust folder's coordinator/)" ]
	run --separate-stderr fl-pack verify --trust site-trust bya.fla
	[ "$status" -eq 3 ]
	assert_one_line_naming bya.fla
	[ -z "$output" ]
	fl-train -d a.csv --sign keys/a.key -o a.upd bya.fla
	run --separate-stderr fl-aggregate --trust coord-trust -m bya.fla \
	    -o r1.fla a.upd
	[ "$status" -eq 3 ]
	assert_one_line_naming bya.fla
	[ ! -e u.upd ] && [ ! -e r1.fla ]
}

@test "trust: fl-train --sign names the site after the key" {
	fl-train --sign keys/a.key -d a.csv -o a.upd r0.fla
	[ "$(manifest_get a.upd site)" = a ]
	fl-pack verify --trust coord-trust a.upd
}

@test "trust: fl-aggregate --trust checks each signer against its site" {
	fl-train --sign keys/a.key -d a.csv -o a.upd r0.fla
	fl-train --sign keys/b.key -d b.csv -o b.upd r0.fla
	run --separate-stderr fl-aggregate --trust coord-trust --sign keys/coord.key \
	    -m r0.fla -o r1.fla a.upd b.upd
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	fl-pack verify --trust site-trust r1.fla
	a=$(fl-pack list keys >/dev/null 2>&1; sed -n 's/^fl-pub-1 \([0-9a-f]*\) .*/\1/p' keys/a.pub)
	fl-pack manifest r1.fla | tr -d ' \n' | grep -q "\"signer\":\"$a\""
	# fl-train will not sign a site name other than its key's
	run --separate-stderr fl-train --sign keys/b.key --site a -d b.csv \
	    -o liar.upd r0.fla
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--site 'a' is not the signing key's name 'b'"* ]]
	# b's key signing an update that claims to come from site a
	fl-train --site a -d b.csv r0.fla | fl-pack sign --key keys/b.key \
	    -o liar.upd
	run --separate-stderr fl-aggregate --trust coord-trust -m r0.fla \
	    -o r1b.fla liar.upd
	[ "$status" -eq 3 ]
	assert_one_line_naming liar.upd
	[[ "$stderr" == *"site 'a'"* ]]
	# an unsigned update
	fl-train -d b.csv -o plain.upd r0.fla
	run --separate-stderr fl-aggregate --trust coord-trust -m r0.fla \
	    -o r1b.fla a.upd plain.upd
	[ "$status" -eq 3 ]
	assert_one_line_naming plain.upd
	[ ! -e r1b.fla ]
}

@test "trust: a replayed update from an earlier round is refused" {
	fl-train --sign keys/a.key -d a.csv -o a.upd r0.fla
	fl-aggregate --trust coord-trust --sign keys/coord.key -m r0.fla \
	    -o r1.fla a.upd
	run --separate-stderr fl-aggregate --trust coord-trust -m r1.fla \
	    -o r2.fla a.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming a.upd
	[ ! -e r2.fla ]
}

@test "trust: --key opens sealed models and updates; without it, a clear no" {
	fl-pack seal --to keys/a.pub -o r0.sealed r0.fla
	run --separate-stderr fl-train -d a.csv -o u.upd r0.sealed
	[ "$status" -eq 1 ]
	assert_one_line_naming r0.sealed
	[[ "$stderr" == *"--key"* ]]
	run --separate-stderr fl-train --key keys/b.key -d a.csv -o u.upd r0.sealed
	[ "$status" -eq 3 ]
	[ ! -e u.upd ]
	fl-train --key keys/a.key --trust site-trust --sign keys/a.key -d a.csv \
	    r0.sealed | fl-pack seal --to keys/coord.pub -o a.sealed
	fl-train --sign keys/a.key -d a.csv -o a.upd r0.fla
	fl-aggregate --trust coord-trust --key keys/coord.key -m r0.fla \
	    -o r1.fla a.sealed
	fl-aggregate -m r0.fla -o r1plain.fla a.upd
	cmp <(fl-pack list r1.fla) <(fl-pack list r1plain.fla)
	fl-pack seal --to keys/b.pub -o r1.sealed r1.fla
	run --separate-stderr fl-eval --key keys/b.key -d test.csv r1.sealed
	[ "$status" -eq 0 ]
	[[ "$output" == '{"n":'* ]]
}

@test "trust: a tampered sealed update exits 3 and writes nothing" {
	fl-train --sign keys/a.key -d a.csv r0.fla |
	    fl-pack seal --to keys/coord.pub -o a.sealed
	size=$(wc -c < a.sealed)
	printf 'X' | dd of=a.sealed bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
	run --separate-stderr fl-aggregate --trust coord-trust --key keys/coord.key \
	    -m r0.fla -o r1.fla a.sealed
	[ "$status" -eq 3 ]
	assert_one_line_naming a.sealed
	[ ! -e r1.fla ]
	head -c $((size - 100)) a.sealed > cut.sealed
	run --separate-stderr fl-aggregate --key keys/coord.key -m r0.fla \
	    -o r1.fla cut.sealed
	[ "$status" -eq 3 ]
	[ ! -e r1.fla ]
}

@test "trust: examples/sneakernet runs an air-gapped federation" {
	run --separate-stderr "$TOP/examples/sneakernet/run.sh" 2
	[ "$status" -eq 0 ]
	[[ "$output" == *"round 2"*'"auc"'* ]]
	[[ "$output" == *"tampered update refused (exit 3)"* ]]
}

@test "trust: fl-pack log and verify --chain follow a model's rounds" {
	fl-train --sign keys/a.key -d a.csv -o a0.upd r0.fla
	fl-train --sign keys/b.key -d b.csv -o b0.upd r0.fla
	fl-aggregate --trust coord-trust --sign keys/coord.key -m r0.fla \
	    -o r1.fla a0.upd b0.upd
	fl-train --sign keys/a.key -d a.csv -o a1.upd r1.fla
	fl-aggregate --trust coord-trust --sign keys/coord.key -m r1.fla \
	    -o r2.fla a1.upd
	run --separate-stderr fl-pack log r2.fla
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(printf 'round\tparent\tsite\tsamples\tupdate\tsigner')" ]
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[1]}" == "0	$(manifest_get r0.fla id)	a	"* ]]
	[[ "${lines[3]}" == "1	$(manifest_get r1.fla id)	a	"*"	$(manifest_get a1.upd id)	"* ]]
	run --separate-stderr fl-pack verify --chain --trust site-trust r2.fla
	[ "$status" -eq 0 ]
	[[ "$output" == "coord	"* ]]
	# Alter round 0's record, then re-sign with the coordinator's own key:
	# the signature is fine, the broken link is not.
	rm -rf x && mkdir x
	fl-pack extract -C x r2.fla
	awk '/"history"/ { h = 1 }
	    h && !done && /"samples"/ { sub(/"samples": [0-9]*/, "\"samples\": 1"); done = 1 }
	    { print }' x/manifest.json > x/m && mv x/m x/manifest.json
	fl-pack create -C x | fl-pack sign --key keys/coord.key -o forged.fla
	run --separate-stderr fl-pack verify --trust site-trust forged.fla
	[ "$status" -eq 0 ]
	run --separate-stderr fl-pack verify --chain --trust site-trust forged.fla
	[ "$status" -eq 3 ]
	assert_one_line_naming forged.fla
	[[ "$stderr" == *"history entry 0"* ]]
	[ -z "$output" ]
}

@test "trust: fl-pack log refuses a site or signer that would forge rows" {
	fl-train --sign keys/a.key -d a.csv -o a0.upd r0.fla
	fl-aggregate --trust coord-trust --sign keys/coord.key -m r0.fla \
	    -o r1.fla a0.upd
	rm -rf x && mkdir x
	fl-pack extract -C x r1.fla
	# A tab and a newline in round 0's site: a second row, a fake signer.
	python3 -c 'import json
m = json.load(open("x/manifest.json"))
m["history"][0]["updates"][0]["site"] = "a\t1\tsha256:x\tcoord\n0"
json.dump(m, open("x/manifest.json", "w"))'
	fl-pack create -C x -o forged.fla
	run --separate-stderr fl-pack log forged.fla
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "fl-pack: forged.fla: history entry 0, update 0: a site, signer or id that is not a name or an id" ]
}

@test "trust: a site's update is found among co-signatures, whatever their key ids" {
	# Three keys sorted by key id: the middle one is the site's, the
	# others co-sign, one sorting before it and one after.
	for k in x1 x2 x3; do fl-keygen -o keys "$k"; done
	set -- $(for k in x1 x2 x3; do echo "$(keyid "keys/$k.pub") $k"; done |
	    sort | cut -d ' ' -f 2)
	lo=$1 site=$2 hi=$3
	cp keys/x1.pub keys/x2.pub keys/x3.pub coord-trust/
	fl-train --sign "keys/$site.key" -d a.csv r0.fla |
	    fl-pack sign --key "keys/$lo.key" | fl-pack sign --key "keys/$hi.key" -o co.upd
	[ "$(tar tf co.upd | grep -c '^sig/')" -eq 3 ]
	run --separate-stderr fl-aggregate --trust coord-trust -m r0.fla -o r1.fla co.upd
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	# Without the site's signature, co-signers do not stand in for it.
	fl-train --site "$site" -d a.csv r0.fla | fl-pack sign --key "keys/$lo.key" |
	    fl-pack sign --key "keys/$hi.key" -o nosite.upd
	run --separate-stderr fl-aggregate --trust coord-trust -m r0.fla -o r1b.fla nosite.upd
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"but the update is from site '$site' and carries no signature by its site key" ]]
	[ ! -e r1b.fla ]
}

@test "trust: an update's site must be a name; a long one is refused with 1" {
	fl-train -d a.csv -o a.upd r0.fla
	rm -rf x && mkdir x
	fl-pack extract -C x a.upd
	python3 -c 'import json, sys
m = json.load(open("x/manifest.json"))
m["site"] = "x" * (8 << 20)
json.dump(m, open("x/manifest.json", "w"))'
	run --separate-stderr fl-pack create -C x -o big.upd
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-pack: x/manifest.json: a string over 65536 bytes" ]
	python3 -c 'import json, sys
m = json.load(open("x/manifest.json"))
m["site"] = "x" * 60000
json.dump(m, open("x/manifest.json", "w"))'
	fl-pack create -C x -o big.upd
	run --separate-stderr fl-aggregate -m r0.fla -o r1.fla big.upd
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-aggregate: big.upd: key 'site' is not a site name (1 to 128 of A-Z a-z 0-9 . _ -)" ]
	run --separate-stderr fl-train -d a.csv --site "$(printf '%0300d' 0)" r0.fla
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "fl-train: --site: not a name (1 to 128 of A-Z a-z 0-9 . _ -)" ]
	[ ! -e r1.fla ]
}
