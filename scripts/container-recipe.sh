#!/usr/bin/env bash
# Exercises the Dockerfile's recipe without a container engine (CI has none): its build stage and its
# runtime stage, step for step, into a clean temporary folder; then starts the result the way the image
# does (ENV and CMD read from the Dockerfile, nothing else from this shell's environment), waits for its
# HEALTHCHECK to pass, makes one purchase over HTTP, runs a Stress Test from the dashboard (its load
# generator is the bundle's worker thread), sends SIGTERM and expects exit code 0.
# Usage: bash scripts/container-recipe.sh     (about a minute; needs network access for npm ci)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/dropfront-image.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo "--- container recipe: $*"; }
fail() { echo "container recipe FAILED: $*" >&2; [ -f "$work/server.log" ] && tail -n 40 "$work/server.log" >&2; exit 1; }
dockerfile="$repo/Dockerfile"
# The JSON array after CMD (or after HEALTHCHECK's CMD), one argument per line.
exec_form() { node -e 'for (const a of JSON.parse(process.argv[1])) console.log(a)' "$1"; }

step "build stage (npm ci, npm run build)"
mkdir -p "$work/build/scripts" "$work/app/scripts"
cp "$repo/package.json" "$repo/package-lock.json" "$repo/tsconfig.json" "$work/build/"
cp "$repo/scripts/build.mjs" "$work/build/scripts/"
cp -r "$repo/src" "$repo/views" "$work/build/"
(cd "$work/build" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)

step "runtime stage (npm ci --omit=dev, compiled output, sql, static)"
cp "$repo/package.json" "$repo/package-lock.json" "$work/app/"
(cd "$work/app" && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
cp -r "$work/build/dist" "$work/app/dist"
cp -r "$repo/sql" "$repo/static" "$work/app/"
cp "$repo/scripts/healthcheck.mjs" "$work/app/scripts/"
mkdir -p "$work/app/data"
# (typescript may appear: valibot declares it as a peer dependency; it is a compiler, not a loader.)
for dev in tsx vitest esbuild @biomejs/biome; do
  [ ! -e "$work/app/node_modules/$dev" ] || fail "development dependency $dev is in the runtime stage"
done
[ ! -e "$work/app/src" ] || fail "TypeScript sources in the runtime stage"
# The server's runtime is the bun package's binary, linked by its postinstall (a placeholder without it).
bun_version="$("$work/app/node_modules/.bin/bun" --version)" || fail "no working bun binary in the runtime stage"
echo "bun $bun_version"

step "start as the image would"
mapfile -t image_env < <(grep -E '^ENV ' "$dockerfile" | sed -E 's/^ENV //' | tr ' ' '\n')
mapfile -t command < <(exec_form "$(grep -E '^CMD ' "$dockerfile" | sed -E 's/^CMD //')")
mapfile -t healthcheck < <(exec_form "$(grep -E '^HEALTHCHECK ' "$dockerfile" | sed -E 's/.* CMD //')")
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
# The image's environment, with the port made free here and /app/data mapped to this folder's data/.
run_env=(PATH="$PATH" HOME="$work" "${image_env[@]}" PORT="$port" DATA_DIR="$work/app/data")
(cd "$work/app" && exec env -i "${run_env[@]}" "${command[@]}") >"$work/server.log" 2>&1 &
server_pid=$!

step "HEALTHCHECK (${healthcheck[*]})"
healthy=""
for _ in $(seq 1 180); do
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited during start-up"
  if (cd "$work/app" && env -i "${run_env[@]}" "${healthcheck[@]}"); then healthy=1; break; fi
  sleep 1
done
[ -n "$healthy" ] || fail "not healthy after 180 s"

step "one purchase"
base="http://127.0.0.1:$port"
post() { curl -sS -X POST -H 'content-type: application/json' "$@"; }
field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=process.argv[1].split(".").reduce((o,k)=>o?.[k],JSON.parse(s));if(v===undefined)process.exit(1);console.log(v)})' "$1"; }
api_key="$(post "$base/api/sellers" -d '{"email":"recipe@example.com","password":"correct horse battery","name":"Recipe"}' | field apiKey)" \
  || fail "sign-up did not answer an API key"
