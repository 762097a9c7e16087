import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";

/**
 * The Stress Test stampedes this process through its own public purchase endpoint, from one address, on
 * purpose; the per-client purchase limit must not count it. Its requests carry a secret made when the
 * process starts and never sent anywhere but to this process's own address (the Stress Test's
 * `selfUrl`), so an outside client cannot claim the exemption: a wrong or missing value is ordinary
 * traffic. A new secret per process is enough, since the Stress Test only ever calls its own process.
 */
const HEADER = "x-dropfront-stress-test";
const SECRET = Buffer.from(randomBytes(32).toString("base64url"));

/** Headers the in-process load generator adds to each of its requests. */
export function stressTestTrafficHeaders(): Record<string, string> {
  return { [HEADER]: SECRET.toString() };
}

/** Whether the request carries this process's Stress Test secret (compared in constant time). */
export function isStressTestTraffic(c: Context): boolean {
  const given = c.req.header(HEADER);
  if (given === undefined) return false;
  const bytes = Buffer.from(given);
  return bytes.length === SECRET.length && timingSafeEqual(bytes, SECRET);
}
