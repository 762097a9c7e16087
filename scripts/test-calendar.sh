#!/usr/bin/env bash
# The suites that use dates, run with the whole process a year ahead (libfaketime moves Node's clock and the
# embedded PGlite's now() with it), on PGlite alone: a test that pinned a date, or code that read the real
# clock where the injected one belongs, fails here a year before the calendar would make CI red.
#   npm run test:calendar                  # a year ahead
#   DAYS=-400 npm run test:calendar        # or any other distance, behind too
set -euo pipefail
cd "$(dirname "$0")/.."
command -v faketime >/dev/null || { days=${DAYS:-365}
offset=$([[ $days == -* ]] && echo "${days}d" || echo "+${days}d")
echo "test:calendar needs faketime (apt-get install faketime)"; exit 1; }
# Every suite that builds dates from test/support/clock.ts or names a calendar date, but those that need a
# PostgreSQL server, a browser, Bun or HAProxy (their clocks are not moved with this process's).
mapfile -t files < <(grep -lE 'support/clock|20[0-9]{2}-[01][0-9]-[0-3][0-9]' test/*.test.ts test/*.test.tsx |
  grep -vE 'browser|bun-|scale-|faults-|dsql-|drain|db-transfer|tcp-proxy|private-postgres')
days=${DAYS:-365}
offset=$([[ $days == -* ]] && echo "${days}d" || echo "+${days}d")
echo "test:calendar: ${#files[@]} suites, the clock moved $days days: $(date -d "$days days" -u +%F)"
TEST_BACKENDS=pglite FAKETIME_DONT_FAKE_MONOTONIC=1 exec faketime -f "$offset" \
  ./node_modules/.bin/vitest run "${files[@]}"
