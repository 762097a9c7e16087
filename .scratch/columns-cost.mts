import { readFile } from "node:fs/promises";
import pg from "pg";
import { createFreshDatabase } from "../bench/fresh-database";

const fresh = await createFreshDatabase("postgres://postgres@127.0.0.1:5432/postgres");
const client = new pg.Client({ connectionString: fresh.url });
const cpu = async (pid: number) => {
  const f = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
};
const common = `SELECT i AS n, true AS is_live, false AS is_paused, false AS is_cancelled, false AS is_hold,
  now() - interval '1 minute' AS starts_at, 1 AS max_per_fan, 100 AS drop_price_cents, 1 AS fan_slot, i AS rank,
  true AS within_limit, true AS had_stock, gen_random_uuid() AS id, i AS unit_no, now() AS created_at`;
const shapes = {
  before: `${common}, '00000000-0000-4000-8000-000000000001'::uuid AS drop_id, 'fan-' || md5(i::text) || '@example.com' AS fan,
    'fan-' || md5(i::text) || '@example.com' AS fan_shown, 100 AS price_cents, 1 AS attempts, true AS is_new, NULL::text AS used_fingerprint
    FROM generate_series(1, 40) AS i`,
  nostart: `${common.replace("now() - interval '1 minute' AS starts_at", "NULL::timestamptz AS starts_at")}, NULL::text AS fan, NULL::text AS fan_shown, NULL::int AS price_cents, NULL::int AS attempts,
    true AS is_new, NULL::text AS used_fingerprint FROM generate_series(1, 40) AS i`,
  epoch: `${common.replace("now() - interval '1 minute' AS starts_at", "NULL::timestamptz AS starts_at").replace("now() AS created_at", "extract(epoch FROM now())::float8 * 1000 AS created_at")}, NULL::text AS fan, NULL::text AS fan_shown, NULL::int AS price_cents, NULL::int AS attempts,
    true AS is_new, NULL::text AS used_fingerprint FROM generate_series(1, 40) AS i`,
  after: `${common}, NULL::text AS fan, NULL::text AS fan_shown, NULL::int AS price_cents, NULL::int AS attempts,
    true AS is_new, NULL::text AS used_fingerprint FROM generate_series(1, 40) AS i`,
};
try {
  await client.connect();
  const { rows: [{ pid }] } = await client.query("SELECT pg_backend_pid() AS pid");
  const results: Record<string, { node: number[]; pg: number[] }> = { before: { node: [], pg: [] }, after: { node: [], pg: [] }, nostart: { node: [], pg: [] }, epoch: { node: [], pg: [] } };
  for (let round = 0; round < 6; round++) {
    for (const shape of (round % 2 === 0 ? ["before", "after", "nostart", "epoch"] : ["epoch", "nostart", "after", "before"]) as (keyof typeof shapes)[]) {
      const node = process.cpuUsage();
      const before = await cpu(pid);
      for (let s = 0; s < 1000; s++) await client.query({ name: shape, text: shapes[shape] });
      const used = process.cpuUsage(node);
      results[shape]!.node.push((used.user + used.system) / 40_000);
      results[shape]!.pg.push(((await cpu(pid)) - before) * 1000 / 40_000);
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!.toFixed(2);
  for (const shape of ["before", "after", "nostart", "epoch"]) {
    console.log(`${shape}: client µs per member row ${results[shape]!.node.map((x) => x.toFixed(1)).join(" ")} (median ${med(results[shape]!.node)}); PostgreSQL ${results[shape]!.pg.map((x) => x.toFixed(1)).join(" ")} (median ${med(results[shape]!.pg)})`);
  }
} finally {
  await client.end();
  await fresh.drop();
}
