#!/usr/bin/env bash
# smoke.sh COLLECTOR_URL QUERY_URL: posts a small cross-channel journey to a
# running collector (anonymous web visit, login, phone ticket by userId) and
# waits until the query service shows all of it in one customer timeline.
# Uses the dev write keys of run.sh and the first CEM_QUERY_TOKENS token.
set -euo pipefail
SCRIPT_NAME=smoke
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"
COLLECTOR=${1:?collector url}
QUERY=${2:?query url}
TOKEN=${CEM_QUERY_TOKENS:-cem-dev-query-token}
TOKEN=${TOKEN%%,*}
run=$(date +%s%N)
anon=smoke-anon-$run user=smoke-user-$run

post() { # KEY PATH BODY
	local out
	out=$(curl -sS -u "$1:" -H 'Content-Type: application/json' -w ' %{http_code}' -d "$3" "$COLLECTOR$2")
	[[ $out == *' 200' ]] || die "POST $2: $out"
}
post dev-web-key /v1/page "{\"anonymousId\":\"$anon\",\"name\":\"Home\",\"context\":{\"page\":{\"path\":\"/\"}}}"
post dev-web-key /v1/identify "{\"anonymousId\":\"$anon\",\"userId\":\"$user\",\"traits\":{\"email\":\"$run@example.com\"}}"
post dev-callcenter-key /v1/batch "{\"batch\":[{\"type\":\"track\",\"userId\":\"$user\",\"event\":\"Ticket Opened\",\"properties\":{\"ticket_id\":\"t-$run\",\"channel\":\"phone\"},\"context\":{\"channel\":\"phone\"}}]}"
log "posted 3 events for $user; waiting for the timeline"

timeline() { curl -sS -f -H "Authorization: Bearer $TOKEN" "$QUERY/api/v1/customers/$user/timeline"; }
has_all() {
	local t
	t=$(timeline) || return 1
	[[ $t == *'"type":"page"'* && $t == *'"type":"identify"'* && $t == *'"event":"Ticket Opened"'* ]]
}
start=$SECONDS
wait_until 60 "the journey in the timeline" has_all || { timeline >&2 || true; die "timeline incomplete"; }
log "ok: anonymous visit, login and phone ticket in one timeline after $((SECONDS - start))s"

# GDPR: erase the customer, then a new event of their id is refused by the
# collector (once its suppression list refreshed) and the timeline is empty.
curl -sS -f -X DELETE -H "Authorization: Bearer $TOKEN" "$QUERY/api/v1/customers/$user" >/dev/null || die "erase failed"
refused() {
	local out
	out=$(curl -sS -u dev-web-key: -d "{\"userId\":\"$user\",\"event\":\"After Erasure\"}" "$COLLECTOR/v1/track")
	[[ $out == *'"reason":"suppressed"'* ]]
}
wait_until 60 "the collector to refuse the erased id" refused || die "events of an erased id are still collected"
gone() { ! timeline >/dev/null 2>&1 || [[ $(timeline) != *'"type":"page"'* ]]; }
wait_until 30 "the erased timeline to be empty" gone || die "erased customer still has a timeline"
log "ok: erased customer is gone and their id is suppressed at the collector"

