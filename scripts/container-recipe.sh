#!/usr/bin/env bash
# Exercises the Dockerfile's recipe without a container engine (CI has none): its build stage and its
# runtime stage, step for step, into a clean temporary folder; then starts the result the way the image
# does (ENV and CMD read from the Dockerfile, nothing else from this shell's environment), waits for its
# HEALTHCHECK to pass, makes one purchase over HTTP, sends SIGTERM and expects exit code 0.
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

step "SIGTERM"
kill -TERM "$server_pid"
set +e
wait "$server_pid"
code=$?
set -e
server_pid=""
[ "$code" = 0 ] || fail "exit code $code after SIGTERM"
grep -q '"msg":"drained' "$work/server.log" || fail "no drain in the log"
step "passed: built, healthy, sold one unit, drained, exit 0"
