import { randomBytes } from "node:crypto";
import { migrate } from "../src/db/migrate";
import { openPostgres } from "../src/db/postgres";
import { createShop } from "../src/domain/shop";

/**
 * Signs up the bench's seller from this process, straight into the bench database. Through the server it
 * would cost the server one scrypt hash (N = 2^17, r = 8: a 128 MiB buffer), and that one sign-up, not
 * the stampede, would then set the server's peak memory.
 */
export async function createBenchSeller(databaseUrl: string): Promise<string> {
  const db = openPostgres({
    url: databaseUrl,
    poolSize: 1,
    acquireTimeoutMs: 5000,
    isolation: "read committed",
  });
  try {
    await migrate(db);
    const { apiKey } = await createShop(db).createSeller({
      email: `bench-${randomBytes(4).toString("hex")}@bench.test`,
      name: "Bench",
      password: randomBytes(12).toString("hex"),
    });
    return apiKey;
  } finally {
    await db.close();
  }
}
