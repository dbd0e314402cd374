#!/usr/bin/env bash
# Stop the throwaway Ceph started by start-radosgw.sh and delete its folder.
# Only the processes whose pid files are in that folder are stopped.
set -euo pipefail

DIR="${NEWSTRAIL_CEPH_DIR:-/tmp/newstrail-ceph}"
if [ ! -d "$DIR/run" ]; then
  echo "no cluster in $DIR"
  exit 0
fi
pids=()
# The gateway first, the monitor last: each depends on the ones after it.
for name in client.rgw.gw osd.0 mon.a; do
  file="$DIR/run/$name.pid"
  [ -f "$file" ] || continue
  pid="$(cat "$file")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    pids+=("$pid")
  fi
done
for pid in "${pids[@]+"${pids[@]}"}"; do
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || continue 2
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
done
rm -rf "$DIR"
echo "stopped the cluster in $DIR"
