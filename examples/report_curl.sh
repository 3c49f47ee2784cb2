#!/bin/sh
# A raw axon over HTTP: one curl call reports values (any report is also a heartbeat).
#   SYNAPSE_TOKEN=... HUB=http://hub.lan:8080 AXON_ID=backup-01 ./report_curl.sh
# The Authorization header is read from stdin (-H @-), so the token never shows in `ps`.
set -eu
HUB="${HUB:-http://localhost:8080}"
AXON_ID="${AXON_ID:-backup-01}"
: "${SYNAPSE_TOKEN:?set SYNAPSE_TOKEN to this axon's token}"

DISK_USED="$(df --output=pcent / | tail -n 1 | tr -dc '0-9')"
printf 'Authorization: Bearer %s\n' "$SYNAPSE_TOKEN" |
  curl --fail --silent --show-error -H @- -H 'Content-Type: application/json' \
    --data-binary "{\"disk_used\": $DISK_USED, \"last_backup\": \"$(date -Iseconds)\"}" \
    "$HUB/api/v1/axons/$AXON_ID/report"
