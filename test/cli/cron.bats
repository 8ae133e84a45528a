#!/usr/bin/env bats
# The cron jobs of examples/cron: a site's (site-job.sh) and the
# coordinator's (coordinator-job.sh), run against each other in folders.

load helper
bats_require_minimum_version 1.5.0

SITE_JOB=$BATS_TEST_DIRNAME/../../examples/cron/site-job.sh
COORD_JOB=$BATS_TEST_DIRNAME/../../examples/cron/coordinator-job.sh

setup() {
	enter_tmp || return 1
	command -v flock >/dev/null || skip "flock not installed"
	command -v rsync >/dev/null || skip "rsync not installed"
	colon_sites
	mkdir keys
	for who in coord a b; do
		fl-keygen -o keys "$who"
	done
	fl-stats -q --data a.csv -o a.fls
	fl-stats -q --data b.csv -o b.fls
	fl-aggregate -q -o stats.fls a.fls b.fls
	fl-init -q -m logreg -l death_5y -f "$COLON_FEATURES" -s stats.fls \
	    --sign keys/coord.key -o r0.fla
	# The coordinator's folder, and one per site.
	mkdir -p coord/trusted/coordinator
	cp keys/coord.key coord/
	cp keys/a.pub keys/b.pub coord/trusted/
	cp keys/coord.pub coord/trusted/coordinator/
	cp r0.fla coord/model.fla
	for s in a b; do
		mkdir -p "$s/inbox" "$s/trusted/coordinator"
		cp "$s.csv" "$s/data.csv"
		cp "keys/$s.key" "$s/site.key"
		cp keys/coord.pub "$s/trusted/coordinator/"
		cp keys/coord.pub "$s/coordinator.pub"
	done
}

site_job() {	# site_job SITE: run the site's job, pushing to coord/inbox
	FL_SITE_DIR=$PWD/$1 FL_OUTBOX=$PWD/coord/inbox "$SITE_JOB"
}

@test "cron: a site quarantines a refused model and trains the next one" {
	fl-pack seal --to keys/a.pub -o a/inbox/r0.sealed r0.fla
	# Unsigned, so refused; its name sorts first.
	fl-init -q -m logreg -l death_5y -f "$COLON_FEATURES" -o a/inbox/0evil.fla
	printf 'junk' >a/inbox/1junk.fla
	mkdir -p coord/inbox
	run --separate-stderr site_job a
	[ "$status" -eq 1 ]
	[ -f coord/inbox/a-r0.upd.sealed ]
	[ ! -e a/inbox/0evil.fla ]
	[ -f a/quarantine/0evil.fla ]
	grep -q 'not signed' a/quarantine/0evil.fla.reason
	[ -f a/quarantine/1junk.fla.reason ]
	[[ $stderr == *"0evil.fla refused: "*"moved to quarantine/0evil.fla"* ]]
	[ -f "a/trained/$(manifest_get r0.fla id | sed 's/^sha256://')" ]
	# Nothing new: nothing to do, and a clean exit.
	rm coord/inbox/a-r0.upd.sealed
	run --separate-stderr site_job a
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ ! -e coord/inbox/a-r0.upd.sealed ]
}

@test "cron: a site's trained/ is keyed by archive id, not file name" {
	fl-pack seal --to keys/a.pub -o a/inbox/latest.sealed r0.fla
	mkdir -p coord/inbox
	site_job a
	[ -f coord/inbox/a-latest.upd.sealed ]
	rm coord/inbox/a-latest.upd.sealed
	# Another model under the same name is trained, not skipped.
	fl-train -q -d a.csv -o u.upd r0.fla
	fl-aggregate -q --sign keys/coord.key -m r0.fla -o r1.fla u.upd
	fl-pack seal --to keys/a.pub -o a/inbox/latest.sealed r1.fla
	site_job a
	[ -f coord/inbox/a-latest.upd.sealed ]
	[ "$(ls a/trained | wc -l)" -eq 2 ]
}

@test "cron: the coordinator's job runs rounds with the sites' jobs" {
	FL_COORD_DIR=$PWD/coord "$COORD_JOB"
	[ -f coord/rounds/r0.fla ]
	for s in a b; do
		[ -f "coord/outbox/$s/r0.sealed" ]
		cp "coord/outbox/$s/r0.sealed" "$s/inbox/"
	done
	site_job a
	# One update of two: the quorum is not in, nothing happens.
	FL_COORD_DIR=$PWD/coord "$COORD_JOB"
	[ ! -e coord/rounds/r1.fla ]
	[ -f coord/inbox/a-r0.upd.sealed ]
	# A stray file and an update of another model are refused; the
	# round goes on without them.
	printf 'junk' >coord/inbox/junk
	fl-train -q --sign keys/b.key -d b.csv -o other.upd r0.fla
	fl-aggregate -q -m r0.fla -o other.fla other.upd
	fl-train -q --sign keys/b.key -d b.csv -o coord/inbox/stale.upd other.fla
	site_job b
	run --separate-stderr env FL_COORD_DIR="$PWD/coord" "$COORD_JOB"
	[ "$status" -eq 1 ]
	[ -f coord/quarantine/junk.reason ]
	grep -q 'not from the current model' coord/quarantine/stale.upd.reason
	[ -f coord/rounds/r1.fla ]
	[ "$(manifest_get coord/model.fla round)" = 1 ]
	[ "$(ls coord/used/r1 | tr '\n' ' ')" = "a-r0.upd.sealed b-r0.upd.sealed " ]
	fl-pack verify --trust a/trusted --key keys/a.key coord/outbox/a/r1.sealed
	fl-pack manifest --key keys/b.key coord/outbox/b/r1.sealed >/dev/null
	# Round 2 goes the same way.
	for s in a b; do
		cp "coord/outbox/$s/r1.sealed" "$s/inbox/"
		site_job "$s"
	done
	FL_COORD_DIR=$PWD/coord "$COORD_JOB"
	[ "$(manifest_get coord/model.fla round)" = 2 ]
}

@test "cron: make install puts the examples under share/fl" {
	make -s -C "$TOP" BUILD="$BUILD" install PREFIX="$PWD/inst" >/dev/null
	[ -x inst/share/fl/cron/site-job.sh ]
	[ -x inst/share/fl/cron/coordinator-job.sh ]
	[ -x inst/share/fl/quickstart.sh ]
	[ -f inst/share/fl/lib.sh ]
	[ -f inst/share/fl/data/colon.csv ]
	grep -q 'share/fl/cron/site-job.sh' inst/share/fl/cron/site-job.sh
	make -s -C "$TOP" BUILD="$BUILD" uninstall PREFIX="$PWD/inst" >/dev/null
	[ ! -e inst/share/fl ]
}
