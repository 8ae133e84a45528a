#!/usr/bin/env bats
# fl-aggregate: FedAvg of updates, and merging of statistics.

load helper
bats_require_minimum_version 1.5.0

setup() {
	enter_tmp || return 1
	colon_sites
	colon_model
	fl-train -d a.csv -o a.upd r0.fla
	fl-train -d b.csv -o b.upd r0.fla
}

# Rewrite archive $1 into $2 after running sed expression $3 on its
# manifest; fl-pack create recomputes the id, so only our checks can
# catch the change.
edit_manifest() {
	rm -rf x && mkdir x
	fl-pack extract -C x "$1"
	sed -i "$3" x/manifest.json
	fl-pack create -C x -o "$2"
	rm -rf x
}

@test "fl-aggregate: the next model, its parent, round and contributors" {
	run --separate-stderr fl-aggregate -m r0.fla -o r1.fla a.upd b.upd
	[ "$status" -eq 0 ]
	[ -z "$output" ] && [ -z "$stderr" ]
	[ "$(manifest_get r1.fla kind)" = model ]
	[ "$(manifest_get r1.fla round)" = 1 ]
	[ "$(manifest_get r1.fla parent)" = "$(manifest_get r0.fla id)" ]
	na=$(manifest_get a.upd samples)
	nb=$(manifest_get b.upd samples)
	[ "$(manifest_get r1.fla samples)" = $((na + nb)) ]
	m=$(fl-pack manifest r1.fla | tr -d ' \n')
	[[ "$m" == *"\"contributors\":[{\"id\":\"$(manifest_get a.upd id)\",\"samples\":$na,\"signer\":null,\"site\":\"a\"},{\"id\":\"$(manifest_get b.upd id)\",\"samples\":$nb,\"signer\":null,\"site\":\"b\"}]"* ]]
	[[ "$m" == *'"strategy":"fedavg"'* ]]
}

@test "fl-aggregate --min-updates: refuses a round from too few updates" {
	run --separate-stderr fl-aggregate --min-updates 3 -m r0.fla -o r1.fla a.upd b.upd
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "fl-aggregate: 2 updates, fewer than --min-updates 3; no model written" ]
	run --separate-stderr fl-aggregate --min-updates 2 -m r0.fla -o r1.fla a.upd
	[ "$status" -eq 1 ]
	[ "$stderr" = "fl-aggregate: 1 update, fewer than --min-updates 2; no model written" ]
	assert_files a.csv a.upd b.csv b.upd r0.fla stats.fls test.csv
	# Enough updates: the same model as without the option.
	run --separate-stderr fl-aggregate --min-updates 2 -m r0.fla -o r1.fla a.upd b.upd
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	fl-aggregate -m r0.fla -o plain.fla a.upd b.upd
	cmp r1.fla plain.fla
	for bad in 0 -1 x; do
		run --separate-stderr fl-aggregate --min-updates "$bad" -m r0.fla a.upd
		[ "$status" -eq 2 ]
		[[ ${stderr_lines[0]} == "fl-aggregate: --min-updates: "* ]]
	done
}

@test "fl-aggregate: files, one stream on stdin, or model first in the stream" {
	fl-aggregate -m r0.fla -o f.fla a.upd b.upd
	cat a.upd b.upd | fl-aggregate -m r0.fla > s.fla
	cat r0.fla a.upd b.upd | fl-aggregate > t.fla
	cat b.upd | fl-aggregate -m r0.fla a.upd - > u.fla
	cmp f.fla s.fla
	cmp f.fla t.fla
	cmp f.fla u.fla
}

@test "fl-aggregate: the model equals the base plus the weighted mean delta" {
	# One update: the new model is the base plus its delta.
	fl-aggregate -m r0.fla -o one.fla a.upd
	mkdir r0 a one
	fl-pack extract -C r0 r0.fla
	fl-pack extract -C a a.upd
	fl-pack extract -C one one.fla
	# Compare the raw float data with od: one = r0 + a within float rounding.
	od -An -v -f -j "$(( $(od -An -N8 -tu8 r0/tensors.safetensors) + 8 ))" \
	    r0/tensors.safetensors | tr -s ' ' '\n' | grep . > r0.txt
	od -An -v -f -j "$(( $(od -An -N8 -tu8 a/tensors.safetensors) + 8 ))" \
	    a/tensors.safetensors | tr -s ' ' '\n' | grep . > a.txt
	od -An -v -f -j "$(( $(od -An -N8 -tu8 one/tensors.safetensors) + 8 ))" \
	    one/tensors.safetensors | tr -s ' ' '\n' | grep . > one.txt
	[ "$(wc -l < r0.txt)" -eq 12 ]
	paste r0.txt a.txt one.txt | awk '{ d = $1 + $2 - $3; if (d < 0) d = -d;
		if (d > 1e-6 * (1 + ($3 < 0 ? -$3 : $3))) bad++ }
		END { exit bad > 0 }'
}

