#!/bin/sh
# keepalived's way to do what app.js does, for comparison: run by notify_master / notify_backup / notify_fault /
# notify_stop (see keepalived.conf beside this file).
#
#   notify.sh master|backup|fault|stop PGHOST PG_PEER [PSQL] [LOG]
#
# master: fence the peer's database (1 s at most), promote the local standby, lift the local fence;
# anything else: fence the local database. Each step is appended to LOG with its time.
# keepalived starts these scripts without waiting for the previous one: two transitions in quick succession run
# their scripts side by side, in no set order (app.js runs its hooks one after the other, in transition order).
state=$1
export PGHOST="$2"
peer=$3
psql=${4:-psql}
log=${5:-/dev/null}
export PGUSER="${PGUSER:-postgres}" PGDATABASE="${PGDATABASE:-postgres}"

say() { echo "$(date +%s.%N) $state $*" >> "$log"; }
run() { "$psql" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
FENCE_READ_ONLY='ALTER SYSTEM SET default_transaction_read_only = on'
FENCE_SESSIONS="SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND NOT pg_is_in_recovery()"

case "$state" in
  master)
    if PGCONNECT_TIMEOUT=1 timeout -s KILL 1 "$psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$peer" \
        -c "$FENCE_READ_ONLY" -c 'SELECT pg_reload_conf()' -c "$FENCE_SESSIONS" >/dev/null 2>&1; then
      say 'fence peer ok'
    else
      say 'fence peer failed'
    fi
    # The same promotion as app.js's: pg_promote(), then look every 5 ms until it takes writes.
    run -c 'DO $$
BEGIN
  IF pg_is_in_recovery() THEN
    PERFORM pg_promote(false);
    FOR i IN 1..6000 LOOP
      EXIT WHEN NOT pg_is_in_recovery();
      PERFORM pg_sleep(0.005);
    END LOOP;
    IF pg_is_in_recovery() THEN RAISE EXCEPTION $e$still in recovery 30 s after pg_promote()$e$; END IF;
  END IF;
END $$' >/dev/null && say 'promote ok' || say 'promote failed'
    run -c 'ALTER SYSTEM RESET default_transaction_read_only' -c 'SELECT pg_reload_conf()' >/dev/null && say 'unfence ok' || say 'unfence failed'
    ;;
  *)
    run -c "$FENCE_READ_ONLY" -c 'SELECT pg_reload_conf()' -c "$FENCE_SESSIONS" >/dev/null && say 'fence ok' || say 'fence failed'
    ;;
esac
