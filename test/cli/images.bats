#!/usr/bin/env bats
# images.bats: --image-column (lib/format/image.c, lib/format/csv.c): a
# CSV column naming PNG files whose pixels become the columns px0, px1,
# ... in CxHxW order, for fl-stats, fl-train and fl-eval.  The PNGs are
# test/fixtures/png/*.png, made by mkpng.py there: 2x3 (HxW) images whose
# pixel i is 5 + 40 i (grayscale) or 5 + 40 i + c in channel c (RGB).

load helper
bats_require_minimum_version 1.5.0

setup() {
	enter_tmp || return 1
	mkdir img
	cp "$FIX"/png/*.png img/
}

# The value of column $2 in fl-stats --tsv output $1 (field $3: 4 mean).
col() {
	awk -F'\t' -v c="$2" -v f="${3:-4}" '$1 == c { print $f }' "$1"
}

@test "images: 8- and 16-bit grayscale give the same pixels, in order" {
	printf 'label,file\n0,img/g8.png\n' >g8.csv
	printf 'label,file\n0,img/g16.png\n' >g16.csv
	run --separate-stderr fl-stats --data g8.csv --image-column file --tsv
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
	echo "$output" >g8.tsv
	[ "$(col g8.tsv px0)" = 5 ] && [ "$(col g8.tsv px5)" = 205 ]
	[ -z "$(col g8.tsv px6)" ] && [ -z "$(col g8.tsv file)" ]
	fl-stats --data g16.csv --image-column file --tsv >g16.tsv
	cmp g8.tsv g16.tsv
}

@test "images: RGB pixels are channel first (CxHxW), 8 and 16 bits alike" {
	printf 'file,label\nimg/rgb8.png,1\n' >rgb8.csv
	printf 'file,label\nimg/rgb16.png,1\n' >rgb16.csv
	fl-stats --data rgb8.csv --image-column file --tsv >rgb8.tsv
	# channel c of pixel i is px(6c + i) = 5 + 40 i + c
	[ "$(col rgb8.tsv px0)" = 5 ] && [ "$(col rgb8.tsv px1)" = 45 ]
	[ "$(col rgb8.tsv px6)" = 6 ] && [ "$(col rgb8.tsv px11)" = 206 ]
	[ "$(col rgb8.tsv px12)" = 7 ] && [ "$(col rgb8.tsv px17)" = 207 ]
	[ -z "$(col rgb8.tsv px18)" ]
	fl-stats --data rgb16.csv --image-column file --tsv >rgb16.tsv
	cmp rgb8.tsv rgb16.tsv
}

@test "images: names are relative to the CSV, or absolute; NA is missing" {
	mkdir sub
	cp img/g8.png img/g8b.png sub/
	printf 'label,file\n0,g8.png\n1,%s\n1,NA\n' "$PWD/img/g8b.png" \
	    >sub/s.csv
	run --separate-stderr fl-stats --data sub/s.csv --image-column file \
	    --tsv
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
	echo "$output" >s.tsv
	[ "$(col s.tsv px0 2)" = 2 ] && [ "$(col s.tsv px0 3)" = 1 ]
	# px0: 5 and 250
	[ "$(col s.tsv px0)" = 127.5 ]
	# From stdin, names are relative to the working directory.
	printf 'label,file\n0,img/g8.png\n' |
	    fl-stats --data - --image-column file --tsv >stdin.tsv
	[ "$(col stdin.tsv px5)" = 205 ]
}

@test "images: training on PNGs equals training on their pixels in a CSV" {
	printf 'label,file\n0,img/g8.png\n1,img/g8b.png\n0,img/g16.png\n1,img/g8b.png\n' \
	    >imgs.csv
	{
		echo label,px0,px1,px2,px3,px4,px5
		echo 0,5,45,85,125,165,205
		echo 1,250,210,170,130,90,50
		echo 0,5,45,85,125,165,205
		echo 1,250,210,170,130,90,50
	} >pixels.csv
	fl-stats --data imgs.csv --image-column file -o a.fls
	fl-stats --data pixels.csv -o b.fls
	cmp <(fl-stats --tsv a.fls | tail -n +2) <(fl-stats --tsv b.fls | tail -n +2)
	fl-init -m cnn:conv2k3,gap --input 1x2x3 -l label -s a.fls -o r0.fla
	run --separate-stderr fl-train -q -d imgs.csv --image-column file \
	    --site s -e 3 -o i.upd r0.fla
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
	fl-train -q -d pixels.csv --site s -e 3 -o p.upd r0.fla
	cmp i.upd p.upd
	run --separate-stderr fl-eval -d imgs.csv --image-column file r0.fla
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
	[ "$output" = "$(fl-eval -d pixels.csv r0.fla)" ]
	# Without --image-column the pixel columns are missing.
	run --separate-stderr fl-train -d imgs.csv -o x.upd r0.fla
	[ "$status" -eq 1 ] && [ ! -e x.upd ]
	assert_one_line_naming "missing column 'px0'"
}

# check_refused FILE MESSAGE: a CSV whose second image is img/FILE is
# refused with exit 1 and one line naming the CSV, its line and the file.
check_refused() {
	printf 'label,file\n0,img/g8.png\n1,img/%s\n' "$1" >bad.csv
	run --separate-stderr fl-stats --data bad.csv --image-column file \
	    -o bad.fls
	[ "$status" -eq 1 ] && [ -z "$output" ]
	assert_one_line_naming "bad.csv:3: img/$1: $2"
	[ ! -e bad.fls ]
}

@test "images: wrong shapes, kinds and broken files are refused, naming the file" {
	check_refused wide.png "1x2x4 image (CxHxW), expected 1x2x3"
	check_refused rgb8.png "3x2x3 image (CxHxW), expected 1x2x3"
	check_refused pal.png "8-bit palette PNG: fl reads 8- and 16-bit grayscale and RGB"
	check_refused huge.png "not a PNG image we can read: image width exceeds user limit"
	check_refused trunc.png "corrupt or truncated PNG"
	check_refused garbage.png "not a PNG image we can read"
	check_refused absent.png "No such file or directory"
	# The first image gives the shape: a broken one there is named too.
	printf 'label,file\n0,img/huge.png\n' >first.csv
	run --separate-stderr fl-stats --data first.csv --image-column file \
	    --tsv
	[ "$status" -eq 1 ] && [ -z "$output" ]
	assert_one_line_naming "first.csv:2: img/huge.png: "
	run --separate-stderr fl-train -d first.csv --image-column file \
	    -o x.upd "$FIX/model.fla"
	[ "$status" -eq 1 ] && [ ! -e x.upd ]
	assert_one_line_naming "first.csv:2: img/huge.png"
}

@test "images: a missing or clashing column, or no --data, is refused" {
	printf 'label,file\n0,img/g8.png\n' >a.csv
	run --separate-stderr fl-stats --data a.csv --image-column img --tsv
	[ "$status" -eq 1 ] && [ -z "$output" ]
	[ "$stderr" = "fl-stats: a.csv: no column 'img' (--image-column)" ]
	printf 'px3,file\n0,img/g8.png\n' >clash.csv
	run --separate-stderr fl-stats --data clash.csv --image-column file \
	    --tsv
	[ "$status" -eq 1 ]
	assert_one_line_naming "column 'px3' is also the name of a pixel"
	printf 'label,file\n0,NA\n' >na.csv
	run --separate-stderr fl-stats --data na.csv --image-column file --tsv
	[ "$status" -eq 1 ]
	assert_one_line_naming "na.csv:2: column 'file': the first row needs an image"
	run --separate-stderr fl-stats --image-column file a.fls
	[ "$status" -eq 2 ]
	[[ ${stderr_lines[0]} == *"--image-column need --data" ]]
}

@test "images: examples/dicom.sh converts DICOM with dcmj2pnm, or skips" {
	run --separate-stderr "$TOP/examples/dicom.sh"
	[ "$status" -eq 0 ]
	if ! command -v dcmj2pnm >/dev/null 2>&1; then
		[ "$stderr" = "dicom.sh: skipped: dcmtk is not installed (no dcmj2pnm)" ]
		skip "dcmtk is not installed"
	fi
	# Two images of 2x3: the mean of px0 is (5 + 250) / 2.
	[ "${lines[0]}" = "column	count	missing	mean	sd	min	max" ]
	echo "$output" >d.tsv
	[ "$(col d.tsv px0 2)" = 2 ] && [ "$(col d.tsv px0)" = 127.5 ]
	[ -z "$(col d.tsv px6)" ]
}