@test "fl-aggregate: refuses an update from another model, naming it" {
	fl-aggregate -m r0.fla -o r1.fla a.upd b.upd
	fl-train -d a.csv -o late.upd r1.fla
	run --separate-stderr fl-aggregate -m r0.fla -o r2.fla a.upd late.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming late.upd
	r1=$(manifest_get r1.fla id | cut -c 1-19)
	r0=$(manifest_get r0.fla id | cut -c 1-19)
	[ "$stderr" = "fl-aggregate: late.upd: update was trained from the round-1 model $r1..., not from this round-0 model $r0..." ]
	[ ! -e r2.fla ]
}

@test "fl-aggregate: refuses another round, architecture or features" {
	edit_manifest a.upd round.upd 's/"round": 0/"round": 3/'
	run --separate-stderr fl-aggregate -m r0.fla -o r1.fla round.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming round.upd
	[[ "$stderr" == *"round 3"* ]]
	edit_manifest a.upd feat.upd 's/"nodes"/"nodez"/'
	run --separate-stderr fl-aggregate -m r0.fla -o r1.fla b.upd feat.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming feat.upd
	[[ "$stderr" == *"features"* ]]
	edit_manifest a.upd zero.upd 's/"samples": [0-9]*/"samples": 0/'
	run --separate-stderr fl-aggregate -m r0.fla -o r1.fla zero.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming zero.upd
	[ ! -e r1.fla ]
}

@test "fl-aggregate: refuses a second update from one site in a round" {
	fl-train -d a.csv --seed 2 -o a2.upd r0.fla
	run --separate-stderr fl-aggregate -m r0.fla -o r1.fla a.upd b.upd a2.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming a2.upd
	[[ "$stderr" == *"second update from site 'a'"* ]]
	run --separate-stderr fl-aggregate -m r0.fla -o r1.fla a.upd a.upd
	[ "$status" -eq 1 ]
	[ ! -e r1.fla ]
}

