#!/usr/bin/env bash
# Stop the lab: every components/NN-*.sh down, in reverse name order, each
# daemon by the PID in its own pid file. Keys, CA and DNSSEC keys stay in run/
# so the next up is quick and trust anchors stay valid; --purge deletes run/ too.
source "$(dirname "$0")/lib.sh"

purge=0
case "${1:-}" in
  --purge) purge=1 ;;
  "") ;;
  *) echo "usage: $0 [--purge]" >&2; exit 2 ;;
esac

exec 8>"$LAB_RUN/.lock"
flock 8

status=0
comps=("$LAB_DIR"/components/[0-9][0-9]-*.sh)
for (( i=${#comps[@]}-1; i>=0; i-- )); do
  [ -f "${comps[$i]}" ] || continue
  bash "${comps[$i]}" down >&2 8>&- || { lab_log "component $(basename "${comps[$i]}") failed to stop"; status=1; }
done
rm -f "$LAB_RUN/lab.json"
if [ "$purge" = 1 ] && [ "$status" = 0 ]; then
  # Everything under run/ is generated; the lock file we hold goes with it.
  find "$LAB_RUN" -mindepth 1 -delete
  lab_log "down: stopped, run/ purged"
else
  lab_log "down: stopped"
fi
exit "$status"
