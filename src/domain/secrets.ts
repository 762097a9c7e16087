import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/**
 * OWASP's Password Storage Cheat Sheet lists equally strong scrypt settings; N=2^14, r=8, p=5 is the one
 * that needs 16 MiB per hash instead of N=2^17's 128 MiB, which matters on a server that must stay small
 * while a stampede runs. Stored hashes carry their own parameters, so older ones still verify.
 */
const SCRYPT = { N: 2 ** 14, r: 8, p: 5, keylen: 32 };

/** At most this many hashes at once: sign-ups in a burst queue here rather than each taking 16 MiB. */
const MAX_CONCURRENT_HASHES = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_HASHES) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Hashes a password with scrypt from node:crypto; the result carries its own parameters and salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p, keylen } = SCRYPT;
  const hash = await limited(() => scryptAsync(password, salt, keylen, { N, r, p, maxmem: 256 * N * r }));
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64url");
  const N = Number(n);
  const actual = await limited(() =>
    scryptAsync(password, Buffer.from(salt, "base64url"), expected.length, {
      N,
      r: Number(r),
      p: Number(p),
      maxmem: 256 * N * Number(r),
    }),
  );
  return timingSafeEqual(actual, expected);
}

/** A new API key. It has 256 bits of entropy, so a fast hash (SHA-256) is enough to store it. */
export function newApiKey(): string {
  return `dfl_${randomBytes(32).toString("base64url")}`;
}

export function hashApiKey(apiKey: string): string {
  return createHash("sha256").update(apiKey).digest("hex");
}
