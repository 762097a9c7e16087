import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { HashingBusy } from "../errors";

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
/**
 * At most this many waiting behind them. Each hash takes tens of milliseconds, so a full queue is a wait
 * of well under a second; beyond it the caller is told to come back (HashingBusy, 503 + Retry-After)
 * instead of everyone waiting longer and longer (50 parallel wrong sign-ins once made a real one wait
 * 4-55 s). Outside-review finding 5.
 */
export const MAX_WAITING_HASHES = 8;
/** Hashes one client may have running or waiting at once: a single client cannot fill the queue. */
export const MAX_HASHES_PER_CLIENT = 1;
/**
 * Waiting places a suspect check (its client or account failing lately, see SignInThrottle.check) may take;
 * the rest are kept for clean ones, which also go first when a hash finishes. Sixty wrong passwords at once
 * from rotating addresses once filled the whole queue and real sellers signed in 0 times in 15 while it
 * lasted (issue 15 §2); now such a flood waits behind its own kind and real sign-ins pass it.
 */
export const MAX_WAITING_SUSPECT = 3;

/** Which queue a check waits in: `clean` is served first and owns part of the waiting places. */
export type HashLane = "clean" | "suspect";

let running = 0;
const waiting: Record<HashLane, (() => void)[]> = { clean: [], suspect: [] };
/** In-flight hashes per client; entries exist only while a hash runs or waits, so it stays small. */
const perClient = new Map<string, number>();

/** The hashing queue right now (for tests and metrics). */
export const hashingQueue = () => ({
  running,
  waiting: waiting.clean.length + waiting.suspect.length,
  suspect: waiting.suspect.length,
});

async function limited<T>(work: () => Promise<T>, client?: string, lane: HashLane = "clean"): Promise<T> {
  const mine = client === undefined ? 0 : (perClient.get(client) ?? 0);
  if (mine >= MAX_HASHES_PER_CLIENT) throw new HashingBusy();
  if (running >= MAX_CONCURRENT_HASHES) {
    const queued = waiting.clean.length + waiting.suspect.length;
    if (queued >= MAX_WAITING_HASHES) throw new HashingBusy();
    if (lane === "suspect" && waiting.suspect.length >= MAX_WAITING_SUSPECT) throw new HashingBusy();
  }
  if (client !== undefined) perClient.set(client, mine + 1);
  try {
    if (running >= MAX_CONCURRENT_HASHES) await new Promise<void>((resolve) => waiting[lane].push(resolve));
    running++;
    try {
      return await work();
    } finally {
      running--;
      (waiting.clean.shift() ?? waiting.suspect.shift())?.();
    }
  } finally {
    if (client !== undefined) {
      const left = (perClient.get(client) ?? 1) - 1;
      if (left > 0) perClient.set(client, left);
      else perClient.delete(client);
    }
  }
}

/** Hashes a password with scrypt from node:crypto; the result carries its own parameters and salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p, keylen } = SCRYPT;
  const hash = await limited(() => scryptAsync(password, salt, keylen, { N, r, p, maxmem: 256 * N * r }));
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

/**
 * Whether `password` matches the stored hash. With `client`, that client may have only
 * MAX_HASHES_PER_CLIENT checks in flight; HashingBusy when it has, or when its lane's share of the queue
 * is full (a `suspect` check gets MAX_WAITING_SUSPECT places and waits behind every clean one).
 */
export async function verifyPassword(
  password: string,
  stored: string,
  client?: string,
  lane: HashLane = "clean",
): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64url");
  const N = Number(n);
  const actual = await limited(
    () =>
      scryptAsync(password, Buffer.from(salt, "base64url"), expected.length, {
        N,
        r: Number(r),
        p: Number(p),
        maxmem: 256 * N * Number(r),
      }),
    client,
    lane,
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
