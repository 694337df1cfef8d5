#!/usr/bin/env bash
# browser-test.sh QUERY_URL COLLECTOR_URL: runs the journey explorer's
# browser tests (services/query/internal/ui, chromedp) in headless chromium
# against a running stack: posts generated journeys to the collector, then
# logs in, finds a customer, checks the timeline, builds a funnel (numbers
# equal to the API's), opens a segment and exports CSV, compares a segment's
# size per day and the case inbox with the API, follows a detractor alert
# through its case (assign, contact, resolve; the figures count it); fails on
# any console error.
# Screenshots go to out/screenshots/ (git-ignored).
# Then the collector's SDK tests (services/collector/internal/sdktest):
# @segment/analytics-next and @rudderstack/analytics-js from npm (pinned by
# services/collector/testdata/browser/package-lock.json, installed with npm
# ci into its git-ignored node_modules) bundled with esbuild into a page that
# headless chromium opens; through a proxy that makes the collector fail
# for 3 s (retries delivered, every event stored once), beacon modes, and
# server-side posts with analytics-go, curl and python urllib (not bots).
# They read the stack's ClickHouse: CEM_TEST_CLICKHOUSE_ADDR and
# CEM_CLICKHOUSE_DATABASE as test.sh exports them.
# Installs Debian's chromium with apt-get when it is missing.
#
#   CEM_QUERY_TOKENS        the first token logs in (default cem-dev-query-token)
#   CEM_BROWSER_CHROME      browser binary (default /usr/bin/chromium)
#   CEM_BROWSER_SCREENSHOTS screenshot folder (default out/screenshots)
#   CEM_BROWSER_TESTS       which to run: ui, sdk or both (default "ui sdk")
#   CEM_BROWSER_EXPECT_SCORES 1 when the stack scores every few seconds: the
#                           test then requires segment members, snapshots and alerts
set -euo pipefail
SCRIPT_NAME=browser-test
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

QUERY=${1:?usage: browser-test.sh QUERY_URL COLLECTOR_URL}
COLLECTOR=${2:?usage: browser-test.sh QUERY_URL COLLECTOR_URL}
CHROME=${CEM_BROWSER_CHROME:-/usr/bin/chromium}
TOKEN=${CEM_QUERY_TOKENS:-cem-dev-query-token}
TOKEN=${TOKEN%%,*}

if [[ ! -x $CHROME ]]; then
	command -v apt-get >/dev/null || die "chromium is missing at $CHROME and apt-get is not available"
	log "installing chromium with apt-get"
	SUDO=()
	((EUID == 0)) || SUDO=(sudo)
	"${SUDO[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
	[[ -x $CHROME ]] || die "chromium install did not provide $CHROME"
fi
log "$("$CHROME" --version 2>/dev/null | tail -n 1)"

SHOTS=${CEM_BROWSER_SCREENSHOTS:-$ROOT/out/screenshots}
mkdir -p "$SHOTS"
rm -f "$SHOTS"/*.png

export CEM_BROWSER_QUERY_URL=$QUERY CEM_BROWSER_COLLECTOR_URL=$COLLECTOR CEM_BROWSER_TOKEN=$TOKEN
export CEM_BROWSER_CHROME=$CHROME CEM_BROWSER_SCREENSHOTS=$SHOTS CEM_TEST_INTEGRATION=1
TESTS=${CEM_BROWSER_TESTS:-ui sdk}
if [[ " $TESTS " == *" ui "* ]]; then
	cd "$ROOT/services/query"
	go test -count=1 -v -timeout 10m -run '^TestJourneyExplorerBrowser$' ./internal/ui/
	log "screenshots in $SHOTS: $(cd "$SHOTS" && ls -- *.png | tr '\n' ' ')"
fi
[[ " $TESTS " == *" sdk "* ]] || exit 0
cd "$ROOT/services/collector"
go test -count=1 -v -timeout 10m -run '^(TestBrowserSDKsIntegration|TestServerSidePostsAreNotBotsIntegration)$' ./internal/sdktest/
