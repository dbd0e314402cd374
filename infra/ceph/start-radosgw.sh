#!/usr/bin/env bash
# Start a throwaway single-node Ceph (one monitor, one memstore OSD, one radosgw)
# on 127.0.0.1, for tests and development. Nothing is persistent: the OSD keeps
# its objects in memory and the whole cluster lives in one folder.
#
#   infra/ceph/start-radosgw.sh            # prints the endpoint and the keys
#   eval "$(infra/ceph/start-radosgw.sh --env)"   # ... as shell exports
#   infra/ceph/stop-radosgw.sh
#
# Settings (all optional):
#   NEWSTRAIL_CEPH_DIR        cluster folder, wiped on start (default /tmp/newstrail-ceph)
#   NEWSTRAIL_CEPH_RGW_PORT   S3 port of the gateway (default 7480)
#   NEWSTRAIL_CEPH_MON_PORT   monitor port, msgr2 (default 13300)
#   NEWSTRAIL_CEPH_MEMSTORE   bytes the memstore OSD may hold (default 4 GiB)
#   NEWSTRAIL_CEPH_ACCESS_KEY / NEWSTRAIL_CEPH_SECRET_KEY   the S3 user's keys
#
# Needs the Debian packages ceph-mon ceph-osd radosgw ceph-common.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="${NEWSTRAIL_CEPH_DIR:-/tmp/newstrail-ceph}"
RGW_PORT="${NEWSTRAIL_CEPH_RGW_PORT:-7480}"
MON_PORT="${NEWSTRAIL_CEPH_MON_PORT:-13300}"
MEMSTORE="${NEWSTRAIL_CEPH_MEMSTORE:-4294967296}"
ACCESS_KEY="${NEWSTRAIL_CEPH_ACCESS_KEY:-NEWSTRAILTESTACCESS0}"
SECRET_KEY="${NEWSTRAIL_CEPH_SECRET_KEY:-newstrail-test-secret-key-not-for-production}"
ENDPOINT="http://127.0.0.1:${RGW_PORT}"

print_env=0
if [ "${1:-}" = "--env" ]; then
  print_env=1
fi

say() { echo "$*" >&2; }

for tool in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool uuidgen; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "start-radosgw: $tool not found; install Ceph first:" \
      "apt-get install -y ceph-mon ceph-osd radosgw ceph-common" >&2
    exit 3
  fi
done

case "$DIR" in
  /*) ;;
  *) echo "start-radosgw: NEWSTRAIL_CEPH_DIR must be an absolute path" >&2; exit 2 ;;
esac
if [ "$DIR" = / ] || { [ -d "$DIR" ] && [ -n "$(ls -A "$DIR")" ] && [ ! -f "$DIR/ceph.conf" ]; }; then
  echo "start-radosgw: $DIR is not empty and holds no cluster of ours; not wiping it" >&2
  exit 2
fi
# A cluster left by an earlier run (of this script, in this folder) goes first,
# so the script can be run again and again on one machine.
NEWSTRAIL_CEPH_DIR="$DIR" "$HERE/stop-radosgw.sh" >/dev/null 2>&1 || true
rm -rf "$DIR"

port_free() {
  python3 -c "import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen()" "$1" 2>/dev/null
}
for port in "$RGW_PORT" "$MON_PORT"; do
  if ! port_free "$port"; then
    echo "start-radosgw: port $port on 127.0.0.1 is taken (set NEWSTRAIL_CEPH_RGW_PORT / NEWSTRAIL_CEPH_MON_PORT)" >&2
    exit 2
  fi
done
mkdir -p "$DIR"/{run,log,mon/ceph-a,osd/ceph-0,rgw}

FSID="$(uuidgen)"
CONF="$DIR/ceph.conf"
cat >"$CONF" <<CONF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:${MON_PORT}]
public addr = 127.0.0.1
ms bind ipv6 = false
# No cephx: a throwaway cluster on the loopback interface, reached only by the gateway.
auth cluster required = none
auth service required = none
auth client required = none
# One OSD: one copy of each object, no failure domain to spread over, few PGs.
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
# The monitor's folder is on whatever disk /tmp is: warn late, stop very late.
mon data avail warn = 5
mon data avail crit = 1
run dir = $DIR/run
pid file = $DIR/run/\$name.pid
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
keyring = $DIR/keyring
mon data = $DIR/mon/\$cluster-\$id
osd data = $DIR/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = ${MEMSTORE}
osd memory target = 939524096
osd max object size = 1073741824
debug ms = 0

[client]
# Without this, radosgw loops on "get_initial_auth_request returned -13" when
# cephx is off.
ms mon client mode = crc secure
log file = $DIR/log/\$name.log

[client.rgw.gw]
rgw frontends = beast endpoint=127.0.0.1:${RGW_PORT}
rgw data = $DIR/rgw
rgw dns name = 127.0.0.1
rgw enable usage log = false
# Deleted objects' data goes to radosgw's garbage collector, which by default waits
# two hours: in memory, a busy test run would fill the OSD first. Free it at once.
rgw gc obj min wait = 0
rgw gc processor period = 5
rgw gc processor max time = 5
CONF
: >"$DIR/keyring"

export CEPH_CONF="$CONF"

say "starting monitor"
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:${MON_PORT}]" "$DIR/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$DIR/monmap" -c "$CONF" >/dev/null
ceph-mon -i a -c "$CONF" 2>>"$DIR/log/mon.a.stderr"

wait_for() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "start-radosgw: $what did not come up in ${seconds} s; logs in $DIR/log" >&2
      exit 1
    fi
    sleep 0.3
  done
}
wait_for monitor 30 timeout 5 ceph -c "$CONF" mon stat

say "starting OSD (memstore)"
OSD_UUID="$(uuidgen)"
OSD_ID="$(ceph -c "$CONF" osd new "$OSD_UUID")"
ceph-osd -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" -c "$CONF" >/dev/null 2>&1
ceph-osd -i "$OSD_ID" -c "$CONF" 2>>"$DIR/log/osd.$OSD_ID.stderr"
osd_up() { [ "$(ceph -c "$CONF" osd stat -f json | python3 -c 'import json,sys; print(json.load(sys.stdin)["num_up_osds"])')" = 1 ]; }
wait_for OSD 60 osd_up

say "starting radosgw on $ENDPOINT"
radosgw -c "$CONF" -n client.rgw.gw 2>>"$DIR/log/rgw.stderr"
gateway_up() { python3 -c "import urllib.request; urllib.request.urlopen('$ENDPOINT', timeout=2)"; }
wait_for radosgw 60 gateway_up

radosgw-admin -c "$CONF" -n client.admin user create --uid newstrail-test \
  --display-name "newstrail tests" --access-key "$ACCESS_KEY" --secret "$SECRET_KEY" >/dev/null

if [ "$print_env" = 1 ]; then
  cat <<ENV
export NEWSTRAIL_TEST_S3_ENDPOINT=$ENDPOINT
export AWS_ENDPOINT_URL=$ENDPOINT
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
export AWS_DEFAULT_REGION=us-east-1
ENV
else
  cat <<INFO
radosgw is up (cluster in $DIR, stop it with infra/ceph/stop-radosgw.sh)
endpoint:   $ENDPOINT
access key: $ACCESS_KEY
secret key: $SECRET_KEY
INFO
fi
