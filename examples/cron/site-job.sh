#!/bin/sh
# site-job.sh: a hospital's federation job, for cron.  It looks in an inbox
# for a model it has not trained yet, checks that the coordinator signed it
# (and opens it, if sealed), trains on the local CSV, signs the update,
# seals it to the coordinator and pushes it with rsync.  Nothing happens
# when there is no new model, so it can run every few minutes:
#
#   */15 * * * *  FL_SITE_DIR=/srv/fl /usr/local/share/fl/site-job.sh
#
# FL_SITE_DIR holds:  data.csv           this site's rows (never leave)
#                     site.key           this site's secret key (0600)
#                     trusted/coordinator/  the coordinator's .pub file
#                     coordinator.pub    to seal updates to
#                     inbox/             where models arrive (*.fla, *.sealed)
#                     trained/           models already trained (kept here)
# FL_OUTBOX is the rsync destination for updates (a path or host:path).
set -eu
dir=${FL_SITE_DIR:?set FL_SITE_DIR to the site directory}
outbox=${FL_OUTBOX:?set FL_OUTBOX to the rsync destination}
epochs=${FL_EPOCHS:-2}
cd "$dir"
mkdir -p trained

# One job at a time: a second cron start while this one trains just leaves.
exec 9>"$dir/.lock"
flock -n 9 || exit 0

for m in inbox/*; do
	[ -f "$m" ] || continue
	name=$(basename "$m")
	[ -e "trained/$name" ] && continue
	tmp=$(mktemp "$dir/.update.XXXXXX")
	# No pipe: a refusal by fl-train must stop the job, and sh has no
	# pipefail.
	if fl-train -q --trust trusted --key site.key --sign site.key \
	    -d data.csv -e "$epochs" -o "$tmp" "$m" &&
	    fl-pack seal --to coordinator.pub -o "$tmp.sealed" "$tmp"; then
		rm "$tmp"
		tmp=$tmp.sealed
		base=${name%.sealed}
		upd=$(basename "$dir")-${base%.fla}.upd.sealed
		mv "$tmp" "$dir/$upd"
		rsync -q "$dir/$upd" "$outbox/"
		rm "$dir/$upd"
		cp "$m" "trained/$name"
		logger -t fl-site-job "trained $name" 2>/dev/null || true
	else
		rm -f "$tmp" "$tmp.sealed"
		echo "site-job: $name refused or failed; left in the inbox" >&2
		exit 1
	fi
done
