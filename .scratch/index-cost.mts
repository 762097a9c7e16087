import { readFile } from "node:fs/promises";
import pg from "pg";
import { migrate } from "../src/db/migrate";
import { openPostgres } from "../src/db/postgres";
import { createFreshDatabase } from "../bench/fresh-database";

const fresh = await createFreshDatabase("postgres://postgres@127.0.0.1:5432/postgres");
const db = openPostgres({ url: fresh.url, poolSize: 1, acquireTimeoutMs: 5000, isolation: "read committed" });
const client = new pg.Client({ connectionString: fresh.url });
const cpu = async (pid: number) => {
  const f = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
};
try {
  await migrate(db);
  await db.close();
  await client.connect();
  await client.query("CREATE TABLE orders_partial (LIKE orders INCLUDING ALL)");
  await client.query("CREATE TABLE orders_whole (LIKE orders INCLUDING ALL)");
  await client.query("CREATE INDEX ON orders_whole (expires_at)");
  const { rows: [{ pid }] } = await client.query("SELECT pg_backend_pid() AS pid");
  const drop = "00000000-0000-4000-8000-000000000001";
  let unit = 0;
  const insert = async (table: string) => {
    const first = unit;
    unit += 40;
    await client.query({
      name: `insert_${table}`,
      text: `INSERT INTO ${table} (drop_id, unit_no, fan, fan_shown, fan_slot, price_cents, attempts, idempotency_key, request_fingerprint)
             SELECT $1::uuid, $2::int + i, 'fan-' || md5(($2::int + i)::text), 'Fan ' || i, 1, 100, 1,
                    md5(random()::text), md5(i::text)
             FROM generate_series(1, 40) AS i
             RETURNING id, unit_no, created_at`,
      values: [drop, first],
    });
  };
  const totals: Record<string, number[]> = { whole: [], partial: [] };
  for (let round = 0; round < 6; round++) {
    for (const table of round % 2 === 0 ? ["whole", "partial"] : ["partial", "whole"]) {
      const before = await cpu(pid);
      for (let s = 0; s < 500; s++) await insert(`orders_${table}`);
      totals[table]!.push(((await cpu(pid)) - before) * 1000 / (500 * 40));
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  console.log(`µs of backend CPU per order row, 6 rounds alternated: whole-table expires_at index ${totals.whole!.map((x) => x.toFixed(1)).join(" ")} (median ${med(totals.whole!).toFixed(1)}); partial ${totals.partial!.map((x) => x.toFixed(1)).join(" ")} (median ${med(totals.partial!).toFixed(1)})`);
} finally {
  await client.end();
  await fresh.drop();
}