starts_at="$(node -e 'console.log(new Date(Date.now() - 60000).toISOString())')"
drop_id="$(post "$base/api/drops" -H "authorization: Bearer $api_key" \
  -d "{\"title\":\"Recipe\",\"priceCents\":100,\"quantity\":1,\"startsAt\":\"$starts_at\"}" | field drop.id)" \
  || fail "drop not created"
status="$(post "$base/api/drops/$drop_id/purchase" -d '{"fan":"fan@example.com"}' -o /dev/null -w '%{http_code}')"
[ "$status" = 201 ] || fail "purchase answered $status, not 201"
for asset in app.css htmx.min.js sse.min.js; do
  code="$(curl -sS -o /dev/null -w '%{http_code}' "$base/static/$asset")"
  [ "$code" = 200 ] || fail "/static/$asset answered $code"
done

step "a Stress Test from the dashboard"
jar="$work/cookies"
# The csrf token of the first form on a page, with the session cookie kept in the jar.
csrf() { curl -sS -b "$jar" -c "$jar" "$base$1" | grep -oE 'name="csrf" value="[^"]+"' | head -n 1 | sed -E 's/.*value="([^"]+)"/\1/'; }
# Sends a form as the page on our own origin would; prints the status and where it redirects.
submit() {
  local page="$1" action="$2" token
  shift 2
  token="$(csrf "$page")"
  [ -n "$token" ] || fail "no csrf token on $page"
  curl -sS -o /dev/null -w '%{http_code} %{redirect_url}\n' -b "$jar" -c "$jar" -H "origin: $base" \
    --data-urlencode "csrf=$token" "$@" "$base$action"
}
read -r code _ < <(submit /seller/sign-up /seller/sign-up --data-urlencode name=Stress \
  --data-urlencode email=stress@example.com --data-urlencode "password=correct horse battery")
[ "$code" = 303 ] || fail "dashboard sign-up answered $code"
read -r code drop_page < <(submit /seller/drops/new /seller/drops --data-urlencode title=Rehearsed \
  --data-urlencode description=Recipe --data-urlencode price=25.00 --data-urlencode currency=usd \
  --data-urlencode quantity=30 --data-urlencode maxPerFan=1 --data-urlencode startsAt=2030-01-15T18:00 \
  --data-urlencode timeZone=UTC)
[ "$code" = 303 ] || fail "new drop answered $code"
drop_path="${drop_page#"$base"}"
read -r code run_page < <(submit "$drop_path" "$drop_path/stress" --data-urlencode attempts=150 \
  --data-urlencode concurrency=20)
[ "$code" = 303 ] || fail "Stress Test start answered $code"
events="$(curl -sS --max-time 120 -b "$jar" "${run_page}/events")" || fail "Stress Test events did not end"
receipt="$(printf '%s\n' "$events" | grep -A1 '^event: receipt' | sed -n 's/^data: //p')"
echo "$receipt" | field verdict | grep -qx PASS || fail "Stress Test receipt is not PASS: ${receipt:0:300}"
echo "$receipt" | field html | grep -q '<dd id="receipt-sold">30 of 30</dd>' || fail "Stress Test did not sell 30 of 30"

step "SIGTERM"
kill -TERM "$server_pid"
set +e
wait "$server_pid"
code=$?
set -e
server_pid=""
[ "$code" = 0 ] || fail "exit code $code after SIGTERM"
grep -q '"msg":"drained' "$work/server.log" || fail "no drain in the log"
step "passed: built, healthy on bun $bun_version, sold one unit, Stress Test PASS, drained, exit 0"
