#!/bin/sh
# coordinator-job.sh: the coordinator's federation job, for cron, beside
# site-job.sh.  It publishes the current model, sealed to each site; checks
# each update the sites push to its inbox; and once a quorum of updates
# to the current model is in, aggregates them into the next model, signs
# it and publishes that.  Nothing happens while the quorum is not in, so
# it can run every few minutes (make install puts this script in
# PREFIX/share/fl/cron/):
#
#   */15 * * * *  FL_COORD_DIR=/srv/fl /usr/local/share/fl/cron/coordinator-job.sh
#
# FL_COORD_DIR holds:  coord.key          the coordinator's secret key (0600)
#                      trusted/SITE.pub   each site's public key, and
#                      trusted/coordinator/coord.pub  its own
#                      model.fla          the current model, signed with
#                                         coord.key (round 0 from fl-init
#                                         --sign, put there by hand)
#                      inbox/             where sites push updates
#                      rounds/rN.fla      every model published
#                      outbox/SITE/rN.sealed  each model sealed to SITE,
#                                         for SITE to fetch (or for a
#                                         command of yours to push)
#                      used/rN/           the updates merged into round N
#                      quarantine/NAME    a refused update, with NAME.reason
# FL_QUORUM is the number of updates a round needs (default: every site,
# the number of trusted/*.pub); FL_AGGREGATE_ARGS more options for
# fl-aggregate (a strategy, say).
#
# An update that is not an archive, not sealed to the coordinator, not
# signed by a trusted site, or not made from the current model goes to
# quarantine/ with its reason, and the job carries on; it then exits 1, as
# it does when the aggregation fails (the updates are left in the inbox).
set -eu
dir=${FL_COORD_DIR:?set FL_COORD_DIR to the coordinator directory}
cd "$dir"
mkdir -p inbox rounds outbox used quarantine

exec 9>"$dir/.lock"
flock -n 9 || exit 0

status=0
sites=$(for p in trusted/*.pub; do [ -f "$p" ] && basename "$p" .pub; done)
[ -n "$sites" ] || { echo "coordinator-job: no trusted/*.pub" >&2; exit 1; }
quorum=${FL_QUORUM:-$(echo "$sites" | wc -l)}

# get FILE KEY: a top-level string or number of FILE's manifest.
get() {
	fl-pack manifest --key coord.key "$1" |
	    sed -n "s/^  \"$2\": \"*\([^\",]*\)\"*,*\$/\1/p"
}

# publish: the current model to rounds/ and, sealed, to each site.
publish() {
	r=$(get model.fla round)
	[ -e "rounds/r$r.fla" ] && return 0
	for s in $sites; do
		mkdir -p "outbox/$s"
		fl-pack seal --to "trusted/$s.pub" -o "outbox/$s/r$r.sealed" \
		    model.fla
	done
	cp model.fla "rounds/r$r.fla"
	logger -t fl-coordinator-job "published round $r" 2>/dev/null || true
}

# quarantine FILE REASONFILE
quarantine() {
	q=quarantine/$(basename "$1")
	mv "$1" "$q"
	mv "$2" "$q.reason"
	echo "coordinator-job: $(basename "$1") refused:" \
	    "$(head -n 1 "$q.reason"); moved to $q" >&2
	status=1
}

publish
current=$(get model.fla id)
round=$(($(get model.fla round) + 1))

# Collect: the updates that verify and were made from the current model.
set --
for u in inbox/*; do
	[ -f "$u" ] || continue
	why=$(mktemp "$dir/.reason.XXXXXX")
	if ! fl-pack verify -q --trust trusted --key coord.key "$u" 2>"$why"
	then
		[ -s "$why" ] || echo "does not verify" >"$why"
		quarantine "$u" "$why"
		continue
	fi
	parent=$(get "$u" parent)
	if [ "$parent" != "$current" ]; then
		echo "made from $parent, not from the current model" \
		    "(round $((round - 1)), $current)" >"$why"
		quarantine "$u" "$why"
		continue
	fi
	rm -f "$why"
	set -- "$@" "$u"
done

# Aggregate when the quorum is in; sign; publish the next model.
if [ "$#" -ge "$quorum" ]; then
	next=$(mktemp "$dir/.next.XXXXXX")
	# shellcheck disable=SC2086  # FL_AGGREGATE_ARGS: words on purpose
	if fl-aggregate -q ${FL_AGGREGATE_ARGS:-} --trust trusted \
	    --key coord.key --sign coord.key --min-updates "$quorum" \
	    -m model.fla -o "$next" "$@"; then
		mkdir -p "used/r$round"
		mv "$@" "used/r$round/"
		mv "$next" model.fla
		publish
	else
		rm -f "$next"
		echo "coordinator-job: round $round not aggregated;" \
		    "its $# updates are left in the inbox" >&2
		status=1
	fi
fi
exit "$status"