# Rewrite archive $1 into $2 with its tensors' data in name order
# (fc0.bias before fc0.weight), or, with $3, fc0.weight transposed
# ("transpose") or renamed fc0.w ("rename"), or with a state vector
# of a name state/ does not allow ("badstate"); fl-pack create keeps the
# data order it is given and computes a new id.
rewrite_tensors() {
	command -v python3 > /dev/null || skip "python3 is not installed"
	rm -rf x && mkdir x
	fl-pack extract -C x "$1"
	python3 - x/tensors.safetensors "${3:-}" <<'PY'
import json, struct, sys
path, how = sys.argv[1], sys.argv[2]
raw = open(path, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
head = json.loads(raw[8:8 + n])
data = raw[8 + n:]
out, body = {}, b""
for name in sorted(head):
    e = head[name]
    b, end = e["data_offsets"]
    shape = e["shape"]
    if name == "fc0.weight" and how == "transpose":
        shape = shape[::-1]
    if name == "fc0.weight" and how == "rename":
        name = "fc0.w"
    out[name] = {"dtype": e["dtype"], "shape": shape,
                 "data_offsets": [len(body), len(body) + end - b]}
    body += data[b:end]
if how == "badstate":
    out["state/Bad"] = {"dtype": "F32", "shape": [len(data) // 4],
                        "data_offsets": [len(body), len(body) + len(data)]}
    body += data
text = json.dumps(out, sort_keys=True, separators=(",", ":")).encode()
text += b" " * ((8 - (8 + len(text)) % 8) % 8)
open(path, "wb").write(struct.pack("<Q", len(text)) + text + body)
PY
	fl-pack create -C x -o "$2"
	rm -rf x
}

# The tensors of archive $1, as stored, into file $2.
tensors_of() {
	rm -rf t && mkdir t
	fl-pack extract -C t "$1"
	mv t/tensors.safetensors "$2"
	rm -rf t
}

@test "fl-aggregate: an update in another data order gives the same model" {
	rewrite_tensors a.upd ra.upd
	# The rewrite really moved the data: another id, fc0.bias first.
	[ "$(manifest_get ra.upd id)" != "$(manifest_get a.upd id)" ]
	[ "$(fl-pack list ra.upd | sed -n 2p | cut -f1)" = fc0.bias ]
	for s in fedavg median; do
		fl-aggregate -q --strategy $s -m r0.fla -o want.fla a.upd b.upd
		run --separate-stderr fl-aggregate --strategy $s -m r0.fla \
		    -o got.fla ra.upd b.upd
		[ "$status" -eq 0 ] && [ -z "$stderr" ]
		tensors_of want.fla want.st
		tensors_of got.fla got.st
		cmp want.st got.st
		rm want.fla got.fla
	done
	# A model in another data order is the same model.
	rewrite_tensors r0.fla rr0.fla
	fl-eval -p -d test.csv r0.fla > want.tsv
	fl-eval -p -d test.csv rr0.fla > got.tsv
	cmp want.tsv got.tsv
}

@test "fl-aggregate: updates streamed into the sum give the model of updates read whole" {
	# --clip far above any norm reads each update whole (the norm comes
	# first) and scales nothing: the same tensors as the streamed sum.
	fl-aggregate -m r0.fla -o want.fla a.upd b.upd
	fl-aggregate --clip 1e30 -m r0.fla -o whole.fla a.upd b.upd
	tensors_of want.fla want.st
	tensors_of whole.fla whole.st
	cmp want.st whole.st
	# Compressed, and one stream on stdin with the model first.
	gzip -c a.upd > a.upd.gz
	zstd -q -c b.upd > b.upd.zst
	fl-aggregate -m r0.fla -o z.fla a.upd.gz b.upd.zst
	cat r0.fla a.upd b.upd | fl-aggregate -o s.fla
	for f in z s; do
		tensors_of $f.fla $f.st
		cmp want.st $f.st
	done
	# A partial streamed in.
	fl-aggregate --partial -m r0.fla -o p.part a.upd.gz
	fl-aggregate -m r0.fla -o p.fla p.part b.upd
	tensors_of p.fla p.st
	cmp want.st p.st
}

@test "fl-aggregate: refuses a transposed or renamed weight, naming it" {
	rewrite_tensors a.upd tr.upd transpose
	run --separate-stderr fl-aggregate -m r0.fla -o r1.fla b.upd tr.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming tr.upd
	[ "$stderr" = "fl-aggregate: tr.upd: tensor 'fc0.weight' is F32 [11, 1], the model's is F32 [1, 11]" ]
	rewrite_tensors a.upd rn.upd rename
	run --separate-stderr fl-aggregate --strategy median -m r0.fla -o r1.fla \
	    rn.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming rn.upd
	[[ "$stderr" == *"tensor 'fc0.w' "* ]]
	[ ! -e r1.fla ]
	# Streamed or read whole, the same refusal.
	rewrite_tensors a.upd bs.upd badstate
	run --separate-stderr fl-aggregate -m r0.fla -o r1.fla b.upd bs.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming bs.upd
	[[ "$stderr" == *"tensor 'state/Bad' is neither a parameter"* ]]
	[ ! -e r1.fla ]
}

@test "fl-aggregate: the model's history chains its rounds" {
	fl-aggregate -m r0.fla -o r1.fla a.upd b.upd
	fl-train -d a.csv -o a1.upd r1.fla
	fl-aggregate -m r1.fla -o r2.fla a1.upd
	m=$(fl-pack manifest r2.fla | tr -d ' \n')
	[[ "$m" == *'"history":[{"parent":"'"$(manifest_get r0.fla id)"'","prev":null,"round":0,"strategy":"fedavg"'* ]]
	[[ "$m" == *'"parent":"'"$(manifest_get r1.fla id)"'","prev":"sha256:'*'"round":1,'* ]]
}

@test "fl-aggregate: refuses NaN in an update" {
	mkdir x
	fl-pack extract -C x a.upd
	off=$(( $(od -An -N8 -tu8 x/tensors.safetensors) + 8 + 4 ))
	printf '\000\000\300\177' |
	    dd of=x/tensors.safetensors bs=1 seek="$off" conv=notrunc 2>/dev/null
	fl-pack create -C x -o nan.upd
	run --separate-stderr fl-aggregate -m r0.fla -o r1.fla b.upd nan.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming nan.upd
	[[ "$stderr" == *"NaN"* ]]
	[ ! -e r1.fla ]
}

@test "fl-aggregate: a tampered update exits 3, a truncated one 1" {
	cp a.upd t.upd
	# Flip one byte in the tensor data, near the end of the tar member.
	size=$(wc -c < t.upd)
	off=$(grep -abo 'tensors.safetensors' t.upd | head -n1 | cut -d: -f1)
	printf 'Z' | dd of=t.upd bs=1 seek=$((off + 1024 + 100)) conv=notrunc 2>/dev/null
	[ "$(wc -c < t.upd)" -eq "$size" ]
	run --separate-stderr fl-aggregate -m r0.fla -o r1.fla t.upd
	[ "$status" -eq 3 ] || [ "$status" -eq 1 ]
	assert_one_line_naming t.upd
	head -c 1500 a.upd > cut.upd
	run --separate-stderr fl-aggregate -m r0.fla -o r1.fla cut.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming cut.upd
	[ ! -e r1.fla ]
}

@test "fl-aggregate: merged statistics equal the pooled rows' statistics" {
	fl-stats --data a.csv -o a.fls
	fl-stats --data b.csv -o b.fls
	fl-stats --data test.csv -o t.fls
	fl-aggregate -o pooled.fls a.fls b.fls t.fls
	[ "$(manifest_get pooled.fls kind)" = stats ]
	fl-stats --tsv pooled.fls > merged.tsv
	fl-stats --tsv --data "$DATA/colon.csv" > whole.tsv
	# count, missing, min, max exactly; mean and sd to 1e-9 relative
	paste merged.tsv whole.tsv | awk -F'\t' 'NR > 1 {
		if ($1 != $8 || $2 != $9 || $3 != $10 || $6 != $13 || $7 != $14) bad++
		for (i = 4; i <= 5; i++) { d = $i - $(i + 7); if (d < 0) d = -d
			if (d > 1e-9 * (1 + ($i < 0 ? -$i : $i))) bad++ } }
		END { exit bad > 0 }'
}

@test "fl-aggregate: no base model, mixed kinds, usage errors" {
	run --separate-stderr fl-aggregate a.upd b.upd
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--model"* ]]
	fl-stats --data a.csv -o a.fls
	run --separate-stderr fl-aggregate -m r0.fla -o r1.fla a.upd a.fls
	[ "$status" -eq 1 ]
	assert_one_line_naming a.fls
	run --separate-stderr fl-aggregate -m a.upd -o r1.fla b.upd
	[ "$status" -eq 1 ]
	assert_one_line_naming a.upd
	run --separate-stderr fl-aggregate --strategy bogus -m r0.fla a.upd
	[ "$status" -eq 2 ]
	run --separate-stderr fl-aggregate -m - - < a.upd
	[ "$status" -eq 2 ]
	run --separate-stderr fl-aggregate -m r0.fla -o /dev/full a.upd
	[ "$status" -eq 1 ]
	[ ! -e r1.fla ]
}

@test "fl-aggregate: an update may declare no more tensor bytes than the model allows" {
	# A gzip'd update whose tensors member declares 64 MiB of zeros:
	# under the default FL_MAX_BYTES, far over what an update of this
	# model can hold; refused from its header, before any of it is read.
	python3 - <<'PY'
import gzip, struct, tarfile
def member(name, size):
    ti = tarfile.TarInfo(name)
    ti.size = size
    ti.mode = 0o644
    return ti.tobuf(format=tarfile.USTAR_FORMAT)
data = 64 << 20
m = b'{"format":"fl/1","id":"sha256:' + b"0" * 64 + b'","kind":"update"}'
hdr = ('{"t":{"data_offsets":[0,%d],"dtype":"F32","shape":[%d]}}'
       % (data, data // 4)).encode()
hdr += b" " * (-(8 + len(hdr)) % 8)
pre = struct.pack("<Q", len(hdr)) + hdr
size = len(pre) + data
head = (member("manifest.json", len(m)) + m + b"\0" * (-len(m) % 512) +
        member("tensors.safetensors", size) + pre)
with open("bomb.upd", "wb") as f:
    f.write(gzip.compress(head + b"\0" * data + b"\0" * (-size % 512) +
                          b"\0" * 1024, 9))
PY
	[ "$(stat -c %s bomb.upd)" -lt 1048576 ]
	run --separate-stderr fl-aggregate -m r0.fla -o r1.fla a.upd bomb.upd
	[ "$status" -eq 1 ]
	[[ "$stderr" == "fl-aggregate: bomb.upd: tensors.safetensors: 67108944 bytes declared, over the limit of "*" (an update of this model holds no more)" ]]
	# The model first in the stream sets the cap just the same.
	run --separate-stderr sh -c '{ gzip -c r0.fla; cat bomb.upd; } | fl-aggregate -o r1.fla'
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"(an update of this model holds no more)" ]]
	assert_files a.csv a.upd b.csv b.upd bomb.upd r0.fla stats.fls test.csv
}
