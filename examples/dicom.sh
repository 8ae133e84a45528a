#!/bin/sh
# examples/dicom.sh [DIR]: DICOM images into a CSV of PNG files that
# fl-stats, fl-train and fl-eval read with --image-column (fl-train(1)).
# dcmtk's dcmj2pnm converts each DICOM file to a PNG on standard output
# (+on: 8 bits; +on2 keeps 16) and the pipe writes it beside the CSV.
# With DIR, every DIR/*.dcm is converted; without, two small synthetic
# DICOM images are made first with dcmtk's dump2dcm.  Where dcmtk is not
# installed (Debian: apt-get install dcmtk) it says so and exits 0.
set -eu
if ! command -v dcmj2pnm >/dev/null 2>&1; then
	echo "dicom.sh: skipped: dcmtk is not installed (no dcmj2pnm)" >&2
	exit 0
fi
dir=${1:-}
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$work/dicom" "$work/png"
if [ -z "$dir" ]; then
	# Two 2x3 8-bit MONOCHROME2 secondary-capture images.
	for i in 1 2; do
		if [ "$i" = 1 ]; then px='05\2d\55\7d\a5\cd'; else px='fa\d2\aa\82\5a\32'; fi
		cat >"$work/dicom/$i.txt" <<-DUMP
		(0008,0016) UI =SecondaryCaptureImageStorage
		(0008,0018) UI [1.2.826.0.1.3680043.2.1143.9$i]
		(0008,0060) CS [OT]
		(0010,0020) LO [demo$i]
		(0020,000d) UI [1.2.826.0.1.3680043.2.1143.1]
		(0020,000e) UI [1.2.826.0.1.3680043.2.1143.2]
		(0028,0002) US 1
		(0028,0004) CS [MONOCHROME2]
		(0028,0010) US 2
		(0028,0011) US 3
		(0028,0100) US 8
		(0028,0101) US 8
		(0028,0102) US 7
		(0028,0103) US 0
		(7fe0,0010) OB $px
		DUMP
		dump2dcm "$work/dicom/$i.txt" "$work/dicom/$i.dcm"
	done
	dir=$work/dicom
fi

# The CSV: one row per image, the PNG named relative to the CSV.
echo "file" >"$work/png/images.csv"
for f in "$dir"/*.dcm; do
	[ -e "$f" ] || { echo "dicom.sh: no .dcm files in $dir" >&2; exit 1; }
	name=$(basename "$f" .dcm).png
	dcmj2pnm +on "$f" >"$work/png/$name"
	echo "$name" >>"$work/png/images.csv"
done
fl-stats --data "$work/png/images.csv" --image-column file --tsv
