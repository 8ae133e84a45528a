#!/bin/sh
# site-job.sh: a hospital's federation job, for cron.  It looks in an inbox
# for models it has not trained yet, checks that the coordinator signed
# each (and opens it, if sealed), trains on the local CSV, signs the
# update, seals it to the coordinator and pushes it with rsync.  Nothing
# happens when there is no new model, so it can run every few minutes
# (make install puts this script in PREFIX/share/fl/cron/):
#
#   */15 * * * *  FL_SITE_DIR=/srv/fl FL_OUTBOX=coord:/srv/fl/inbox \
#                 /usr/local/share/fl/cron/site-job.sh
#
# FL_SITE_DIR holds:  data.csv           this site's rows (never leave)
#                     site.key           this site's secret key (0600)
#                     trusted/coordinator/  the coordinator's .pub file
#                     coordinator.pub    to seal updates to
#                     inbox/             where models arrive (*.fla, *.sealed)
#                     trained/ID         a model trained, named by its
#                                        archive id (so a new model under an
#                                        old file name is still trained)
#                     quarantine/NAME    a refused file, moved out of the
#                                        inbox, with NAME.reason beside it
# FL_OUTBOX is the rsync destination for updates (a path or host:path);
# FL_EPOCHS the local epochs (default 2).
#
# A refused model (not an archive, not sealed for this site, not signed by
# the coordinator, not fitting data.csv) goes to quarantine/ and the job
# carries on with the next; a failure that is not the model's (sealing,
# rsync) leaves it in the inbox for the next run.  Either way the job
# says so on stderr (which cron mails) and exits 1 at the end.
set -eu
dir=${FL_SITE_DIR:?set FL_SITE_DIR to the site directory}
outbox=${FL_OUTBOX:?set FL_OUTBOX to the rsync destination}
epochs=${FL_EPOCHS:-2}
cd "$dir"
mkdir -p trained quarantine

# One job at a time: a second cron start while this one trains just leaves.
exec 9>"$dir/.lock"
flock -n 9 || exit 0

status=0

# quarantine FILE REASONFILE: move FILE out of the inbox, with its reason.
quarantine() {
	q=quarantine/$(basename "$1")
	mv "$1" "$q"
	mv "$2" "$q.reason"
	echo "site-job: $(basename "$1") refused: $(head -n 1 "$q.reason");" \
	    "moved to $q" >&2
	logger -t fl-site-job "refused $(basename "$1")" 2>/dev/null || true
	status=1
}

for m in inbox/*; do
	[ -f "$m" ] || continue
	name=$(basename "$m")
	why=$(mktemp "$dir/.reason.XXXXXX")
	# The model's archive id (sealed or not): trained/ is keyed by it.
	if ! id=$(fl-pack manifest --key site.key "$m" 2>"$why" |
	    sed -n 's/^  "id": "sha256:\([0-9a-f]*\)",*$/\1/p') ||
	    [ -z "$id" ]; then
		[ -s "$why" ] || echo "no archive id" >"$why"
		quarantine "$m" "$why"
		continue
	fi
	if [ -e "trained/$id" ]; then
		rm -f "$why"
		continue
	fi
	tmp=$(mktemp "$dir/.update.XXXXXX")
	# No pipe: fl-train's refusal must be seen, and sh has no pipefail.
	if ! fl-train -q --trust trusted --key site.key --sign site.key \
	    -d data.csv -e "$epochs" -o "$tmp" "$m" 2>"$why"; then
		rm -f "$tmp"
		quarantine "$m" "$why"
		continue
	fi
	base=${name%.sealed}
	upd=$(basename "$dir")-${base%.fla}.upd.sealed
	if fl-pack seal --to coordinator.pub -o "$dir/$upd" "$tmp" 2>"$why" &&
	    rsync -q "$dir/$upd" "$outbox/" 2>>"$why"; then
		cp "$m" "trained/$id"
		logger -t fl-site-job "trained $name" 2>/dev/null || true
	else
		echo "site-job: $name: not sent, left in the inbox:" \
		    "$(head -n 1 "$why")" >&2
		status=1
	fi
	rm -f "$tmp" "$dir/$upd" "$why"
done
exit "$status"
