#!/bin/sh
# A raw axon without the SDK: mosquitto_pub from cron or a backup script.
#   SYNAPSE_TOKEN=... HUB=hub.lan AXON_ID=backup-01 ./report_mosquitto_pub.sh
# The token is the MQTT password. mosquitto_pub takes it as -P, which other local users can see
# in the process list: run this on a machine you do not share, or use the SDK.
set -eu
HUB="${HUB:-localhost}"
PORT="${PORT:-1883}"
AXON_ID="${AXON_ID:-backup-01}"
: "${SYNAPSE_TOKEN:?set SYNAPSE_TOKEN to this axon's token}"

pub() {
  mosquitto_pub -h "$HUB" -p "$PORT" -i "$AXON_ID" -u "$AXON_ID" -P "$SYNAPSE_TOKEN" -q 1 "$@"
}

# Declare what this axon reports (re-sending it is harmless; the hub keeps the last good one).
pub -t "synapse/register/$AXON_ID" -m "$(printf '{"id": "%s", "name": "Backups", "auth_token": "%s", "ttl": 86400, "docs": "Nightly backup of /srv.", "actions": [], "widgets": [{"id": "disk_used", "type": "gauge", "label": "Disk used", "unit": "%%", "monitors": [{"condition": "value > 90", "severity": "warning"}]}, {"id": "last_backup", "type": "text", "label": "Last backup", "monitors": []}]}' "$AXON_ID" "$SYNAPSE_TOKEN")"

# One value per topic: the payload is the bare value.
pub -t "synapse/report/$AXON_ID/disk_used" -m "$(df --output=pcent / | tail -n 1 | tr -dc '0-9')"
# Several values at once: a JSON object, widget id -> value.
pub -t "synapse/report/$AXON_ID" -m "{\"last_backup\": \"$(date -Iseconds)\"}"
